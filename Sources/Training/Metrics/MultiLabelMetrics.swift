// Multi-label figures, as scikit-learn computes them on 0/1 indicator matrices (zero_division=0):
// micro-F1 (pooled counts of every label), macro-F1 (the unweighted mean of per-label F1),
// subset accuracy (the whole set right), Hamming loss (wrong label decisions / (texts · labels)),
// and label cardinality (labels per text), predicted and true.

public struct MultiLabelMetrics: Codable, Sendable, Equatable {
    public let labels: [String]
    public private(set) var truePositives: [Int]
    public private(set) var falsePositives: [Int]
    public private(set) var falseNegatives: [Int]
    public private(set) var examples = 0
    /// Texts whose predicted set is exactly the true set.
    public private(set) var exactMatches = 0

    public init(labels: [String]) {
        self.labels = labels
        truePositives = Array(repeating: 0, count: labels.count)
        falsePositives = truePositives
        falseNegatives = truePositives
    }

    /// One text: its true class ids and those predicted.
    public mutating func add(truth: [Int], predicted: [Int]) {
        let t = Set(truth), p = Set(predicted)
        for c in t.intersection(p) { truePositives[c] += 1 }
        for c in p.subtracting(t) { falsePositives[c] += 1 }
        for c in t.subtracting(p) { falseNegatives[c] += 1 }
        examples += 1
        if t == p { exactMatches += 1 }
    }

    public var microF1: Double {
        let tp = truePositives.reduce(0, +), wrong = falsePositives.reduce(0, +) + falseNegatives.reduce(0, +)
        return tp == 0 ? 0 : Double(2 * tp) / Double(2 * tp + wrong)
    }
    public var macroF1: Double { labels.isEmpty ? 0 : labels.indices.reduce(0) { $0 + f1($1) } / Double(labels.count) }
    public var subsetAccuracy: Double { examples == 0 ? 0 : Double(exactMatches) / Double(examples) }
    public var hammingLoss: Double {
        examples == 0 ? 0 : Double(falsePositives.reduce(0, +) + falseNegatives.reduce(0, +)) / Double(examples * labels.count)
    }
    /// Mean labels per text, predicted and true.
    public var predictedCardinality: Double { examples == 0 ? 0 : Double(truePositives.reduce(0, +) + falsePositives.reduce(0, +)) / Double(examples) }
    public var trueCardinality: Double { examples == 0 ? 0 : Double(truePositives.reduce(0, +) + falseNegatives.reduce(0, +)) / Double(examples) }

    public func support(_ c: Int) -> Int { truePositives[c] + falseNegatives[c] }
    public func precision(_ c: Int) -> Double { ratio(truePositives[c], truePositives[c] + falsePositives[c]) }
    public func recall(_ c: Int) -> Double { ratio(truePositives[c], support(c)) }
    public func f1(_ c: Int) -> Double {
        let p = precision(c), r = recall(c)
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }

    public var perLabel: [ClassMetrics] {
        labels.indices.map { ClassMetrics(label: labels[$0], precision: precision($0), recall: recall($0), f1: f1($0), support: support($0)) }
    }

    private func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

    enum CodingKeys: String, CodingKey {
        case labels, truePositives = "true_positives", falsePositives = "false_positives", falseNegatives = "false_negatives"
        case examples, exactMatches = "exact_matches"
    }
}
