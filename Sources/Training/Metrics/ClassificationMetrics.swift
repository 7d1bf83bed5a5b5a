import Foundation
// Classification metrics from a confusion matrix: accuracy, per-class precision / recall / F1,
// macro-F1 (the unweighted mean of the per-class F1). A class never predicted has precision 0,
// a class that never occurs has recall 0 (scikit-learn's zero_division=0).

/// counts[true][predicted], with the class names.
public struct ConfusionMatrix: Codable, Hashable, Sendable {
    public let labels: [String]
    public private(set) var counts: [[Int]]

    public init(labels: [String]) {
        self.labels = labels
        counts = Array(repeating: Array(repeating: 0, count: labels.count), count: labels.count)
    }

    /// From a hand-made table (tests, reports); rows are true classes.
    public init(labels: [String], counts: [[Int]]) {
        precondition(counts.count == labels.count && counts.allSatisfy { $0.count == labels.count }, "a \(labels.count)×\(labels.count) table")
        self.labels = labels
        self.counts = counts
    }

    public mutating func add(truth: Int, predicted: Int) {
        counts[truth][predicted] += 1
    }

    public var total: Int { counts.joined().reduce(0, +) }
    public var correct: Int { labels.indices.reduce(0) { $0 + counts[$1][$1] } }
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// Examples whose true class is `c` (row sum).
    public func support(_ c: Int) -> Int { counts[c].reduce(0, +) }
    /// Examples predicted as `c` (column sum).
    public func predictedCount(_ c: Int) -> Int { counts.reduce(0) { $0 + $1[c] } }

    public func precision(_ c: Int) -> Double { ratio(counts[c][c], predictedCount(c)) }
    public func recall(_ c: Int) -> Double { ratio(counts[c][c], support(c)) }
    public func f1(_ c: Int) -> Double {
        let p = precision(c), r = recall(c)
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }
    public var macroF1: Double { labels.isEmpty ? 0 : labels.indices.reduce(0) { $0 + f1($1) } / Double(labels.count) }

    private func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

    /// Per-class figures, in class order.
    public var perClass: [ClassMetrics] {
        labels.indices.map { ClassMetrics(label: labels[$0], precision: precision($0), recall: recall($0), f1: f1($0), support: support($0)) }
    }

    /// The matrix as aligned text, rows = true class, columns = predicted class.
    public var table: String {
        let width = max(6, (labels.map(\.count).max() ?? 0), String(counts.joined().max() ?? 0).count)
        func pad(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        var lines = [pad("true\\pred") + " " + labels.map(pad).joined(separator: " ")]
        for (c, row) in counts.enumerated() { lines.append(pad(labels[c]) + " " + row.map { pad(String($0)) }.joined(separator: " ")) }
        return lines.joined(separator: "\n")
    }

    /// A matrix of more classes than this is not printed as text (77 columns of intent names
    /// are thousands of characters wide): `summary` lists the most confused pairs instead.
    public static let textTableLimit = 10

    /// The off-diagonal cells with the most examples, largest first (ties in class order):
    /// which true class is most often predicted as which other class. Empty cells are left out.
    public func mostConfused(limit: Int = 10) -> [ConfusedPair] {
        var cells: [ConfusedPair] = []
        for (t, row) in counts.enumerated() {
            for (p, count) in row.enumerated() where t != p && count > 0 {
                cells.append(ConfusedPair(truth: labels[t], predicted: labels[p], count: count, shareOfTruth: ratio(count, support(t))))
            }
        }
        // A stable sort on the count keeps class order (row, then column) among ties.
        return Array(cells.enumerated().sorted { ($0.element.count, -$0.offset) > ($1.element.count, -$1.offset) }.map(\.element).prefix(limit))
    }

    /// `mostConfused` as aligned text, one pair a line.
    public func mostConfusedTable(limit: Int = 10) -> String {
        let pairs = mostConfused(limit: limit)
        guard !pairs.isEmpty else { return "no confusions" }
        let width = max(10, pairs.map(\.truth.count).max() ?? 0)
        func pad(_ s: String) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
        var lines = ["most confused (true -> predicted, examples, share of the true class):"]
        for pair in pairs {
            lines.append("  " + pad(pair.truth) + " -> " + pair.predicted + String(format: "  %d (%.1f%%)", pair.count, 100 * pair.shareOfTruth))
        }
        return lines.joined(separator: "\n")
    }

    enum CodingKeys: String, CodingKey { case labels, counts }
}

/// One off-diagonal cell of a confusion matrix.
public struct ConfusedPair: Codable, Hashable, Sendable {
    public let truth: String
    public let predicted: String
    public let count: Int
    /// count / examples of the true class.
    public let shareOfTruth: Double
}

public struct ClassMetrics: Codable, Hashable, Sendable {
    public let label: String
    public let precision: Double
    public let recall: Double
    public let f1: Double
    public let support: Int
}

/// What one evaluation of a split gives.
public struct SplitEvaluation: Codable, Sendable, Equatable {
    public let split: String
    /// Mean cross-entropy over the examples evaluated (for tags: the binary cross-entropy
    /// over every text and label).
    public let loss: Double
    /// Single-label: true × predicted counts (empty for tags).
    public let confusion: ConfusionMatrix
    /// Number of examples evaluated (a subset when only a few batches are used).
    public var examples: Int { multiLabel?.examples ?? confusion.total }
    /// Accuracy; for tags, subset accuracy (the whole label set right).
    public var accuracy: Double { multiLabel?.subsetAccuracy ?? confusion.accuracy }
    public var macroF1: Double { multiLabel?.macroF1 ?? confusion.macroF1 }
    /// With two classes: PR-AUC and ROC-AUC of the second class's probability (spam, positive).
    public let ranking: RankingMetrics?
    /// Tags: the multi-label counts (micro/macro-F1, Hamming loss, cardinality, per label).
    public let multiLabel: MultiLabelMetrics?
    /// Reliability bins and the expected calibration error of the probabilities.
    public let calibration: CalibrationMetrics?
    /// With two classes: every text's positive probability (for the PR and ROC curves; not
    /// saved in resume states).
    public var scores: BinaryScores? = nil

    enum CodingKeys: String, CodingKey { case split, loss, confusion, ranking, multiLabel = "multi_label", calibration }

    public init(split: String, loss: Double, confusion: ConfusionMatrix, ranking: RankingMetrics? = nil,
                multiLabel: MultiLabelMetrics? = nil, calibration: CalibrationMetrics? = nil) {
        self.split = split
        self.loss = loss
        self.confusion = confusion
        self.ranking = ranking
        self.multiLabel = multiLabel
        self.calibration = calibration
    }

    /// JSON-ready dictionary: split, examples, loss, accuracy, macro_f1, per_class, confusion;
    /// ece; for tags (multi_label true) micro_f1, subset_accuracy, hamming_loss,
    /// cardinality {predicted, true} and per_label instead of per_class and confusion.
    public var jsonObject: [String: Any] {
        var object: [String: Any] = ["split": split, "examples": examples, "loss": loss, "accuracy": accuracy, "macro_f1": macroF1]
        if let calibration { object["ece"] = calibration.expectedCalibrationError }
        if let m = multiLabel {
            object["multi_label"] = true
            object["micro_f1"] = m.microF1
            object["subset_accuracy"] = m.subsetAccuracy
            object["hamming_loss"] = m.hammingLoss
            object["cardinality"] = ["predicted": m.predictedCardinality, "true": m.trueCardinality]
            object["per_label"] = m.perLabel.map(\.jsonObject)
            return object
        }
        object["per_class"] = confusion.perClass.map(\.jsonObject)
        object["confusion"] = ["labels": confusion.labels, "counts": confusion.counts] as [String: Any]
        object["most_confused"] = confusion.mostConfused().map { ["true": $0.truth, "predicted": $0.predicted, "count": $0.count] as [String: Any] }
        if let ranking {
            object["positive_class"] = confusion.labels[1]
            object["pr_auc"] = ranking.averagePrecision
            object["roc_auc"] = ranking.rocAUC
        }
        return object
    }

    /// Several lines: accuracy, loss, macro-F1, per-class table, and the confusion matrix (or,
    /// beyond `ConfusionMatrix.textTableLimit` classes, the ten most confused pairs). For tags:
    /// micro/macro-F1, subset accuracy, Hamming loss, cardinality and the per-label table.
    public var summary: String {
        var lines: [String] = []
        let perClass: [ClassMetrics]
        if let m = multiLabel {
            lines.append(String(format: "%@: micro-F1 %.4f, macro-F1 %.4f, subset accuracy %@, Hamming loss %.4f, loss %.4f (%d examples)",
                                split, m.microF1, m.macroF1, percent(m.subsetAccuracy), m.hammingLoss, loss, examples))
            lines.append(String(format: "  labels per text: %.3f predicted, %.3f true", m.predictedCardinality, m.trueCardinality))
            perClass = m.perLabel
        } else {
            lines.append("\(split): accuracy \(percent(accuracy)), loss \(String(format: "%.4f", loss)), macro-F1 \(String(format: "%.4f", macroF1)) (\(examples) examples)")
            if let ranking {
                lines.append(String(format: "  %@ as positive: PR-AUC %.4f, ROC-AUC %.4f", confusion.labels[1], ranking.averagePrecision, ranking.rocAUC))
            }
            perClass = confusion.perClass
        }
        if let calibration { lines.append(String(format: "  expected calibration error %.4f", calibration.expectedCalibrationError)) }
        let width = max(8, perClass.map(\.label.count).max() ?? 0)
        func pad(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        lines.append("  " + pad(multiLabel == nil ? "class" : "label") + "  precision  recall      f1  support")
        for c in perClass {
            lines.append("  " + pad(c.label) + String(format: "  %9.4f  %6.4f  %6.4f  %7d", c.precision, c.recall, c.f1, c.support))
        }
        if multiLabel == nil {
            let matrix = confusion.labels.count > ConfusionMatrix.textTableLimit ? confusion.mostConfusedTable() : confusion.table
            lines.append(contentsOf: matrix.split(separator: "\n").map { "  " + $0 })
        }
        return lines.joined(separator: "\n")
    }
}

extension ClassMetrics {
    var jsonObject: [String: Any] { ["label": label, "precision": precision, "recall": recall, "f1": f1, "support": support] }
}

/// 0.9567 → "95.67%".
public func percent(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }
