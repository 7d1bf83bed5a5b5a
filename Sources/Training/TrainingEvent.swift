import Foundation
import Heads

/// What the trainer reports while it runs (the CLI draws a progress bar or writes JSON lines).
public enum TrainingEvent {
    /// Before the first step: sizes, trainable parameters, the cache decision.
    case prepared(TrainingPlan)
    /// The frozen-prefix cache was computed for the splits.
    case cacheBuilt(CacheSummary)
    /// Full evaluation of every split before training.
    case baseline([SplitEvaluation])
    /// Gradual unfreezing reached its next stage (before the step it applies to); a rebuilt
    /// frozen-prefix cache follows as `cacheBuilt`.
    case unfrozen(UnfreezeProgress)
    /// After each optimiser step.
    case step(StepProgress)
    /// A periodic or end-of-epoch evaluation (also a line of metrics.jsonl).
    case evaluated(EvaluationRecord)
    /// The monitored figure stopped improving for `patience` evaluations.
    case stoppedEarly(step: Int, patience: Int)
    /// `shouldStop` asked to stop; the state to resume from was saved (if there is a run directory).
    case interrupted(step: Int, resumeDirectory: URL?)
    /// Full evaluation of every split after training (of the best weights if restored).
    case final([SplitEvaluation])
}

public struct TrainingPlan: Sendable {
    public let epochs: Int
    public let stepsPerEpoch: Int
    public let totalSteps: Int
    /// The step training starts from (> 0 when resuming).
    public let startStep: Int
    public let trainable: TrainableSummary
    /// Examples and truncated texts per split: train, validation, test.
    public let examples: [String: Int]
    public let truncated: [String: Int]
    /// Why the frozen-prefix cache is used or not.
    public let cacheNote: String
}

public struct CacheSummary: Sendable {
    public let blocks: Int
    public let texts: Int
    public let tokens: Int
    public let bytes: Int
    public let seconds: Double
}

public struct StepProgress: Sendable {
    public let step: Int
    public let totalSteps: Int
    /// 1-based.
    public let epoch: Int
    public let loss: Double
    public let learningRate: Double
    public let tokensPerSecond: Double
    public let elapsedSeconds: Double
    public let etaSeconds: Double
}

/// One evaluation during training: a line of metrics.jsonl.
public struct EvaluationRecord: Codable, Sendable, Equatable {
    /// "eval" (every N steps) or "epoch" (at the end of an epoch).
    public var kind: String
    public var step: Int
    /// The epoch in progress (1-based), and how many epochs are done as a fraction.
    public var epoch: Int
    public var epochProgress: Double
    public var examplesSeen: Int
    public var tokensSeen: Int
    public var learningRate: Double
    /// Mean loss of the training steps since the previous record.
    public var runningTrainLoss: Double?
    /// On the first `eval_batches` batches of each split (all of it when that is null).
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double
    public var validationAccuracy: Double
    public var validationMacroF1: Double
    public var elapsedSeconds: Double
    /// Whether this evaluation is the best so far by the monitored figure.
    public var best: Bool

    enum CodingKeys: String, CodingKey {
        case kind, step, epoch, epochProgress = "epoch_progress", examplesSeen = "examples_seen", tokensSeen = "tokens_seen"
        case learningRate = "learning_rate", runningTrainLoss = "running_train_loss", trainLoss = "train_loss"
        case trainAccuracy = "train_accuracy", validationLoss = "validation_loss", validationAccuracy = "validation_accuracy"
        case validationMacroF1 = "validation_macro_f1", elapsedSeconds = "elapsed_seconds", best
    }
}

/// How a training run ended, with everything the report needs.
public struct TrainingResult: Sendable {
    public let plan: TrainingPlan
    public let baseline: [SplitEvaluation]
    /// Empty when interrupted.
    public let final: [SplitEvaluation]
    public let history: [EvaluationRecord]
    public let steps: Int
    public let bestStep: Int?
    public let bestValue: Double?
    public let monitor: TrainingConfiguration.Monitor
    public let restoredBest: Bool
    public let stoppedEarly: Bool
    public let interrupted: Bool
    public let cache: CacheSummary?
    public let timing: Timing
    public let tokensSeen: Int
    /// The temperature and thresholds fitted on validation after training (nil: none).
    public var decision: DecisionFit? = nil

    public struct Timing: Sendable, Codable {
        /// Optimiser steps (forward, backward, update), over all sessions of a resumed run.
        public var trainSeconds: Double
        /// Periodic evaluations.
        public var evalSeconds: Double
        /// Building the frozen-prefix cache (every build of this session: gradual unfreezing
        /// rebuilds it for fewer blocks).
        public var cacheSeconds: Double
        /// Baseline and final full evaluations.
        public var fullEvalSeconds: Double
        /// Everything the trainer did (this session).
        public var totalSeconds: Double

        enum CodingKeys: String, CodingKey {
            case trainSeconds = "train_seconds", evalSeconds = "eval_seconds", cacheSeconds = "cache_seconds"
            case fullEvalSeconds = "full_eval_seconds", totalSeconds = "total_seconds"
        }
    }

    public func final(_ split: String) -> SplitEvaluation? { final.first { $0.split == split } }
    public func baseline(_ split: String) -> SplitEvaluation? { baseline.first { $0.split == split } }
}
