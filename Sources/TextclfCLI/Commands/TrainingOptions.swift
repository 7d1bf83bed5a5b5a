import ArgumentParser
import Backbones
import Common
import Foundation
import Heads
import Tasks
import Training

/// The recipe settings `textclf finetune` can override on top of a task (each unset option
/// keeps the task's value).
struct TrainingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Backbone name (gpt2, gpt2-medium, ...) or a model directory.", valueName: "name|dir"))
    var backbone: String?

    @Option(help: ArgumentHelp("auto: pretrained if found, else random with a warning; or pretrained, random.", valueName: "auto|pretrained|random"))
    var weights: ClassificationTask.WeightsChoice?

    @Option(help: ArgumentHelp("What trains besides the head: head, last-block, last-N-blocks, all, or lora[:RANK[:ALPHA]] (low-rank adapters; rank 8, alpha = rank by default).", valueName: "policy"))
    var trainable: String?

    @Option(help: ArgumentHelp("With --trainable lora: the dense layers that get adapters, attention and/or mlp (default attention).", valueName: "attention,mlp"))
    var loraTargets: String?

    @Flag(help: "With --trainable lora: the LayerNorms train too.")
    var loraNorms = false

    @Option(help: ArgumentHelp("With --trainable lora: adapters on the last N blocks only (the blocks below are frozen and, with dropout 0, cached).", valueName: "N"))
    var loraBlocks: Int?

    @Option(help: ArgumentHelp("none, or gradual[:N]: the head (and final norm) first, then one more block from the top every N epochs (default 1; fractions allowed), up to --trainable.", valueName: "schedule"))
    var unfreeze: String?

    @Option(help: ArgumentHelp("Layer-wise learning-rate decay D in (0, 1]: the top block trains at D × --lr, each block below at D × the one above; the head at --lr.", valueName: "D"))
    var layerLrDecay: Double?

    @Option(help: ArgumentHelp("last (last real token), position-last, first, mean, max.", valueName: "pooling"))
    var pooling: Pooling?

    @Option(help: ArgumentHelp("linear, mlp, mlp:SIZE, mlp:SIZE:gelu|tanh.", valueName: "head"))
    var head: String?

    @Option(help: ArgumentHelp("off: GPT-2 attends without its causal mask, every position to the whole text (Raschka's \"no causal mask\" experiment).", valueName: "on|off"))
    var causalMask: CausalMaskSetting?

    @Option(help: "Cut texts to this many tokens (default: the backbone's context).")
    var maxLength: Int?

    @Option(help: ArgumentHelp("Texts longer than --max-length: truncate (the first tokens), head+tail (the first quarter and the last three quarters of the room), or chunks[:STRIDE][:mean|max] (overlapping windows, STRIDE tokens shared as Hugging Face's stride, each classified, logits averaged or maxed per text).",
                               valueName: "policy"))
    var longText: String?

    @Option(help: "Dropout while training, on embeddings, sublayer outputs and attention probabilities (0 lets frozen blocks be computed once; BERT and GPT-2 were pretrained with 0.1).")
    var dropout: Float?

    @Option(help: "Epochs.") var epochs: Int?
    @Option(help: "Examples per batch.") var batchSize: Int?
    @Option(help: ArgumentHelp("adamw, sgd or rmsprop.", valueName: "name")) var optimizer: OptimizerConfiguration.Kind?
    @Option(name: .customLong("lr"), help: "Learning rate.") var learningRate: Double?
    @Option(help: "Weight decay (decoupled for AdamW, L2 for SGD/RMSprop).") var weightDecay: Double?
    @Option(help: ArgumentHelp("Which parameters weight decay applies to: all (the recipe) or matrices (not biases and LayerNorm gains, as nanoGPT).",
                               valueName: "all|matrices"))
    var weightDecayOn: WeightDecayScope?
    @Option(help: "Momentum (SGD, RMSprop).") var momentum: Double?
    @Flag(help: "Nesterov momentum (SGD).") var nesterov = false
    @Option(help: ArgumentHelp("constant, linear or cosine, optionally :WARMUP_STEPS (e.g. cosine:100).", valueName: "schedule"))
    var schedule: String?
    @Option(help: "Clip gradients to this global L2 norm.") var clipNorm: Double?
    @Option(help: "Batches per optimiser step (gradient accumulation).") var accumulate: Int?
    @Option(help: ArgumentHelp("Evaluate every N steps (0: only at epoch ends).", valueName: "n")) var evalEvery: Int?
    @Option(help: ArgumentHelp("Batches per periodic evaluation, or 'all'.", valueName: "n|all")) var evalBatches: String?
    @Option(help: "Examples per evaluation batch (inference only; default 32).") var evalBatchSize: Int?
    @Option(help: ArgumentHelp("validation_loss, validation_accuracy or validation_macro_f1: picks the best checkpoint.", valueName: "figure"))
    var monitor: TrainingConfiguration.Monitor?
    @Option(help: "Stop after this many evaluations without improvement.") var patience: Int?
    @Option(help: "Seed of the head, the batch order and random weights.") var seed: UInt64?
    @Option(help: "Seed of the dataset's split (default: the dataset's own).") var splitSeed: UInt64?
    @Flag(help: "Keep every example of a dataset whose split balances its classes by undersampling (sms-spam: all 5,574 messages, stratified).")
    var imbalanced = false
    @Option(help: ArgumentHelp("Weight the training loss per class: none, balanced (n / (classes · count)), or w1,w2,… in class order.",
                               valueName: "none|balanced|w1,w2,…"))
    var classWeights: String?
    @Option(help: ArgumentHelp("shuffle (every example once per epoch) or balanced (draws with replacement, each class equally often).",
                               valueName: "shuffle|balanced"))
    var sampler: ClassSampler?
    @Option(help: "Save a resumable state every N steps (default: at epoch ends).") var saveEvery: Int?
    @Flag(help: "Plain shuffled batches instead of length buckets.") var noLengthBuckets = false
    @Flag(help: "Run the whole backbone every step (no frozen-prefix cache).") var noCache = false
    @Flag(help: "Keep the final weights instead of going back to the best ones.") var noRestoreBest = false
    @Flag(help: "Save every parameter in the model (a standalone file), not only the trained ones.") var fullCheckpoint = false
    @OptionGroup var decision: DecisionOptions
    @OptionGroup var precision: PrecisionOption

    /// Every numeric option in its range before anything is loaded; the message names the option.
    func validate() throws {
        try NumericCheck.atLeast(1, maxLength, "--max-length")
        try NumericCheck.atLeast(1, loraBlocks, "--lora-blocks")
        try NumericCheck.fraction(dropout, "--dropout")
        _ = try LongTextOption.parse(longText)
        if let unfreeze {
            do { _ = try UnfreezeSchedule(parsing: unfreeze) } catch { throw ValidationError("--unfreeze: \(error)") }
        }
        if let layerLrDecay, !(layerLrDecay > 0 && layerLrDecay <= 1) {
            throw ValidationError("--layer-lr-decay must be in (0, 1], got \(layerLrDecay)")
        }
        try NumericCheck.atLeast(1, epochs, "--epochs")
        try NumericCheck.atLeast(1, batchSize, "--batch-size")
        try NumericCheck.positive(learningRate, "--lr")
        try NumericCheck.nonNegative(weightDecay, "--weight-decay")
        try NumericCheck.fraction(momentum, "--momentum")
        try NumericCheck.positive(clipNorm, "--clip-norm")
        try NumericCheck.atLeast(1, accumulate, "--accumulate")
        try NumericCheck.atLeast(0, evalEvery, "--eval-every")
        if let evalBatches, evalBatches != "all" {
            guard let n = Int(evalBatches), n >= 1 else {
                throw ValidationError("--eval-batches must be a positive whole number or 'all', got \(evalBatches)")
            }
        }
        try NumericCheck.atLeast(1, evalBatchSize, "--eval-batch-size")
        try NumericCheck.atLeast(1, patience, "--patience")
        try NumericCheck.atLeast(1, saveEvery, "--save-every")
    }

    /// `task` with these overrides applied.
    func apply(to task: ClassificationTask) throws -> ClassificationTask {
        var task = task
        var t = task.training
        if let backbone { task.backbone = backbone }
        if let weights { task.weights = weights }
        if let trainable { t.trainable = try TrainablePolicy(parsing: trainable) }
        if loraTargets != nil || loraNorms || loraBlocks != nil {
            guard case .lora(var settings) = t.trainable else {
                throw InvalidInput("--lora-targets, --lora-norms and --lora-blocks need --trainable lora[:RANK[:ALPHA]] (the policy is \(t.trainable))")
            }
            if let loraTargets {
                do { settings.targets = try LoRASettings.targets(parsing: loraTargets) } catch let error as InvalidInput {
                    throw InvalidInput("--lora-targets: \(error.description)")
                }
            }
            if loraNorms { settings.trainNorms = true }
            if let loraBlocks { settings.lastBlocks = loraBlocks }
            t.trainable = .lora(settings)
        }
        if let unfreeze { t.unfreeze = try UnfreezeSchedule(parsing: unfreeze) }
        if let layerLrDecay { t.layerLearningRateDecay = layerLrDecay }
        if let pooling { task.pooling = pooling }
        if let head { task.head = try HeadSpec(parsing: head) }
        if let maxLength { task.maxLength = maxLength }
        if let policy = try LongTextOption.parse(longText) { task.longText = policy }
        if let causalMask { task.causalMask = causalMask == .on }
        if let dropout { task.dropout = dropout }
        if let epochs { t.epochs = epochs }
        if let batchSize { t.batchSize = batchSize }
        if let optimizer, optimizer != t.optimizer.kind {
            t.optimizer = switch optimizer {
            case .adamw: .adamW(learningRate: t.optimizer.learningRate, weightDecay: t.optimizer.weightDecay)
            case .sgd: .sgd(learningRate: t.optimizer.learningRate, weightDecay: t.optimizer.weightDecay)
            case .rmsprop: .rmsprop(learningRate: t.optimizer.learningRate, weightDecay: t.optimizer.weightDecay)
            }
        }
        if let learningRate { t.optimizer.learningRate = learningRate }
        if let weightDecay { t.optimizer.weightDecay = weightDecay }
        if let weightDecayOn { t.weightDecayOn = weightDecayOn }
        if let momentum { t.optimizer.momentum = momentum }
        if nesterov { t.optimizer.nesterov = true }
        if let schedule { t.schedule = try LearningRateSchedule(parsing: schedule) }
        if let clipNorm { t.gradientClipNorm = clipNorm }
        if let accumulate { t.accumulationSteps = accumulate }
        if let evalEvery { t.evalEvery = evalEvery == 0 ? nil : evalEvery }
        if let evalBatches {
            t.evalBatches = evalBatches == "all" ? nil : Int(evalBatches)
        }
        if let evalBatchSize { t.evalBatchSize = evalBatchSize }
        if let monitor { t.monitor = monitor }
        if let patience { t.patience = patience }
        if let seed { t.seed = seed }
        if let splitSeed { task.splitSeed = splitSeed }
        if imbalanced { task.balanceClasses = false }
        if let classWeights {
            do { t.classWeights = try ClassWeights(parsing: classWeights) } catch let error as InvalidInput {
                throw InvalidInput("--class-weights: \(error.description)")
            }
        }
        if let sampler { t.sampler = sampler }
        if let saveEvery { t.saveEvery = saveEvery }
        if noLengthBuckets { t.lengthBuckets = false }
        if noCache { t.cache = .off }
        if noRestoreBest { t.restoreBest = false }
        if fullCheckpoint { t.fullCheckpoint = true }
        try decision.apply(to: &t)
        if let resolved = try precision.resolved() { t.precision = resolved }
        try t.validate()
        task.training = t
        return task
    }
}

/// `--long-text` of finetune, predict and evaluate: refused with one line naming the option.
enum LongTextOption {
    static func parse(_ text: String?) throws -> LongTextPolicy? {
        guard let text else { return nil }
        do { return try LongTextPolicy(parsing: text) } catch let error as InvalidInput {
            throw ValidationError("--long-text: \(error.description)")
        }
    }
}

extension ClassificationTask.WeightsChoice: ExpressibleByArgument {}
extension Pooling: ExpressibleByArgument {}
extension OptimizerConfiguration.Kind: ExpressibleByArgument {}
extension TrainingConfiguration.Monitor: ExpressibleByArgument {}
extension WeightDecayScope: ExpressibleByArgument {}
extension ClassSampler: ExpressibleByArgument {}

/// `--causal-mask on|off`.
enum CausalMaskSetting: String, ExpressibleByArgument, CaseIterable {
    case on, off
}
