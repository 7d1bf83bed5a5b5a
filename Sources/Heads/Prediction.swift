// Prediction: texts in, a label and class probabilities out. Texts are batched by length (each
// batch padded only to its own longest text), and pooling ignores padding, so a text gets the
// same prediction alone or in any batch.
import Foundation
import TensorEngine

public struct Prediction: Sendable, Equatable {
    /// The most probable class.
    public let label: String
    public let classIndex: Int
    /// Probabilities in label order (the classifier's `decision`: softmax, or a sigmoid per
    /// class for tags).
    public let probabilities: [Float]
    /// The labels given, in label order: `label` alone, unless a threshold decides (two
    /// classes), or for tags every label at or above its threshold (possibly none).
    public let labels: [String]
    /// Whether the text was longer than the classifier's max length and was cut.
    public let truncated: Bool
    /// Tokens read (after truncation; under `--long-text chunks`, of every window).
    public let tokenCount: Int
    /// Model inputs the text took: more than 1 when `--long-text chunks` cut it into windows.
    public var windowCount: Int = 1
}

extension Classifier {
    /// Logits [texts, classes] for token lists, batched `batchSize` at a time in order of
    /// length; rows come back in the order given.
    public func logits(tokens: [[Int32]], batchSize: Int = 16) throws -> [[Float]] {
        let order = tokens.indices.sorted { tokens[$0].count != tokens[$1].count ? tokens[$0].count > tokens[$1].count : $0 < $1 }
        var result = [[Float]](repeating: [], count: tokens.count)
        var start = 0
        while start < order.count {
            let indices = Array(order[start..<min(start + max(1, batchSize), order.count)])
            let values = try logits(input(indices.map { tokens[$0] }), tape: nil).value.scalars
            let classes = labels.count
            for (row, index) in indices.enumerated() { result[index] = Array(values[row * classes..<(row + 1) * classes]) }
            start += batchSize
        }
        return result
    }

    /// Logits [texts, classes] for each text's windows (`encodeWindows`): every window is
    /// run as `logits(tokens:batchSize:)` runs token lists, and a text's windows are
    /// aggregated by the long-text policy.
    public func logits(windows: [[[Int32]]], batchSize: Int = 16) throws -> [[Float]] {
        let rows = try logits(tokens: windows.flatMap { $0 }, batchSize: batchSize)
        guard rows.count > windows.count else { return rows }
        let flat = try Tensor(shape: [rows.count, labels.count], values: rows.flatMap { $0 }, name: "window logits")
        let texts = try longText.policy.aggregation.aggregate(Variable(flat), counts: windows.map(\.count), tape: nil).value.scalars
        return windows.indices.map { Array(texts[$0 * labels.count..<($0 + 1) * labels.count]) }
    }

    public func predict(_ texts: [String], batchSize: Int = 16) throws -> [Prediction] {
        let encoded = encodeWindows(texts)
        let logits = try logits(windows: encoded.map(\.windows), batchSize: batchSize)
        return zip(encoded, logits).map { encoded, row in
            let (probabilities, given, best) = decision.decide(row)
            return Prediction(label: labels[best], classIndex: best, probabilities: probabilities,
                              labels: given.map { labels[$0] }, truncated: encoded.truncated,
                              tokenCount: encoded.windows.reduce(0) { $0 + $1.count },
                              windowCount: encoded.windows.count)
        }
    }

    public func predict(_ text: String) throws -> Prediction {
        try predict([text])[0]
    }
}

/// Softmax of one row, in Double for the sums.
public func softmax(_ logits: [Float]) -> [Float] {
    guard let top = logits.max() else { return [] }
    let exps = logits.map { Foundation.exp(Double($0 - top)) }
    let sum = exps.reduce(0, +)
    return exps.map { Float($0 / sum) }
}

/// Index of the largest logit (the first on ties), i.e. the predicted class.
public func argmax(_ row: [Float]) -> Int {
    var best = 0
    for i in row.indices where row[i] > row[best] { best = i }
    return best
}
