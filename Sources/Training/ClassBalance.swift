// What a run does about unequal class counts: weight the loss (`--class-weights`) and/or draw
// batches so that each class is seen equally often (`--sampler balanced`). Both are computed
// from the training split's counts, as scikit-learn's `compute_class_weight("balanced")` and
// PyTorch's `WeightedRandomSampler` do.
import Common
import Foundation

/// `--class-weights none|balanced|w1,w2,…` and the task file's `class_weights`.
public enum ClassWeights: Hashable, Sendable, Codable {
    case none
    /// n_samples / (n_classes · count_c), as scikit-learn's "balanced".
    case balanced
    /// One weight per class, in class-id order.
    case explicit([Float])

    /// "none", "balanced", or comma-separated numbers.
    public init(parsing text: String) throws {
        switch text {
        case "none": self = .none
        case "balanced": self = .balanced
        default:
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            let values = parts.map { Float($0.trimmingCharacters(in: .whitespaces)) }
            let weights = values.compactMap { $0 }
            guard weights.count == values.count, weights.allSatisfy({ $0.isFinite && $0 >= 0 }), weights.contains(where: { $0 > 0 }) else {
                throw InvalidInput("class weights: '\(text)' is not none, balanced, or comma-separated numbers ≥ 0 (not all 0)")
            }
            self = .explicit(weights)
        }
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .balanced: "balanced"
        case .explicit(let weights): weights.map { String($0) }.joined(separator: ",")
        }
    }

    /// The per-class loss weights for a training split with these labels (nil: unweighted).
    public func weights(labels: [Int], classes: [String]) throws -> [Float]? {
        switch self {
        case .none:
            return nil
        case .explicit(let weights):
            guard weights.count == classes.count else {
                throw InvalidInput("class weights: \(weights.count) given for \(classes.count) classes (\(classes.joined(separator: ", ")))")
            }
            return weights
        case .balanced:
            let counts = try ClassCounts(labels: labels, classes: classes)
            return counts.counts.map { Float(Double(labels.count) / (Double(classes.count) * Double($0))) }
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let weights = try? container.decode([Float].self) {
            self = try ClassWeights(parsing: weights.map { String($0) }.joined(separator: ","))
        } else {
            self = try ClassWeights(parsing: container.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .explicit(let weights): try container.encode(weights)
        default: try container.encode(description)
        }
    }
}

/// `--sampler shuffle|balanced` and the task file's `sampler`.
public enum ClassSampler: String, Hashable, Sendable, Codable, CaseIterable {
    /// Every training example once per epoch, in shuffled (length-bucketed) batches.
    case shuffle
    /// As many draws per epoch as examples, with replacement, each class equally likely
    /// (an example's chance is 1 / (n_classes · count of its class)).
    case balanced

    /// Each training example's draw weight (nil: the plain shuffle).
    public func sampleWeights(labels: [Int], classes: [String]) throws -> [Double]? {
        guard self == .balanced else { return nil }
        let counts = try ClassCounts(labels: labels, classes: classes)
        return labels.map { 1 / Double(counts.counts[$0]) }
    }
}

/// How many training examples each class has; refuses a class with none, which neither a
/// balanced weight nor a balanced draw can be computed for.
struct ClassCounts {
    let counts: [Int]

    init(labels: [Int], classes: [String]) throws {
        var counts = [Int](repeating: 0, count: classes.count)
        for label in labels { counts[label] += 1 }
        if let empty = counts.firstIndex(of: 0) {
            throw InvalidInput("class balance: class '\(classes[empty])' has no training examples")
        }
        self.counts = counts
    }
}
