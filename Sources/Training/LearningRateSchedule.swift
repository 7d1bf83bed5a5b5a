// Learning-rate schedules as multipliers of the base rate, with the formulas of Hugging Face
// transformers' get_{constant,linear,cosine}_schedule_with_warmup (LambdaLR): the rate of
// optimiser step k (0-based) is base · factor(k).
import Common
import Foundation

public struct LearningRateSchedule: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        /// Warm-up (if any), then the base rate.
        case constant
        /// Warm-up, then linear decay to 0 at the last step.
        case linear
        /// Warm-up, then half a cosine down to 0 at the last step.
        case cosine
    }

    public var kind: Kind
    /// Steps of linear warm-up from 0 to the base rate.
    public var warmupSteps: Int

    public init(_ kind: Kind, warmupSteps: Int = 0) {
        self.kind = kind
        self.warmupSteps = warmupSteps
    }

    public static let constant = LearningRateSchedule(.constant)

    /// Multiplier of the base rate at 0-based step `step` of `totalSteps`.
    public func factor(step: Int, totalSteps: Int) -> Double {
        if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
        switch kind {
        case .constant:
            return 1
        case .linear:
            return max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
        case .cosine:
            let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
            return max(0, 0.5 * (1 + cos(Double.pi * 0.5 * 2 * progress)))
        }
    }

    /// "constant", "linear", "cosine", optionally with ":WARMUP" steps, e.g. "cosine:100".
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let kind = Kind(rawValue: parts[0]), parts.count <= 2 else {
            throw InvalidInput("learning-rate schedule \"\(text)\" is not one of: constant, linear, cosine (optionally :WARMUP_STEPS)")
        }
        var warmup = 0
        if parts.count == 2 {
            guard let n = Int(parts[1]), n >= 0 else { throw InvalidInput("schedule \"\(text)\": warm-up steps must be an integer ≥ 0") }
            warmup = n
        }
        self.init(kind, warmupSteps: warmup)
    }

    public var description: String { warmupSteps > 0 ? "\(kind.rawValue):\(warmupSteps)" : kind.rawValue }

    enum CodingKeys: String, CodingKey {
        case kind, warmupSteps = "warmup_steps"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(Kind.self, forKey: .kind)
        warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? 0
        guard warmupSteps >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .warmupSteps, in: c, debugDescription: "warm-up steps must be ≥ 0")
        }
    }
}
