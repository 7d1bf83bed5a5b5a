import ArgumentParser
import Common
import Foundation
import Heads
import Inference
import ScaleOut
import Store

/// `textclf predict`: labels for texts given as arguments, in a file, or on stdin.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify texts with a trained classifier.",
        discussion: """
        Texts come from the arguments, else from --file, else from stdin, one per line: either \
        a JSON object with a "text" key (JSON lines; other keys such as "id" are copied to the \
        output) or plain text. Texts are batched by length; a text gets the same prediction alone \
        or in any batch. A text longer than the model's max length is cut, and says so.

        Output: with --json (or JSON lines in), one JSON line per text with keys label, \
        probabilities ({label: p}), truncated, tokens, plus the input's other keys; otherwise \
        label<TAB>probability<TAB>text, with "(truncated)" after cut texts. A model for tags \
        (multi-label) gives every label at or above its threshold: the key labels (a list, \
        possibly empty; label is the most probable one), or label1,label2<TAB>p1,p2<TAB>text. \
        A model's fitted temperature and thresholds (classifier.json, "decision") always apply.

        Examples:
          textclf predict --model runs/spam-20250101-120000 "WINNER! Claim your prize now" "See you at 6?"
          textclf predict --model runs/spam-20250101-120000 --file messages.jsonl > labels.jsonl
          cat texts.txt | textclf predict --model runs/spam-20250101-120000 --json
          mpirun -np 4 textclf predict --model runs/spam-20250101-120000 --file big.jsonl --output out.jsonl

        Under mpirun with --file, each rank classifies the lines that start in its share of the \
        file's bytes, and rank 0 writes every result in input order: the same bytes as one process.
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: "Texts to classify.") var texts: [String] = []

    @Option(help: ArgumentHelp("Read texts from this file (JSON lines or plain lines).", valueName: "file"))
    var file: String?

    @Option(help: "Texts per batch.") var batchSize = 16

    @Option(name: .customLong("output"), help: ArgumentHelp("Write the results to this file, atomically (default: stdout).", valueName: "file"))
    var outputFile: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard texts.isEmpty || file == nil else { throw ValidationError("give texts as arguments or --file, not both") }
    }

    func run() throws {
        let job = try ScaleOutJob.join()
        // Under mpirun the ranks share a --file; texts from arguments or stdin are rank 0's alone.
        let shard = file != nil ? job.flatMap { $0.size > 1 ? $0 : nil } : nil
        if let job, shard == nil, job.rank != 0 { return }
        let store = try self.store.makeStore()
        let loaded = try modelOptions.load(store: store)
        var inputs: [[String: Any]] = texts.map { ["text": $0] }
        var jsonInput = false
        if texts.isEmpty {
            let source: String
            var data: Data
            var firstLine = 1
            var format: Bool?
            if let file, let shard {
                source = file
                data = try LineShards.read(URL(fileURLWithPath: file), rank: shard.rank, size: shard.size)
                // Line numbers (for messages) continue from the ranks before; the format is that
                // of the file's first non-empty line, wherever it lies.
                let lines = try shard.gather(Int64(data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }))
                firstLine += Int(lines[..<shard.rank].reduce(0, +))
                let formats = try shard.gather(Self.firstLineIsJSON(data).map { $0 ? 1 : 2 } ?? 0)
                format = formats.first { $0 != 0 }.map { $0 == 1 }
            } else if let file {
                source = file
                let url = URL(fileURLWithPath: file)
                do { data = try Data(contentsOf: url) } catch {
                    throw InvalidInput("\(file): cannot be read: \(unreadableFileReason(url, error))")
                }
            } else {
                source = "stdin"
                data = FileHandle.standardInput.readDataToEndOfFile()
            }
            (inputs, jsonInput) = try Self.parseLines(data, source: source, firstLine: firstLine, json: format)
        }
        let predictions = try loaded.predict(inputs.map { $0["text"] as! String }, batchSize: batchSize)
        let labels = loaded.labels
        let multiLabel = loaded.classifier.decision.isMultiLabel
        var results = Data()
        for (input, prediction) in zip(inputs, predictions) {
            if output.json || jsonInput {
                var object = input
                if !jsonInput { object.removeValue(forKey: "text") }
                object["label"] = prediction.label
                if multiLabel { object["labels"] = prediction.labels }
                object["probabilities"] = Dictionary(uniqueKeysWithValues: zip(labels, prediction.probabilities.map(Double.init)))
                object["truncated"] = prediction.truncated
                object["tokens"] = prediction.tokenCount
                results.append(JSONLines.line(object) ?? Data())
            } else {
                let text = (input["text"] as! String).replacingOccurrences(of: "\n", with: " ")
                if multiLabel {
                    let given = prediction.labels.compactMap { labels.firstIndex(of: $0) }
                    results.append(contentsOf: "\(prediction.labels.joined(separator: ","))\t\(given.map { String(format: "%.4f", prediction.probabilities[$0]) }.joined(separator: ","))\t\(text)\(prediction.truncated ? "  (truncated)" : "")\n".utf8)
                    continue
                }
                results.append(contentsOf: "\(prediction.label)\t\(String(format: "%.4f", prediction.probabilities[prediction.classIndex]))\t\(text)\(prediction.truncated ? "  (truncated)" : "")\n".utf8)
            }
        }
        try write(results, shard: shard)
    }

    /// This process's results, or (in a job) every rank's in rank order, to --output or stdout;
    /// rank 0 writes, receiving the others' results one rank at a time.
    private func write(_ results: Data, shard: Communicator?) throws {
        let lengths = try shard?.gather(Int64(results.count))
        if let shard, shard.rank != 0 {
            try shard.send(Array(results), to: 0)
            return
        }
        let body = { (handle: FileHandle) in
            handle.write(results)
            for (rank, length) in (lengths ?? []).enumerated().dropFirst() {
                handle.write(Data(try shard!.receive(count: Int(length), from: rank)))
            }
        }
        if let outputFile {
            try AtomicFile.write(to: URL(fileURLWithPath: outputFile), body)
        } else {
            try body(FileHandle.standardOutput)
        }
    }

    /// Whether the first non-empty line is a JSON object (nil: no such line), as `parseLines` decides.
    static func firstLineIsJSON(_ data: Data) -> Bool? {
        for bytes in data.split(separator: 0x0A) {
            let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line == "\r" { continue }
            return line.hasPrefix("{")
        }
        return nil
    }

    /// JSON lines ({"text": ...}) or plain lines; the format is decided by the first non-empty
    /// line, and then every line must follow it. Empty lines are skipped.
    /// `firstLine` numbers the data's first line; `json` (when known) is the format.
    static func parseLines(_ data: Data, source: String, firstLine: Int = 1, json format: Bool? = nil) throws -> (inputs: [[String: Any]], json: Bool) {
        var inputs: [[String: Any]] = []
        var json = format
        // Decoded line by line, so invalid UTF-8 is reported with its line number.
        for (index, bytes) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            guard let rawLine = String(validating: bytes, as: UTF8.self) else {
                throw InvalidInput("\(source), line \(index + firstLine): not valid UTF-8")
            }
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : Substring(rawLine)
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if json == nil { json = line.hasPrefix("{") }
            if json == true {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw InvalidInput("\(source), line \(index + firstLine): not a JSON object (the input is JSON lines, as its first line)")
                }
                guard let value = object["text"] as? String else {
                    throw InvalidInput("\(source), line \(index + firstLine): no \"text\" string in the object")
                }
                var copy = object
                copy["text"] = value
                inputs.append(copy)
            } else {
                inputs.append(["text": String(line)])
            }
        }
        return (inputs, json ?? false)
    }
}
