import Datasets
import Foundation
import Heads
import TensorEngine

extension SplitEvaluation {
    /// `classifier` on every example of `examples`, longest texts first in batches of
    /// `batchSize` (each padded to its own longest text; a text read as windows runs them
    /// `batchSize` at a time).
    public static func evaluate(_ classifier: Classifier, _ examples: TokenizedExamples, split: String,
                                batchSize: Int = 32) throws -> SplitEvaluation {
        let batches = try BatchSampler(lengths: examples.lengths, batchSize: batchSize, order: .byLength).batches()
        return try accumulate(split: split, labels: classifier.labels, exampleLabels: examples.labels, batches: batches) { indices in
            try classifier.exampleLogits(examples, indices, rowsPerForward: batchSize, tape: nil) { rows in
                try classifier.logits(classifier.input(rows.map { examples.tokens[$0] }), tape: nil)
            }.value.scalars
        }
    }

    /// Mean cross-entropy (in Double) and the confusion matrix over `batches`, given each
    /// batch's logits (row-major [batch, classes]).
    static func accumulate(split: String, labels: [String], exampleLabels: [Int], batches: [[Int]],
                           logits: ([Int]) throws -> [Float]) throws -> SplitEvaluation {
        var confusion = ConfusionMatrix(labels: labels)
        var lossSum: Double = 0
        let classes = labels.count
        var positiveScores: [Double] = [], positives: [Bool] = []
        for indices in batches {
            let values = try logits(indices)
            for (row, index) in indices.enumerated() {
                let rowLogits = Array(values[row * classes..<(row + 1) * classes])
                let top = Double(rowLogits.max() ?? 0)
                let logSumExp = top + Foundation.log(rowLogits.reduce(0) { $0 + Foundation.exp(Double($1) - top) })
                let label = exampleLabels[index]
                lossSum += logSumExp - Double(rowLogits[label])
                confusion.add(truth: label, predicted: argmax(rowLogits))
                if classes == 2 {
                    positiveScores.append(Foundation.exp(Double(rowLogits[1]) - logSumExp))
                    positives.append(label == 1)
                }
            }
        }
        return SplitEvaluation(split: split, loss: confusion.total == 0 ? 0 : lossSum / Double(confusion.total), confusion: confusion,
                               ranking: RankingMetrics(scores: positiveScores, positives: positives))
    }
}

extension Classifier {
    /// Logits [indices.count, classes] of examples: `rowLogits` runs model inputs (positions in
    /// `examples.tokens`), and a text read as several windows gets its windows' logits
    /// aggregated by the long-text policy (on the tape: training takes the loss of the
    /// aggregate, the logits `predict` computes). Without a tape the windows run at most
    /// `rowsPerForward` at a time, so a batch of long texts stays a batch of modest size.
    func exampleLogits(_ examples: TokenizedExamples, _ indices: [Int], rowsPerForward: Int, tape: Tape?,
                       rowLogits: ([Int]) throws -> Variable) throws -> Variable {
        guard examples.windows != nil else { return try rowLogits(indices) }
        let (rows, counts) = examples.inputs(indices)
        var logits: Variable
        if tape == nil, rows.count > rowsPerForward {
            var values: [Float] = []
            var start = 0
            while start < rows.count {
                values += try rowLogits(Array(rows[start..<min(start + rowsPerForward, rows.count)])).value.scalars
                start += rowsPerForward
            }
            logits = Variable(try Tensor(shape: [rows.count, labels.count], values: values, name: "window logits"))
        } else {
            logits = try rowLogits(rows)
        }
        return try longText.policy.aggregation.aggregate(logits, counts: counts, tape: tape)
    }
}
