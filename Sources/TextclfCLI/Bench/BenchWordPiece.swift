import ArgumentParser
import Common
import DataIO
import Foundation
import Tokenizers

/// `textclf bench wordpiece`: BERT WordPiece encoding throughput on the IMDB train texts, one
/// thread and all cores, next to Hugging Face's BertTokenizerFast (scripts/bench_wordpiece_hf.py,
/// run in the same invocation).
struct BenchWordPiece: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wordpiece",
        abstract: "Measure BERT WordPiece tokenizer throughput (MB/s) against Hugging Face.",
        discussion: """
        Reads the texts of imdb_train.csv from the mirror's datasets/imdb/imdb.zip and encodes \
        them (no special tokens) --repeats times on one thread (encode) and on all cores \
        (encodeBatch), each run with a fresh tokenizer, and reports the median MB of UTF-8 per \
        second. Then runs the anchor scripts/bench_wordpiece_hf.py (Hugging Face \
        BertTokenizerFast, batch calls with 1 and with all cores, median of 3) when python3 with \
        transformers is available, and prints textclf/Hugging Face ratios.

        --json writes one line with keys: texts, megabytes, tokens, load_ms, repeats, \
        single_mb_s, batch_mb_s, cores, and when the anchor ran: hf_single_mb_s, hf_batch_mb_s, \
        ratio_single, ratio_batch.

        Example:
          textclf bench wordpiece --mirror ../shared/mirror
        """
    )

    @Option(help: "Mirror directory (default: $TEXTCLF_MIRROR, else ../shared/mirror).")
    var mirror: String?

    @Option(help: "Model directory with the tokenizer files (default: the mirror's models/all-MiniLM-L6-v2).")
    var model: String?

    @Option(help: "Timed runs per mode; the median is reported.")
    var repeats = 5

    @Option(help: "The anchor script (default: scripts/bench_wordpiece_hf.py in the current directory).")
    var anchor = "scripts/bench_wordpiece_hf.py"

    @Flag(help: "Do not run the Hugging Face anchor.")
    var noAnchor = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    }

    func run() throws {
        let mirror = try resolveMirror()
        let archive = mirror.appendingPathComponent("datasets/imdb/imdb.zip").path
        var texts: [String] = []
        let reader = try CSVReader(path: archive, member: "imdb_train.csv", columns: [.name("text")])
        while let row = try reader.next() { texts.append(row[0]) }
        guard !texts.isEmpty else { throw InvalidInput("\(archive): imdb_train.csv holds no texts") }
        let megabytes = Double(texts.reduce(0) { $0 + $1.utf8.count }) / 1e6
        let directory = model.map { URL(fileURLWithPath: $0) } ?? mirror.appendingPathComponent("models/all-MiniLM-L6-v2")

        var start = DispatchTime.now()
        _ = try BertTokenizer.load(directory: directory).encode("warm up the character tables: café")
        let loadMS = seconds(since: start) * 1000
        Log.info(String(format: "bench wordpiece: %d texts, %.1f MB; tokenizer %@ loaded in %.0f ms",
                        texts.count, megabytes, directory.path, loadMS))

        var tokens = 0
        var singleTimes: [Double] = [], batchTimes: [Double] = []
        for run in 1 ... repeats {
            var tokenizer = try BertTokenizer.load(directory: directory)
            var count = 0
            start = DispatchTime.now()
            for text in texts { count += tokenizer.encode(text).count }
            singleTimes.append(seconds(since: start))

            tokenizer = try BertTokenizer.load(directory: directory)
            start = DispatchTime.now()
            let batch = tokenizer.encodeBatch(texts)
            batchTimes.append(seconds(since: start))
            let batchCount = batch.reduce(0) { $0 + $1.count }
            guard batchCount == count else { throw BenchFailure("batch encoding gave \(batchCount) tokens, one by one \(count)") }
            tokens = count
            Log.info(String(format: "  run %d: single %.1f MB/s, batch %.1f MB/s", run,
                            megabytes / singleTimes.last!, megabytes / batchTimes.last!))
        }
        let single = megabytes / median(singleTimes), batch = megabytes / median(batchTimes)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var result: [String: Any] = [
            "texts": texts.count, "megabytes": rounded(megabytes), "tokens": tokens, "load_ms": rounded(loadMS),
            "repeats": repeats, "single_mb_s": rounded(single), "batch_mb_s": rounded(batch), "cores": cores,
        ]
        var lines = [
            String(format: "textclf single: %.1f MB/s median over %d runs; %d tokens", single, repeats, tokens),
            String(format: "textclf batch (%d cores): %.1f MB/s median, %.2fx single", cores, batch, batch / single),
        ]
        if !noAnchor {
            do {
                let hfSingle = try runAnchor(mirror: mirror, threads: 1)
                let hfBatch = try runAnchor(mirror: mirror, threads: cores)
                result["hf_single_mb_s"] = hfSingle
                result["hf_batch_mb_s"] = hfBatch
                result["ratio_single"] = rounded(single / hfSingle)
                result["ratio_batch"] = rounded(batch / hfBatch)
                lines.append(String(format: "Hugging Face BertTokenizerFast: 1 thread %.2f MB/s, %d threads %.2f MB/s (batch calls, median of 3, same run)",
                                    hfSingle, cores, hfBatch))
                lines.append(String(format: "ratio textclf/Hugging Face: single %.1fx, batch %.1fx", single / hfSingle, batch / hfBatch))
            } catch {
                Log.info("anchor not run: \(error)")
            }
        }
        if output.json {
            JSONLines.emit(result)
        } else {
            lines.forEach { print($0) }
        }
    }

    private func resolveMirror() throws -> URL {
        var roots = mirror.map { [$0] } ?? []
        if mirror == nil {
            roots += (ProcessInfo.processInfo.environment["TEXTCLF_MIRROR"] ?? "").split(separator: ":").map(String.init)
            roots.append("../shared/mirror")
        }
        for root in roots where FileManager.default.fileExists(atPath: root + "/datasets/imdb/imdb.zip") {
            return URL(fileURLWithPath: root)
        }
        throw InvalidInput("no mirror with datasets/imdb/imdb.zip (looked in: \(roots.joined(separator: ", "))); pass --mirror DIR")
    }

    /// Runs the anchor with `threads` threads and reads its "hf batchN: X MB/s" line.
    private func runAnchor(mirror: URL, threads: Int) throws -> Double {
        guard FileManager.default.fileExists(atPath: anchor) else { throw BenchFailure("\(anchor) not found (run from the package root or pass --anchor)") }
        Log.info("running anchor \(anchor) with \(threads) thread(s) ...")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", anchor, mirror.path, "--threads", String(threads)]
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let text = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchFailure("anchor exited with \(process.terminationStatus): \(errors.split(separator: "\n").last ?? "")")
        }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("hf batch\(threads):") }),
              let figure = line.split(separator: " ").dropFirst(2).first.flatMap({ Double($0) }) else {
            throw BenchFailure("unexpected anchor output: \(text)")
        }
        return figure
    }
}

private func median(_ values: [Double]) -> Double { BenchTiming.median(values) }

private func rounded(_ x: Double) -> Double { (x * 100).rounded() / 100 }
