import Datasets
import Foundation
import Heads
import TensorEngine

extension SplitEvaluation {
    /// `classifier` on every example of `examples`, longest texts first in batches of
    /// `batchSize` (each padded to its own longest text), decided by `classifier.decision`.
    public static func evaluate(_ classifier: Classifier, _ examples: TokenizedExamples, split: String,
                                batchSize: Int = 32) throws -> SplitEvaluation {
        let batches = try BatchSampler(lengths: examples.lengths, batchSize: batchSize, order: .byLength).batches()
        return try accumulate(split: split, labels: classifier.labels, exampleLabels: examples.labels, targets: examples.targets,
                              decision: classifier.decision, batches: batches) { indices in
            try classifier.logits(classifier.input(indices.map { examples.tokens[$0] }), tape: nil).value.scalars
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
