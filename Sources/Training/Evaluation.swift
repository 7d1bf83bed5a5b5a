import Datasets
import Foundation
import Heads
import TensorEngine

extension SplitEvaluation {
    /// `classifier` on every example of `examples`, longest texts first in batches of
    /// `batchSize` (each padded to its own longest text; a text read as windows runs them
    /// `batchSize` at a time), decided by `classifier.decision`. With `group`, the ranks share
    /// the batches (`accumulate(..., group:)`).
    public static func evaluate(_ classifier: Classifier, _ examples: TokenizedExamples, split: String,
                                batchSize: Int = 32, group: (any DataParallelGroup)? = nil) throws -> SplitEvaluation {
        let batches = try BatchSampler(lengths: examples.lengths, batchSize: batchSize, order: .byLength).batches()
        return try accumulate(split: split, labels: classifier.labels, exampleLabels: examples.labels, targets: examples.targets,
                              decision: classifier.decision, batches: batches, group: group) { indices in
            try classifier.exampleLogits(examples, indices, rowsPerForward: batchSize, tape: nil) { rows in
                try classifier.logits(classifier.input(rows.map { examples.tokens[$0] }), tape: nil)
            }.value.scalars
        }
    }

    /// `accumulate` with the batches shared by the ranks of `group`: rank r runs batches r,
    /// r+N, ... (longest first, so the work spreads evenly), the logits are summed across ranks
    /// into one table (each row is one rank's; the others add exact zeros), and every rank
    /// accumulates the metrics from the same logits in the same order as one process would:
    /// loss, counts and ranking equal to one process's, not merely close.
    static func accumulate(split: String, labels: [String], exampleLabels: [Int], targets: [[Int]]? = nil,
                           decision: DecisionRule = DecisionRule(), batches: [[Int]], group: (any DataParallelGroup)?,
                           logits: ([Int]) throws -> [Float]) throws -> SplitEvaluation {
        guard let group, group.size > 1 else {
            return try accumulate(split: split, labels: labels, exampleLabels: exampleLabels, targets: targets,
                                  decision: decision, batches: batches, logits: logits)
        }
        let classes = labels.count
        let rows = (batches.lazy.compactMap { $0.max() }.max() ?? -1) + 1
        var table = [Float](repeating: 0, count: rows * classes)
        for (number, indices) in batches.enumerated() where number % group.size == group.rank {
            let values = try logits(indices)
            for (row, index) in indices.enumerated() {
                table.replaceSubrange(index * classes..<(index + 1) * classes, with: values[row * classes..<(row + 1) * classes])
            }
        }
        try table.withUnsafeMutableBufferPointer { try group.sum($0) }
        return try accumulate(split: split, labels: labels, exampleLabels: exampleLabels, targets: targets,
                              decision: decision, batches: batches) { indices in
            indices.flatMap { table[$0 * classes..<($0 + 1) * classes] }
        }
    }

    /// Mean loss (in Double), the confusion matrix or the multi-label counts, and the
    /// calibration bins over `batches`, given each batch's logits (row-major [batch, classes]).
    /// The loss is the cross-entropy of the decision's probabilities (softmax, or for tags the
    /// binary cross-entropy of every label), at its temperature.
    static func accumulate(split: String, labels: [String], exampleLabels: [Int], targets: [[Int]]? = nil,
                           decision: DecisionRule = DecisionRule(), batches: [[Int]],
                           logits: ([Int]) throws -> [Float]) throws -> SplitEvaluation {
        var confusion = ConfusionMatrix(labels: labels)
        var multiLabel = targets == nil ? nil : MultiLabelMetrics(labels: labels)
        var calibration = CalibrationMetrics()
        var lossSum: Double = 0, lossTerms = 0
        let classes = labels.count
        let temperature = Double(decision.temperature)
        var positiveScores: [Double] = [], positives: [Bool] = []
        for indices in batches {
            let values = try logits(indices)
            for (row, index) in indices.enumerated() {
                let rowLogits = Array(values[row * classes..<(row + 1) * classes])
                let probabilities = decision.probabilities(rowLogits)
                if let truth = targets?[index] {
                    let truthSet = Set(truth)
                    for (c, logit) in rowLogits.enumerated() {
                        let x = Double(logit) / temperature
                        lossSum += BinaryCrossEntropyKernel.softplus(truthSet.contains(c) ? -x : x)
                    }
                    lossTerms += classes
                    multiLabel?.add(truth: truth, predicted: decision.chosen(probabilities))
                    calibration.add(probabilities: probabilities, truth: truth)
                    continue
                }
                let scaled = rowLogits.map { Double($0) / temperature }
                let top = scaled.max() ?? 0
                let logSumExp = top + Foundation.log(scaled.reduce(0) { $0 + Foundation.exp($1 - top) })
                let label = exampleLabels[index]
                lossSum += logSumExp - scaled[label]
                lossTerms += 1
                confusion.add(truth: label, predicted: decision.chosen(probabilities)[0])
                calibration.add(probabilities: probabilities, truth: label)
                if classes == 2 {
                    positiveScores.append(Foundation.exp(scaled[1] - logSumExp))
                    positives.append(label == 1)
                }
            }
        }
        var evaluation = SplitEvaluation(split: split, loss: lossTerms == 0 ? 0 : lossSum / Double(lossTerms), confusion: confusion,
                                         ranking: RankingMetrics(scores: positiveScores, positives: positives),
                                         multiLabel: multiLabel, calibration: calibration)
        if classes == 2, targets == nil { evaluation.scores = BinaryScores(scores: positiveScores, positives: positives) }
        return evaluation
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
