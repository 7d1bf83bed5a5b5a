// Threshold-free figures of a binary classifier's scores, as scikit-learn computes them:
// average precision (`average_precision_score`, the PR-AUC without interpolation) and the area
// under the ROC curve (`roc_auc_score`). Tied scores form one threshold, as there.

/// Scores of the positive class with the truth, for PR-AUC and ROC-AUC.
public struct RankingMetrics: Codable, Sendable, Equatable {
    /// Σ_n (R_n − R_{n−1}) · P_n over the distinct score thresholds, highest first.
    public let averagePrecision: Double
    public let rocAUC: Double

    /// nil when one of the two classes is absent (both figures are undefined then).
    public init?(scores: [Double], positives: [Bool]) {
        let positiveCount = positives.filter { $0 }.count
        let negativeCount = positives.count - positiveCount
        guard positiveCount > 0, negativeCount > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var truePositives = 0, falsePositives = 0
        var averagePrecision = 0.0, area = 0.0
        var previousRecall = 0.0, previousFalseRate = 0.0, previousTrueRate = 0.0
        var i = 0
        while i < order.count {
            // Every example with this score crosses the threshold together.
            let score = scores[order[i]]
            while i < order.count, scores[order[i]] == score {
                if positives[order[i]] { truePositives += 1 } else { falsePositives += 1 }
                i += 1
            }
            let recall = Double(truePositives) / Double(positiveCount)
            let precision = Double(truePositives) / Double(truePositives + falsePositives)
            averagePrecision += (recall - previousRecall) * precision
            previousRecall = recall
            let falseRate = Double(falsePositives) / Double(negativeCount)
            area += (falseRate - previousFalseRate) * (recall + previousTrueRate) / 2
            previousFalseRate = falseRate
            previousTrueRate = recall
        }
        self.averagePrecision = averagePrecision
        self.rocAUC = area
    }

    enum CodingKeys: String, CodingKey {
        case averagePrecision = "pr_auc", rocAUC = "roc_auc"
    }
}
