// What a run fits on validation after training, besides the weights: a temperature
// (`--calibrate temperature`) and decision thresholds (`--threshold`, `--target-precision`,
// `--target-recall`, `--tune-thresholds`); and the positive weights of the tags' loss
// (`--pos-weight`).
import Common
import Foundation

/// `--calibrate none|temperature` and the task file's `calibrate`.
public enum Calibration: String, Hashable, Sendable, Codable, CaseIterable {
    case none
    /// One temperature for every logit, fitted on validation (minimum NLL).
    case temperature
}

/// `--pos-weight none|balanced|W` and the task file's `pos_weight`: the weight of each tag's
/// positive term in the binary cross-entropy (PyTorch's `pos_weight`).
public enum PositiveWeights: Hashable, Sendable, Codable {
    case none
    /// negatives / positives of each tag in the training split (1 for a tag with no positives).
    case balanced
    /// The same weight for every tag.
    case value(Float)

    public init(parsing text: String) throws {
        switch text {
        case "none": self = .none
        case "balanced": self = .balanced
        default:
            guard let value = Float(text), value.isFinite, value > 0 else {
                throw InvalidInput("--pos-weight: '\(text)' is not none, balanced or a positive number")
            }
            self = .value(value)
        }
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .balanced: "balanced"
        case .value(let w): "\(w)"
        }
    }

    /// One weight per class for training texts with these class ids (nil: unweighted).
    public func weights(targets: [[Int]], classes: Int) -> [Float]? {
        switch self {
        case .none: return nil
        case .value(let w): return Array(repeating: w, count: classes)
        case .balanced:
            var positives = [Int](repeating: 0, count: classes)
            for ids in targets { for c in ids { positives[c] += 1 } }
            return positives.map { $0 == 0 ? 1 : Float(targets.count - $0) / Float($0) }
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Float.self) {
            self = try PositiveWeights(parsing: String(value))
        } else {
            self = try PositiveWeights(parsing: container.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .value(let w): try container.encode(w)
        default: try container.encode(description)
        }
    }
}
