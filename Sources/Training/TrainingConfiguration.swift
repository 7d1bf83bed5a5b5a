import Common
import Foundation
import Heads
import TensorEngine

/// Everything the training loop is told, as written in config.json (snake_case keys). The
/// defaults are the reference recipe (Raschka, LLMs from scratch, ch. 6).
public struct TrainingConfiguration: Codable, Hashable, Sendable {
    public var epochs = 5
    public var batchSize = 8
    /// Which parameters train (the head always does); with gradual unfreezing, the most that
    /// will train.
    public var trainable: TrainablePolicy = .lastBlock
    /// When the blocks of `trainable` start to train: from the first step, or gradually.
    public var unfreeze: UnfreezeSchedule = .none
    /// Layer-wise learning-rate decay D: the top block trains at D × the learning rate, each
    /// block below at D × the one above (nil: every parameter at the learning rate).
    public var layerLearningRateDecay: Double?
    public var optimizer: OptimizerConfiguration = .adamW(learningRate: 5e-5, weightDecay: 0.1)
    /// Which parameters the optimiser's weight decay applies to (the recipe: all of them).
    public var weightDecayOn: WeightDecayScope = .all
    public var schedule: LearningRateSchedule = .constant
    /// Clip gradients to this global L2 norm (nil: no clipping).
    public var gradientClipNorm: Double?
    /// Batches whose gradients are summed (each scaled by 1/n) before one optimiser step.
    public var accumulationSteps = 1
    /// Evaluate every this many optimiser steps (nil: only at epoch ends), on `evalBatches`
    /// batches of the training and validation splits.
    public var evalEvery: Int? = 50
    /// Batches of each split a periodic evaluation reads (nil: the whole split). The recipe's
    /// eval_iter = 5.
    public var evalBatches: Int? = 5
    /// The validation figure that picks the best checkpoint and drives early stopping.
    public var monitor: Monitor = .validationLoss
    /// Stop after this many evaluations without improvement (nil: never stop early).
    public var patience: Int?
    /// At the end, go back to the best weights seen (the ones saved as the model) before the
    /// final evaluation; false keeps the final weights (as the reference recipe does).
    public var restoreBest = true
    /// Seeds the batch order (and, outside the trainer, the head and random backbone weights).
    public var seed: UInt64 = 123
    /// Group texts of similar length into batches (less padding); false: plain shuffled batches.
    public var lengthBuckets = true
    /// Leave out the last, short batch of each epoch (the recipe's drop_last=True).
    public var dropLast = true
    /// Reuse the frozen leading blocks' output across epochs (when they are frozen and the
    /// backbone uses no dropout). `off` runs the whole backbone every step.
    public var cache: CacheMode = .auto
    /// Batch size of evaluations, periodic and full (inference only, so larger batches are fine).
    public var evalBatchSize = 32
    /// Save a resumable state every this many optimiser steps (nil: at epoch ends and when
    /// interrupted only).
    public var saveEvery: Int?
    /// Save every parameter (a standalone file) instead of the trainable ones only.
    public var fullCheckpoint = false
    /// Per-class weights of the training loss (evaluation losses stay unweighted).
    public var classWeights: ClassWeights = .none
    /// How training batches are drawn: every example once, or each class equally often.
    public var sampler: ClassSampler = .shuffle
    /// Tags: the positive weight of each label's binary cross-entropy.
    public var positiveWeights: PositiveWeights = .none
    /// How decision thresholds are chosen on validation after training (tags: one per label;
    /// two classes: one on the second class's probability).
    public var threshold: ThresholdChoice = .none
    /// Temperature scaling fitted on validation after training.
    public var calibrate: Calibration = .none
    /// The matrix products' precision while training and evaluating (`--precision`; "auto"
    /// is resolved before the run starts, so the run records what it used).
    public var precision: Precision = .fp32

    public enum CacheMode: String, Codable, Hashable, Sendable, CaseIterable { case auto, off }

    public enum Monitor: String, Codable, Hashable, Sendable, CaseIterable {
        case validationLoss = "validation_loss"
        case validationAccuracy = "validation_accuracy"
        case validationMacroF1 = "validation_macro_f1"

        var lowerIsBetter: Bool { self == .validationLoss }

        func value(_ evaluation: SplitEvaluation) -> Double {
            switch self {
            case .validationLoss: evaluation.loss
            case .validationAccuracy: evaluation.accuracy
            case .validationMacroF1: evaluation.macroF1
            }
        }
    }

    public init() {}

    public func validate() throws {
        guard epochs >= 1 else { throw InvalidInput("epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw InvalidInput("batch size must be at least 1, got \(batchSize)") }
        guard accumulationSteps >= 1 else { throw InvalidInput("gradient accumulation steps must be at least 1, got \(accumulationSteps)") }
        if let evalEvery, evalEvery < 1 { throw InvalidInput("eval-every must be at least 1 step, got \(evalEvery)") }
        if let evalBatches, evalBatches < 1 { throw InvalidInput("eval batches must be at least 1, got \(evalBatches)") }
        if let patience, patience < 1 { throw InvalidInput("patience must be at least 1 evaluation, got \(patience)") }
        if let gradientClipNorm, !(gradientClipNorm > 0) { throw InvalidInput("gradient clip norm must be positive, got \(gradientClipNorm)") }
        if let saveEvery, saveEvery < 1 { throw InvalidInput("save-every must be at least 1 step, got \(saveEvery)") }
        if let decay = layerLearningRateDecay, !(decay > 0 && decay <= 1) {
            throw InvalidInput("layer learning-rate decay must be in (0, 1], got \(decay)")
        }
        guard evalBatchSize >= 1 else { throw InvalidInput("eval batch size must be at least 1") }
        _ = try optimizer.makeOptimizer()
        switch threshold {
        case .targetPrecision(let x), .targetRecall(let x):
            guard x > 0, x <= 1 else { throw InvalidInput("a target precision or recall must be in (0, 1], got \(x)") }
        default: break
        }
    }

    enum CodingKeys: String, CodingKey {
        case epochs, batchSize = "batch_size", trainable, unfreeze, layerLearningRateDecay = "layer_lr_decay", optimizer, weightDecayOn = "weight_decay_on", schedule, gradientClipNorm = "gradient_clip_norm"
        case accumulationSteps = "accumulation_steps", evalEvery = "eval_every", evalBatches = "eval_batches", monitor, patience
        case restoreBest = "restore_best", seed, lengthBuckets = "length_buckets", dropLast = "drop_last", cache
        case evalBatchSize = "eval_batch_size", saveEvery = "save_every", fullCheckpoint = "full_checkpoint"
        case classWeights = "class_weights", sampler, precision
        case positiveWeights = "pos_weight", threshold, targetPrecision = "target_precision", targetRecall = "target_recall"
        case tuneThresholds = "tune_thresholds", calibrate
    }

    /// Missing keys keep their defaults, so a config file names only what it changes.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingConfiguration()
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? d.epochs
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        trainable = try c.decodeIfPresent(TrainablePolicy.self, forKey: .trainable) ?? d.trainable
        unfreeze = try c.decodeIfPresent(UnfreezeSchedule.self, forKey: .unfreeze) ?? d.unfreeze
        layerLearningRateDecay = try c.decodeIfPresent(Double.self, forKey: .layerLearningRateDecay)
        optimizer = try c.decodeIfPresent(OptimizerConfiguration.self, forKey: .optimizer) ?? d.optimizer
        weightDecayOn = try c.decodeIfPresent(WeightDecayScope.self, forKey: .weightDecayOn) ?? d.weightDecayOn
        schedule = try c.decodeIfPresent(LearningRateSchedule.self, forKey: .schedule) ?? d.schedule
        gradientClipNorm = try c.decodeIfPresent(Double.self, forKey: .gradientClipNorm)
        accumulationSteps = try c.decodeIfPresent(Int.self, forKey: .accumulationSteps) ?? d.accumulationSteps
        evalEvery = c.contains(.evalEvery) ? try c.decodeIfPresent(Int.self, forKey: .evalEvery) : d.evalEvery
        evalBatches = c.contains(.evalBatches) ? try c.decodeIfPresent(Int.self, forKey: .evalBatches) : d.evalBatches
        monitor = try c.decodeIfPresent(Monitor.self, forKey: .monitor) ?? d.monitor
        patience = try c.decodeIfPresent(Int.self, forKey: .patience)
        restoreBest = try c.decodeIfPresent(Bool.self, forKey: .restoreBest) ?? d.restoreBest
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        lengthBuckets = try c.decodeIfPresent(Bool.self, forKey: .lengthBuckets) ?? d.lengthBuckets
        dropLast = try c.decodeIfPresent(Bool.self, forKey: .dropLast) ?? d.dropLast
        cache = try c.decodeIfPresent(CacheMode.self, forKey: .cache) ?? d.cache
        evalBatchSize = try c.decodeIfPresent(Int.self, forKey: .evalBatchSize) ?? d.evalBatchSize
        saveEvery = try c.decodeIfPresent(Int.self, forKey: .saveEvery)
        fullCheckpoint = try c.decodeIfPresent(Bool.self, forKey: .fullCheckpoint) ?? d.fullCheckpoint
        classWeights = try c.decodeIfPresent(ClassWeights.self, forKey: .classWeights) ?? d.classWeights
        sampler = try c.decodeIfPresent(ClassSampler.self, forKey: .sampler) ?? d.sampler
        positiveWeights = try c.decodeIfPresent(PositiveWeights.self, forKey: .positiveWeights) ?? d.positiveWeights
        calibrate = try c.decodeIfPresent(Calibration.self, forKey: .calibrate) ?? d.calibrate
        // "threshold": "auto" or a number; or "target_precision" / "target_recall"; or, for
        // tags, "tune_thresholds": true (the same as "auto"). At most one of them.
        var choices: [ThresholdChoice] = []
        if let number = try? c.decodeIfPresent(Float.self, forKey: .threshold) {
            choices.append(try ThresholdChoice(parsing: String(number)))
        } else if let text = try c.decodeIfPresent(String.self, forKey: .threshold) {
            choices.append(try ThresholdChoice(parsing: text))
        }
        if let p = try c.decodeIfPresent(Double.self, forKey: .targetPrecision) { choices.append(.targetPrecision(p)) }
        if let r = try c.decodeIfPresent(Double.self, forKey: .targetRecall) { choices.append(.targetRecall(r)) }
        if try c.decodeIfPresent(Bool.self, forKey: .tuneThresholds) == true { choices.append(.bestF1) }
        guard choices.count <= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .threshold, in: c, debugDescription:
                "give one of threshold, target_precision, target_recall and tune_thresholds")
        }
        threshold = choices.first ?? d.threshold
        precision = try c.decodeIfPresent(Precision.self, forKey: .precision) ?? d.precision
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(trainable, forKey: .trainable)
        try c.encode(unfreeze, forKey: .unfreeze)
        try c.encode(layerLearningRateDecay, forKey: .layerLearningRateDecay)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encode(weightDecayOn, forKey: .weightDecayOn)
        try c.encode(schedule, forKey: .schedule)
        try c.encode(gradientClipNorm, forKey: .gradientClipNorm)
        try c.encode(accumulationSteps, forKey: .accumulationSteps)
        try c.encode(evalEvery, forKey: .evalEvery)
        try c.encode(evalBatches, forKey: .evalBatches)
        try c.encode(monitor, forKey: .monitor)
        try c.encode(patience, forKey: .patience)
        try c.encode(restoreBest, forKey: .restoreBest)
        try c.encode(seed, forKey: .seed)
        try c.encode(lengthBuckets, forKey: .lengthBuckets)
        try c.encode(dropLast, forKey: .dropLast)
        try c.encode(cache, forKey: .cache)
        try c.encode(evalBatchSize, forKey: .evalBatchSize)
        try c.encode(saveEvery, forKey: .saveEvery)
        try c.encode(fullCheckpoint, forKey: .fullCheckpoint)
        try c.encode(classWeights, forKey: .classWeights)
        try c.encode(sampler, forKey: .sampler)
        try c.encode(positiveWeights, forKey: .positiveWeights)
        try c.encode(calibrate, forKey: .calibrate)
        switch threshold {
        case .none: break
        case .fixed(let value): try c.encode(value, forKey: .threshold)
        case .bestF1: try c.encode("auto", forKey: .threshold)
        case .targetPrecision(let p): try c.encode(p, forKey: .targetPrecision)
        case .targetRecall(let r): try c.encode(r, forKey: .targetRecall)
        }
        try c.encode(precision, forKey: .precision)
    }
}
