// Gradual unfreezing (Howard & Ruder, ULMFiT, 2018): train the head first (and, for GPT-2, the
// final norm), then unfreeze one more block from the top every N epochs, up to what the
// trainable policy allows. The stage in force is a pure function of the optimiser step, so a
// resumed run unfreezes at the same steps as an uninterrupted one; the resume state records the
// stage its saved tensors belong to.
import Common
import Foundation
import Heads

/// When the backbone's blocks start to train, as written in config.json (`"unfreeze"`) and
/// given to `--unfreeze`.
public enum UnfreezeSchedule: Hashable, Sendable, TextCodable {
    /// The trainable policy from the first step.
    case none
    /// Head (and final norm) first, then one more block from the top every `epochs` epochs
    /// (fractions allowed: 0.5 unfreezes twice an epoch), up to the trainable policy; under
    /// `all` the embeddings come last.
    case gradual(epochs: Double)

    /// "none", "gradual" (one block per epoch) or "gradual:N".
    public init(parsing text: String) throws {
        if text == "none" { self = .none; return }
        if text == "gradual" { self = .gradual(epochs: 1); return }
        if text.hasPrefix("gradual:"), let n = Double(text.dropFirst("gradual:".count)), n.isFinite, n > 0 {
            self = .gradual(epochs: n)
            return
        }
        throw InvalidInput("unfreeze schedule \"\(text)\" is not one of: none, gradual, gradual:N (N epochs per block, a positive number)")
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .gradual(let epochs): "gradual:" + (epochs == epochs.rounded() && epochs < 1e15 ? String(Int(epochs)) : String(epochs))
        }
    }

}

/// The trainable policy of each stage of a run, and the step each stage starts at.
public struct UnfreezingPlan: Sendable, Equatable {
    /// Stage k's policy; one stage without gradual unfreezing.
    public let stages: [TrainablePolicy]
    /// Optimiser steps per stage (the last stage lasts to the end).
    public let stepsPerStage: Int

    /// Stages for `schedule` under the policy `limit` (the most that may train): `last-0-blocks`
    /// (head and final norm), `last-1-blocks`, ... up to `limit`; under `all`, every block and
    /// then the embeddings. `head` leaves one stage.
    public init(_ schedule: UnfreezeSchedule, limit: TrainablePolicy, blockCount: Int, stepsPerEpoch: Int) {
        switch schedule {
        case .none:
            stages = [limit]
            stepsPerStage = Int.max
        case .gradual(let epochs):
            switch limit {
            case .head, .lora: stages = [limit]
            case .lastBlocks(let n): stages = (0...min(n, blockCount)).map { .lastBlocks($0) }
            case .all: stages = (0...blockCount).map { .lastBlocks($0) } + [.all]
            }
            stepsPerStage = max(1, Int((epochs * Double(stepsPerEpoch)).rounded()))
        }
    }

    /// The stage in force for the optimiser step that follows `steps` steps.
    public func stage(afterSteps steps: Int) -> Int {
        min(stages.count - 1, steps / stepsPerStage)
    }

    public func policy(afterSteps steps: Int) -> TrainablePolicy { stages[stage(afterSteps: steps)] }

    /// The policy of the last stage a run of `totalSteps` steps reaches: everything that ever
    /// trains in it (what checkpoints save and the best weights keep).
    public func widestPolicy(totalSteps: Int) -> TrainablePolicy { policy(afterSteps: max(0, totalSteps - 1)) }
}

/// A block (or the embeddings) started to train.
public struct UnfreezeProgress: Sendable {
    /// Optimiser steps done when it happened.
    public let step: Int
    public let stage: Int
    public let trainable: TrainableSummary
    /// How the frozen-prefix cache followed (rebuilt for fewer blocks, or dropped).
    public let cacheNote: String
}
