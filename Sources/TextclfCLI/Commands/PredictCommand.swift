import ArgumentParser
import Common
import Foundation
import Heads
import Inference
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
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: "Texts to classify.") var texts: [String] = []

    @Option(help: ArgumentHelp("Read texts from this file (JSON lines or plain lines).", valueName: "file"))
    var file: String?

    @Option(help: "Texts per batch.") var batchSize = 16

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard texts.isEmpty || file == nil else { throw ValidationError("give texts as arguments or --file, not both") }
    }

    func run() throws {
        let store = try self.store.makeStore()
        let loaded = try modelOptions.load(store: store)
        var inputs: [[String: Any]] = texts.map { ["text": $0] }
        var jsonInput = false
        if texts.isEmpty {
            let source: String
            let data: Data
            if let file {
                source = file
                let url = URL(fileURLWithPath: file)
                do { data = try Data(contentsOf: url) } catch {
                    throw InvalidInput("\(file): cannot be read: \(unreadableFileReason(url, error))")
                }
            } else {
                source = "stdin"
                data = FileHandle.standardInput.readDataToEndOfFile()
            }
            (inputs, jsonInput) = try Self.parseLines(data, source: source)
        }
        let predictions = try loaded.predict(inputs.map { $0["text"] as! String }, batchSize: batchSize)
        let labels = loaded.labels
        let multiLabel = loaded.classifier.decision.isMultiLabel
        for (input, prediction) in zip(inputs, predictions) {
            if output.json || jsonInput {
                var object = input
                if !jsonInput { object.removeValue(forKey: "text") }
                object["label"] = prediction.label
                if multiLabel { object["labels"] = prediction.labels }
                object["probabilities"] = Dictionary(uniqueKeysWithValues: zip(labels, prediction.probabilities.map(Double.init)))
                object["truncated"] = prediction.truncated
                object["tokens"] = prediction.tokenCount
                JSONLines.emit(object)
            } else {
                let text = (input["text"] as! String).replacingOccurrences(of: "\n", with: " ")
                if multiLabel {
                    let given = prediction.labels.compactMap { labels.firstIndex(of: $0) }
                    print("\(prediction.labels.joined(separator: ","))\t\(given.map { String(format: "%.4f", prediction.probabilities[$0]) }.joined(separator: ","))\t\(text)\(prediction.truncated ? "  (truncated)" : "")")
                    continue
                }
                print("\(prediction.label)\t\(String(format: "%.4f", prediction.probabilities[prediction.classIndex]))\t\(text)\(prediction.truncated ? "  (truncated)" : "")")
            }
        }
    }

    /// JSON lines ({"text": ...}) or plain lines; the format is decided by the first non-empty
    /// line, and then every line must follow it. Empty lines are skipped.
    static func parseLines(_ data: Data, source: String) throws -> (inputs: [[String: Any]], json: Bool) {
        var inputs: [[String: Any]] = []
        var json: Bool?
        // Decoded line by line, so invalid UTF-8 is reported with its line number.
        for (index, bytes) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            guard let rawLine = String(validating: bytes, as: UTF8.self) else {
                throw InvalidInput("\(source), line \(index + 1): not valid UTF-8")
            }
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : Substring(rawLine)
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if json == nil { json = line.hasPrefix("{") }
            if json == true {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw InvalidInput("\(source), line \(index + 1): not a JSON object (the input is JSON lines, as its first line)")
                }
                guard let value = object["text"] as? String else {
                    throw InvalidInput("\(source), line \(index + 1): no \"text\" string in the object")
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
