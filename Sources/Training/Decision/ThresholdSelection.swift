import Common

// Choosing a decision threshold for one yes/no output (a tag, or the positive class of two) from
// its scores on validation. A text is a "yes" when its score is at least the threshold, and the
// candidate cut points are the distinct scores, as in scikit-learn's `precision_recall_curve`.
// The threshold returned for a cut at score s is the midpoint between s and the next lower
// distinct score (s itself for the lowest), which decides every validation text the same way
// and keeps a text whose score is s up to rounding (a duplicate, or computed another way) on
// the same side.
//   best F1:          the threshold of the largest F1 (ties: the lowest such threshold, the
//                     first maximum of that curve, whose thresholds ascend)
//   target precision: the lowest threshold whose precision is at least P (the most recall
//                     with that precision); unreachable → the threshold of the best precision
//   target recall:    the highest threshold whose recall is at least R (the most precision
//                     with that recall)
// With no positive (or only positives) among the scores there is nothing to choose from, and
// the selection keeps the given fallback.

/// How a threshold is chosen (`--threshold auto|VALUE`, `--target-precision`, `--target-recall`,
/// `--tune-thresholds` for tags).
public enum ThresholdChoice: Hashable, Sendable {
    /// The argmax (one class), 0.5 per tag.
    case none
    case fixed(Float)
    case bestF1
    case targetPrecision(Double)
    case targetRecall(Double)

    /// "auto" (best F1), or a number in [0, 1].
    public init(parsing text: String) throws {
        if text == "auto" { self = .bestF1; return }
        guard let value = Float(text), value >= 0, value <= 1 else {
            throw InvalidInput("--threshold: '\(text)' is not auto or a probability from 0 to 1")
        }
        self = .fixed(value)
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .fixed(let value): "\(value)"
        case .bestF1: "auto (best F1 on validation)"
        case .targetPrecision(let p): "target precision \(p) on validation"
        case .targetRecall(let r): "target recall \(r) on validation"
        }
    }
}

/// A threshold with what it gives on the scores it was chosen on.
///
/// Tags (`perLabel`): a tag with fewer than `minimumPositivesOfItsOwn` positive validation texts
/// gets no best-F1 threshold of its own, which on one or two positives lands wherever those few
/// scored, often near 0 (every such text becomes a false positive on test; Yang 2001 saw the same
/// on Reuters-21578). Those tags share one threshold instead, the best F1 over all their scores
/// pooled, i.e. the best micro-F1 over the rare tags.
public struct ThresholdSelection: Sendable, Equatable {
    /// Positive validation texts a tag needs for a best-F1 threshold of its own.
    public static let minimumPositivesOfItsOwn = 10

    public let threshold: Float
    public let precision: Double
    public let recall: Double
    public let f1: Double
    /// False when the target could not be met (or there was nothing to choose from).
    public let reached: Bool

    /// One threshold per tag (column): by `choice` on each column's scores; under `.bestF1`, the
    /// tags with too few positives share the threshold chosen on their scores pooled.
    public static func perLabel(_ choice: ThresholdChoice, columns: [(scores: [Float], positives: [Bool])], fallback: Float) -> [ThresholdSelection] {
        let rare = choice == .bestF1
            ? Set(columns.indices.filter { columns[$0].positives.lazy.filter { $0 }.count < minimumPositivesOfItsOwn }) : []
        let shared = rare.isEmpty ? fallback
            : choose(.bestF1, scores: rare.flatMap { columns[$0].scores }, positives: rare.flatMap { columns[$0].positives }, fallback: fallback).threshold
        return columns.indices.map { c in
            rare.contains(c) ? at(shared, scores: columns[c].scores, positives: columns[c].positives)
                             : choose(choice, scores: columns[c].scores, positives: columns[c].positives, fallback: fallback)
        }
    }

    /// What `threshold` gives on `scores` (a text is a yes when its score is at least the threshold).
    public static func at(_ threshold: Float, scores: [Float], positives: [Bool], reached: Bool = true) -> ThresholdSelection {
        var tp = 0, fp = 0
        for (score, positive) in zip(scores, positives) where score >= threshold { if positive { tp += 1 } else { fp += 1 } }
        return measured(threshold, tp: tp, fp: fp, positives: positives.filter { $0 }.count, reached: reached)
    }

    /// Precision, recall and F1 of `tp` true and `fp` false positives out of `positives`.
    private static func measured(_ threshold: Float, tp: Int, fp: Int, positives: Int, reached: Bool) -> ThresholdSelection {
        let precision = tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp)
        let recall = positives == 0 ? 0 : Double(tp) / Double(positives)
        let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
        return ThresholdSelection(threshold: threshold, precision: precision, recall: recall, f1: f1, reached: reached)
    }

    /// Chooses by `choice` (not `.none` or `.fixed`) on `scores` with the truth `positives`.
    public static func choose(_ choice: ThresholdChoice, scores: [Float], positives: [Bool], fallback: Float) -> ThresholdSelection {
        let positiveCount = positives.filter { $0 }.count
        // Candidates from the highest score down: (threshold, true positives, false positives).
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var points: [(threshold: Float, tp: Int, fp: Int)] = []
        var tp = 0, fp = 0, i = 0
        while i < order.count {
            let score = scores[order[i]]
            while i < order.count, scores[order[i]] == score {
                if positives[order[i]] { tp += 1 } else { fp += 1 }
                i += 1
            }
            points.append((score, tp, fp))
        }
        func selection(_ point: (threshold: Float, tp: Int, fp: Int), reached: Bool) -> ThresholdSelection {
            Self.measured(point.threshold, tp: point.tp, fp: point.fp, positives: positiveCount, reached: reached)
        }
        guard positiveCount > 0, positiveCount < scores.count else {
            return at(fallback, scores: scores, positives: positives, reached: false)
        }
        let measured = points.indices.map { k in
            let lower = k + 1 < points.count ? points[k + 1].threshold : points[k].threshold
            var point = points[k]
            point.threshold = (point.threshold + lower) / 2
            return selection(point, reached: true)
        }
        switch choice {
        case .bestF1:
            // Lowest threshold among the maxima: the last of them from the top.
            let best = measured.map(\.f1).max()!
            return measured.last { $0.f1 == best }!
        case .targetPrecision(let target):
            if let lowest = measured.last(where: { $0.precision >= target }) { return lowest }
            let best = measured.map(\.precision).max()!
            let point = measured.first { $0.precision == best }!
            return ThresholdSelection(threshold: point.threshold, precision: point.precision, recall: point.recall, f1: point.f1, reached: false)
        case .targetRecall(let target):
            return measured.first { $0.recall >= target }!
        case .none, .fixed:
            return selection(points.last { $0.threshold >= fallback } ?? (threshold: fallback, tp: 0, fp: 0), reached: true)
        }
    }
}
