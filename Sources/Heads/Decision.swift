// How logits become probabilities and the labels given: softmax and one class (the argmax, or
// for two classes a threshold on the second class's probability), or, for tags, a sigmoid per
// class and every class at or above its own threshold. Temperature scaling divides the logits
// first. Training fits the temperature and thresholds on validation; checkpoints keep them.
import Foundation

public struct DecisionRule: Codable, Hashable, Sendable {
    public enum Output: String, Codable, Hashable, Sendable, CaseIterable {
        /// One class per text.
        case softmax
        /// Multi-label: each class on its own.
        case sigmoid
    }

    public var output: Output
    /// Logits are divided by it before the softmax or sigmoid (1: unscaled).
    public var temperature: Float
    /// sigmoid: one threshold per class (nil: 0.5 each). softmax: nil for the argmax, or with
    /// two classes one threshold on the second class's probability.
    public var thresholds: [Float]?

    public init(output: Output = .softmax, temperature: Float = 1, thresholds: [Float]? = nil) {
        self.output = output
        self.temperature = temperature
        self.thresholds = thresholds
    }

    public var isMultiLabel: Bool { output == .sigmoid }
    /// The default rule, which checkpoints need not record.
    public var isPlainSoftmax: Bool { output == .softmax && temperature == 1 && thresholds == nil }

    /// The threshold of class `c` (sigmoid), or of the positive class (two-class softmax).
    public func threshold(_ c: Int) -> Float? {
        if let thresholds { return thresholds.count == 1 ? thresholds[0] : thresholds[c] }
        return isMultiLabel ? 0.5 : nil
    }

    /// Probabilities of one row of logits, in class order.
    public func probabilities(_ logits: [Float]) -> [Float] {
        let scaled = temperature == 1 ? logits : logits.map { $0 / temperature }
        return isMultiLabel ? scaled.map(sigmoid) : softmax(scaled)
    }

    /// The class ids given for one row of probabilities: every class at or above its threshold
    /// (sigmoid, possibly none), or exactly one (softmax).
    public func chosen(_ probabilities: [Float]) -> [Int] {
        if isMultiLabel { return probabilities.indices.filter { probabilities[$0] >= threshold($0)! } }
        if probabilities.count == 2, let t = threshold(1) { return [probabilities[1] >= t ? 1 : 0] }
        return [argmax(probabilities)]
    }

    /// One row of logits decided: its probabilities, the class ids given, and the class
    /// reported as the label (the one given, or for tags the most probable).
    public func decide(_ logits: [Float]) -> (probabilities: [Float], given: [Int], best: Int) {
        let scores = self.probabilities(logits)
        let given = chosen(scores)
        return (scores, given, isMultiLabel ? argmax(scores) : given[0])
    }

    /// Whether the rule fits a classifier of `classes` classes.
    public func fits(classes: Int) -> Bool {
        guard temperature > 0, temperature.isFinite else { return false }
        guard let thresholds else { return true }
        let counted = isMultiLabel ? thresholds.count == classes : (classes == 2 && thresholds.count == 1)
        return counted && thresholds.allSatisfy(\.isFinite)
    }

    enum CodingKeys: String, CodingKey { case output, temperature, thresholds }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        output = try c.decodeIfPresent(Output.self, forKey: .output) ?? .softmax
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? 1
        thresholds = try c.decodeIfPresent([Float].self, forKey: .thresholds)
    }
}

/// The logistic function, in Double.
public func sigmoid(_ x: Float) -> Float { Float(1 / (1 + Foundation.exp(-Double(x)))) }
