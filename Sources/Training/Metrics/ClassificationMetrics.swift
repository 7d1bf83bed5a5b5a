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
    /// Mean cross-entropy over the examples evaluated.
    public let loss: Double
    public let confusion: ConfusionMatrix
    /// Number of examples evaluated (a subset when only a few batches are used).
    public var examples: Int { confusion.total }
    public var accuracy: Double { confusion.accuracy }
    public var macroF1: Double { confusion.macroF1 }
    /// With two classes: PR-AUC and ROC-AUC of the second class's probability (spam, positive).
    public let ranking: RankingMetrics?

    public init(split: String, loss: Double, confusion: ConfusionMatrix, ranking: RankingMetrics? = nil) {
        self.split = split
        self.loss = loss
        self.confusion = confusion
        self.ranking = ranking
    }

    /// JSON-ready dictionary: split, examples, loss, accuracy, macro_f1, per_class, confusion.
    public var jsonObject: [String: Any] {
        [
            "split": split, "examples": examples, "loss": loss, "accuracy": accuracy, "macro_f1": macroF1,
            "per_class": confusion.perClass.map {
                ["label": $0.label, "precision": $0.precision, "recall": $0.recall, "f1": $0.f1, "support": $0.support] as [String: Any]
            },
            "confusion": ["labels": confusion.labels, "counts": confusion.counts] as [String: Any],
            "most_confused": confusion.mostConfused().map {
                ["true": $0.truth, "predicted": $0.predicted, "count": $0.count] as [String: Any]
            },
        ].merging(ranking.map { ["positive_class": confusion.labels[1], "pr_auc": $0.averagePrecision, "roc_auc": $0.rocAUC] } ?? [:]) { a, _ in a }
    }

    /// Several lines: accuracy, loss, macro-F1, per-class table, and the confusion matrix (or,
    /// beyond `ConfusionMatrix.textTableLimit` classes, the ten most confused pairs).
    public var summary: String {
        var lines = ["\(split): accuracy \(percent(accuracy)), loss \(String(format: "%.4f", loss)), macro-F1 \(String(format: "%.4f", macroF1)) (\(examples) examples)"]
        if let ranking {
            lines.append(String(format: "  %@ as positive: PR-AUC %.4f, ROC-AUC %.4f", confusion.labels[1], ranking.averagePrecision, ranking.rocAUC))
        }
        let width = max(8, confusion.labels.map(\.count).max() ?? 0)
        func pad(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        lines.append("  " + pad("class") + "  precision  recall      f1  support")
        for c in confusion.perClass {
            lines.append("  " + pad(c.label) + String(format: "  %9.4f  %6.4f  %6.4f  %7d", c.precision, c.recall, c.f1, c.support))
        }
        let matrix = confusion.labels.count > ConfusionMatrix.textTableLimit ? confusion.mostConfusedTable() : confusion.table
        lines.append(contentsOf: matrix.split(separator: "\n").map { "  " + $0 })
        return lines.joined(separator: "\n")
    }
}

/// 0.9567 → "95.67%".
public func percent(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }
