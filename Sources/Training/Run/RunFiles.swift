// The files of a run directory that grow while training runs: metrics.jsonl (one line per
// evaluation) and curves.svg. Both are rewritten whole (atomically) after every evaluation, so
// a resumed run continues them without duplicates.
import Common
import Foundation
import Inference

public enum RunFiles {
    public static let metrics = "metrics.jsonl"
    public static let curves = "curves.svg"

    public static func writeMetrics(_ history: [EvaluationRecord], plotTitle: String, to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = Data()
        for record in history {
            text.append(try encoder.encode(record))
            text.append(0x0A)
        }
        try AtomicFile.write(text, to: directory.appendingPathComponent(metrics))
        try AtomicFile.write(CurvePlot.svg(history, title: plotTitle), to: directory.appendingPathComponent(curves))
    }

    /// The records of a metrics.jsonl file.
    public static func readMetrics(_ url: URL) throws -> [EvaluationRecord] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").enumerated().map { index, line in
            do { return try JSONDecoder().decode(EvaluationRecord.self, from: Data(line.utf8)) } catch {
                throw InvalidInput("\(url.path), line \(index + 1): not a metrics record: \(describeDecodingError(error))")
            }
        }
    }
}
