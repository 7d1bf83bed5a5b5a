import ArgumentParser
import Common
import Foundation
import Store
import Tokenizers

/// `textclf bench tokenize`: GPT-2 encoding throughput on the IMDB train texts, one thread and
/// all cores, next to tiktoken's (the anchor script, run in the same invocation on the same files).
struct BenchTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Measure GPT-2 tokenizer throughput (MB/s) against tiktoken.",
        discussion: """
        Encodes every text --repeats times on one thread (encode) and on all cores (encodeBatch), \
        each run with a fresh tokenizer so its word cache starts empty, and reports the median \
        MB of UTF-8 per second. Then runs the anchor tiktoken_speed.py (best of 3, as it prints) \
        when python3 with tiktoken is available, and prints textclf/tiktoken ratios.

        The texts are the anchor's: the text column of imdb_train.csv in the imdb dataset's \
        imdb.zip, found by the Store (cache, $TEXTCLF_MIRROR, or a verified download), as are the \
        vocabulary (unless --model DIR) and the gpt2.tiktoken file the anchor reads. --texts FILE \
        (JSON lines {"text": ...}) measures other texts instead, without the anchor.

        --json writes one line with keys: texts, megabytes, tokens, load_ms, repeats, \
        single_mb_s, single_best_mb_s, batch_mb_s, batch_best_mb_s, cores, and when the anchor \
        ran: tiktoken_single_mb_s, tiktoken_batch_mb_s, ratio_single, ratio_batch.

        Example:
          textclf bench tokenize --repeats 3
        """
    )

    @Option(help: "JSON lines {\"text\": ...} to encode instead of the IMDB train texts (no anchor then).")
    var texts: String?

    @OptionGroup var vocabularyOptions: GPT2VocabularyOptions

    @Option(help: "Timed runs per mode; the median is reported.")
    var repeats = 5

    @Option(help: "The anchor script (default: anchors/tiktoken_speed.py beside a $TEXTCLF_MIRROR directory).")
    var anchor: String?

    @Flag(help: "Do not run the tiktoken anchor.")
    var noAnchor = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    }

    func run() throws {
        let store = try BenchTexts.store()
        let texts = try self.texts.map(TextLinesReader.readAll(path:)) ?? BenchTexts.imdbTrain(store: store)
        guard !texts.isEmpty else { throw InvalidInput("\(self.texts ?? "the IMDB train texts"): holds no texts") }
        let megabytes = Double(texts.reduce(0) { $0 + $1.utf8.count }) / 1e6
        var loadStart = DispatchTime.now()
        let vocabulary = try vocabularyOptions.load()
        _ = try GPT2Tokenizer(vocabulary: vocabulary).encode("warm up the character tables")
        let loadMS = BenchTiming.seconds(since: loadStart) * 1000
        Log.info(String(format: "bench tokenize: %d texts, %.1f MB; vocabulary %@ loaded in %.0f ms",
                        texts.count, megabytes, vocabulary.source, loadMS))

        var tokens = 0
        var singleTimes: [Double] = [], batchTimes: [Double] = []
        for run in 1 ... repeats {
            var tokenizer = try GPT2Tokenizer(vocabulary: vocabulary)
            var count = 0
            loadStart = DispatchTime.now()
            for text in texts { count += tokenizer.encode(text).count }
            singleTimes.append(BenchTiming.seconds(since: loadStart))

            tokenizer = try GPT2Tokenizer(vocabulary: vocabulary)
            loadStart = DispatchTime.now()
            let batch = tokenizer.encodeBatch(texts)
            batchTimes.append(BenchTiming.seconds(since: loadStart))
            let batchCount = batch.reduce(0) { $0 + $1.count }
            guard batchCount == count else { throw BenchFailure("batch encoding gave \(batchCount) tokens, one by one \(count)") }
            tokens = count
            Log.info(String(format: "  run %d: single %.1f MB/s, batch %.1f MB/s", run,
                            megabytes / singleTimes.last!, megabytes / batchTimes.last!))
        }
        let single = megabytes / BenchTiming.median(singleTimes), singleBest = megabytes / singleTimes.min()!
        let batch = megabytes / BenchTiming.median(batchTimes), batchBest = megabytes / batchTimes.min()!
        let cores = ProcessInfo.processInfo.activeProcessorCount

        var result: [String: Any] = [
            "texts": texts.count, "megabytes": rounded(megabytes), "tokens": tokens, "load_ms": rounded(loadMS),
            "repeats": repeats, "single_mb_s": rounded(single), "single_best_mb_s": rounded(singleBest),
            "batch_mb_s": rounded(batch), "batch_best_mb_s": rounded(batchBest), "cores": cores,
        ]
        var lines = [
            String(format: "textclf single: %.1f MB/s median (best %.1f) over %d runs; %d tokens", single, singleBest, repeats, tokens),
            String(format: "textclf batch (%d cores): %.1f MB/s median (best %.1f), %.2fx single", cores, batch, batchBest, batch / single),
        ]
        if self.texts != nil && !noAnchor {
            Log.info("anchor not run: it measures the IMDB train texts, not --texts")
        } else if !noAnchor {
            switch runAnchor(store: store) {
            case .success(let (tiktokenSingle, tiktokenBatch)):
                result["tiktoken_single_mb_s"] = tiktokenSingle
                result["tiktoken_batch_mb_s"] = tiktokenBatch
                result["ratio_single"] = rounded(single / tiktokenSingle)
                result["ratio_batch"] = rounded(batch / tiktokenBatch)
                lines.append(String(format: "tiktoken single: %.1f MB/s, batch2: %.1f MB/s (anchor, best of 3, same run)", tiktokenSingle, tiktokenBatch))
                lines.append(String(format: "ratio textclf/tiktoken: single %.2fx, batch %.2fx", single / tiktokenSingle, batch / tiktokenBatch))
            case .failure(let reason):
                Log.info("anchor not run: \(reason.description)")
            }
        }
        if output.json {
            JSONLines.emit(result)
        } else {
            lines.forEach { print($0) }
        }
    }

    /// Runs tiktoken_speed.py ROOT and reads its "tiktoken single: X MB/s" and
    /// "tiktoken batch2: X MB/s" lines. ROOT is a temporary mirror-shaped directory of links to
    /// the files the Store gave us, so the anchor reads exactly the bytes textclf read.
    private func runAnchor(store: Store) -> Result<(Double, Double), BenchFailure> {
        let scriptCandidates = anchor.map { [$0] }
            ?? store.configuration.mirrors.map { $0.deletingLastPathComponent().appendingPathComponent("anchors/tiktoken_speed.py").path }
        guard let script = scriptCandidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            return .failure(BenchFailure("anchor script not found (looked for \(scriptCandidates.isEmpty ? "anchors/ beside a $TEXTCLF_MIRROR directory" : scriptCandidates.joined(separator: ", "))); pass --anchor FILE"))
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-anchor-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        do {
            for (ref, file) in [(BenchTexts.imdb, BenchTexts.imdbArchive), (EntryRef.model("gpt2"), "gpt2.tiktoken")] {
                let link = root.appendingPathComponent(ref.relativePath).appendingPathComponent(file)
                try FileManager.default.createDirectory(at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.createSymbolicLink(at: link, withDestinationURL: store.resolve(ref, file: file))
            }
        } catch {
            return .failure(BenchFailure("cannot lay out the anchor's files: \(error)"))
        }
        Log.info("running anchor \(script) ...")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, root.path]
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        do { try process.run() } catch { return .failure(BenchFailure("cannot start python3: \(error)")) }
        let text = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            return .failure(BenchFailure("anchor exited with \(process.terminationStatus): \(errors.split(separator: "\n").last ?? "")"))
        }
        func figure(_ label: String) -> Double? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tiktoken \(label):") }),
                  let number = line.split(separator: " ").dropFirst(2).first else { return nil }
            return Double(number)
        }
        guard let single = figure("single"), let batch = figure("batch2") else {
            return .failure(BenchFailure("unexpected anchor output: \(text)"))
        }
        return .success((single, batch))
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

private func rounded(_ x: Double) -> Double { (x * 100).rounded() / 100 }
