// The run directory's decision plots (hand-written SVG, as curves.svg): the precision–recall and
// ROC curves of the positive class on the test split (two classes), and the reliability diagram
// (accuracy against confidence per bin, with the diagonal of perfect calibration) on the test
// split, before and after temperature scaling when it was fitted.
import Foundation

public enum DecisionPlots {
    public static let precisionRecall = "pr_curve.svg"
    public static let roc = "roc_curve.svg"
    public static let reliability = "reliability.svg"

    /// (recall, precision) and (false positive rate, true positive rate) at every distinct
    /// score, highest first, as scikit-learn's precision_recall_curve and roc_curve (from
    /// (0, 1) and (0, 0)).
    public static func curves(_ scores: BinaryScores) -> (pr: [(x: Double, y: Double)], roc: [(x: Double, y: Double)]) {
        let positiveCount = scores.positives.filter { $0 }.count, negativeCount = scores.positives.count - positiveCount
        guard positiveCount > 0, negativeCount > 0 else { return ([], []) }
        let order = scores.scores.indices.sorted { scores.scores[$0] > scores.scores[$1] }
        var pr: [(x: Double, y: Double)] = [(0, 1)], roc: [(x: Double, y: Double)] = [(0, 0)]
        var tp = 0, fp = 0, i = 0
        while i < order.count {
            let score = scores.scores[order[i]]
            while i < order.count, scores.scores[order[i]] == score {
                if scores.positives[order[i]] { tp += 1 } else { fp += 1 }
                i += 1
            }
            pr.append((Double(tp) / Double(positiveCount), Double(tp) / Double(tp + fp)))
            roc.append((Double(fp) / Double(negativeCount), Double(tp) / Double(positiveCount)))
        }
        return (pr, roc)
    }

    static func document(_ body: String, title: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="480" height="420" viewBox="0 0 480 420" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="240" y="18" text-anchor="middle" font-size="14">\(CurvePlot.escape(title))</text>
        \(body)</svg>

        """
    }

    static let frame = (x: 70.0, y: 50.0, width: 380.0, height: 310.0)

    public static func precisionRecallSVG(_ scores: BinaryScores, title: String) -> String {
        let points = curves(scores).pr
        return document(CurvePlot.panel([.init(name: "test", color: "#1f77b4", dashed: false, points: points)],
                                        title: "Precision-recall", yLabel: "precision", yFloorZero: true, yCeiling: 1,
                                        epochEnds: [], frame: frame, xLabel: "recall"), title: title)
    }

    public static func rocSVG(_ scores: BinaryScores, title: String) -> String {
        let points = curves(scores).roc
        let chance = CurvePlot.Series(name: "chance", color: "#999", dashed: true, points: [(0, 0), (1, 1)])
        return document(CurvePlot.panel([.init(name: "test", color: "#1f77b4", dashed: false, points: points), chance],
                                        title: "ROC", yLabel: "true positive rate", yFloorZero: true, yCeiling: 1,
                                        epochEnds: [], frame: frame, xLabel: "false positive rate"), title: title)
    }

    /// Bin accuracy against bin confidence; `after` is drawn too when given.
    public static func reliabilitySVG(before: CalibrationMetrics, after: CalibrationMetrics?, title: String) -> String {
        func points(_ metrics: CalibrationMetrics) -> [(x: Double, y: Double)] { metrics.bins.map { ($0.confidence, $0.accuracy) } }
        var series = [CurvePlot.Series(name: "perfect", color: "#999", dashed: true, points: [(0, 0), (1, 1)]),
                      .init(name: String(format: after == nil ? "ECE %.3f" : "T=1, ECE %.3f", before.expectedCalibrationError),
                            color: "#1f77b4", dashed: false, points: points(before))]
        if let after {
            series.append(.init(name: String(format: "scaled, ECE %.3f", after.expectedCalibrationError), color: "#ff7f0e", dashed: false,
                                points: points(after)))
        }
        return document(CurvePlot.panel(series, title: "Reliability (15 bins)", yLabel: "accuracy", yFloorZero: true, yCeiling: 1,
                                        epochEnds: [], frame: frame, xLabel: "confidence"), title: title)
    }
}

/// The positive class's probability of each text of a two-class split, with the truth.
public struct BinaryScores: Sendable, Equatable {
    public let scores: [Double]
    public let positives: [Bool]

    public init(scores: [Double], positives: [Bool]) {
        self.scores = scores
        self.positives = positives
    }
}
