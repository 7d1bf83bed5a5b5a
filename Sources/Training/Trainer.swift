// The training loop: epochs of shuffled (length-bucketed) batches, one optimiser step per
// `accumulationSteps` batches, periodic evaluation on a few batches, early stopping and the best
// weights by a validation figure, resumable state, and full evaluations before and after.
//
//     let trainer = try Trainer(classifier: classifier, data: data, configuration: .init(),
//                               source: source, runDirectory: runURL)
//     trainer.observer = { event in print(event) }
//     let result = try trainer.train()
//
// Reproducible: the seed fixes the batch order, and every kernel is deterministic (fixed work
// splits, no atomics), so the same seed on the same machine gives the same weights bit for bit,
// and a resumed run the same weights as an uninterrupted one.
import Backbones
import Common
import Datasets
import Dispatch
import Foundation
import Heads
import Inference
import TensorEngine

public final class Trainer {
    public let classifier: Classifier
    public let data: TrainingData
    public let configuration: TrainingConfiguration
    /// Recorded in checkpoints so they can rebuild the backbone.
    public let source: BackboneSource
    /// Where metrics.jsonl, curves.svg, model/ and resume/ go (nil: nothing is written).
    public let runDirectory: URL?
    /// Receive every event, on the training thread, after the run files are written.
    public var observers: [any TrainingObserver] = []
    /// Receives every event last (the CLI's progress display).
    public var observer: (TrainingEvent) -> Void = { _ in }
    /// Checked after every optimiser step: true saves the state (to resume from) and returns.
    public var shouldStop: () -> Bool = { false }
    /// Recorded in checkpoint configs.
    public var version: String?
    /// The ranks of a data-parallel job (nil: this process alone). Every rank runs the same
    /// trainer; `configuration.batchSize` is the global batch, split across the ranks. Only
    /// rank 0 writes the run directory and emits events to the run files; the others read
    /// resume/ from it and write nothing.
    public var group: (any DataParallelGroup)?

    /// Seconds the last `train()` spent summing gradients across the ranks (0 alone).
    public var reductionSeconds: Double { reductionClock.seconds }
    private var reductionClock = ReductionClock()

    /// Whether this process writes the run directory (rank 0, or a process alone).
    public var writesRunFiles: Bool { (group?.rank ?? 0) == 0 }

    /// One cache for all splits (duplicates across splits computed once), and where each
    /// split's examples start in it.
    private var cache: FrozenPrefixCache?
    private var cacheBase: [SplitName: Int] = [:]
    /// The cache built last, and the seconds every build of this session took.
    private var cacheSummary: CacheSummary?
    private var cacheSeconds: Double = 0

    public init(classifier: Classifier, data: TrainingData, configuration: TrainingConfiguration, source: BackboneSource,
                runDirectory: URL? = nil) throws {
        try configuration.validate()
        guard data.labels == classifier.labels else {
            throw InvalidInput("the data's labels \(data.labels) differ from the classifier's \(classifier.labels)")
        }
        guard data.isMultiLabel == classifier.decision.isMultiLabel else {
            throw InvalidInput(data.isMultiLabel ? "the data has label sets (tags), but the classifier's outputs are softmax: give it DecisionRule(output: .sigmoid)"
                                                 : "the classifier's outputs are sigmoids (tags), but the data has one label per text")
        }
        if data.isMultiLabel, configuration.classWeights != .none || configuration.sampler != .shuffle {
            throw InvalidInput("--class-weights and --sampler balanced are for one label per text; for tags use --pos-weight")
        }
        if !data.isMultiLabel, configuration.positiveWeights != .none {
            throw InvalidInput("--pos-weight is for tags (multi-label data); for one label per text use --class-weights")
        }
        if !data.isMultiLabel, configuration.threshold != .none, classifier.labels.count != 2 {
            throw InvalidInput("a decision threshold needs two classes or tags; this classifier has \(classifier.labels.count) classes (--calibrate temperature still applies)")
        }
        guard data.train.count > 0, data.validation.count > 0 else {
            throw InvalidInput("training needs examples in the training and validation splits (got \(data.train.count) and \(data.validation.count))")
        }
        self.classifier = classifier
        self.data = data
        self.configuration = configuration
        self.source = source
        self.runDirectory = runDirectory
    }

    public var modelDirectory: URL? { runDirectory?.appendingPathComponent("model") }
    public var bestDirectory: URL? { runDirectory?.appendingPathComponent("best") }
    public var resumeDirectory: URL? { runDirectory?.appendingPathComponent("resume") }

    // MARK: Forward

    /// Logits [indices.count, classes] for examples of `split`, through the cache when there is one.
    /// A text read as windows (`--long-text chunks`) gets its windows' logits aggregated.
    func logits(_ split: SplitName, _ indices: [Int], tape: Tape?) throws -> Variable {
        try classifier.exampleLogits(data[split], indices, rowsPerForward: configuration.evalBatchSize, tape: tape) { rows in
            if let cache, let base = cacheBase[split] {
                let (hidden, batch) = try cache.batch(rows.map { base + $0 })
                return try classifier.logits(hidden: hidden, fromBlock: cache.blocks, batch: batch, tape: tape)
            }
            return try classifier.logits(classifier.input(rows.map { data[split].tokens[$0] }), tape: tape)
        }
    }

    // MARK: Evaluation

    /// Loss and metrics of `split`: the examples of its first `batches` batches of the training
    /// batch size in example order (the recipe's eval_iter), or (nil) all of it.
    public func evaluate(_ split: SplitName, batches limit: Int? = nil) throws -> SplitEvaluation {
        let examples = data[split]
        // Those batches hold the first limit·batchSize examples. The figures are means over
        // examples, so any grouping gives them: longest first in batches of `evalBatchSize`
        // pads least and keeps the matrix products large.
        let count = limit.map { min(examples.count, $0 * configuration.batchSize) } ?? examples.count
        let batches = try BatchSampler(lengths: Array(examples.lengths.prefix(count)), batchSize: configuration.evalBatchSize,
                                       order: .byLength).batches()
        return try SplitEvaluation.accumulate(split: split.rawValue, labels: classifier.labels, exampleLabels: examples.labels,
                                              targets: examples.targets, decision: classifier.decision,
                                              batches: batches, group: group) { try logits(split, $0, tape: nil).value.scalars }
    }

    private func evaluateAll() throws -> [SplitEvaluation] {
        try SplitName.allCases.filter { data[$0].count > 0 }.map { try evaluate($0) }
    }

    // MARK: Cache

    /// Decides on the frozen-prefix cache and builds it; returns the reason for the decision.
    private func prepareCache(_ summary: TrainableSummary) throws -> String {
        cache = nil
        cacheBase = [:]
        let blocks = summary.frozenPrefixBlocks
        if configuration.cache == .off { return "off (--no-cache): every step runs the whole backbone" }
        if blocks == 0 {
            let embeddingsTrain = classifier.backbone.units.contains { unit in
                if case .embeddings = unit.kind { return unit.parameters.contains(where: \.requiresGrad) }
                return false
            }
            return "not used: " + (embeddingsTrain ? "the embeddings train" : "the first block trains") + ", so no prefix is frozen"
        }
        if classifier.pooling.readsPadding {
            return "not used: pooling \(classifier.pooling) reads a padding position, which the cache does not keep"
        }
        // The check runs the prefix with a tape, which draws dropout masks: they must not count
        // (a run with and without the cache, or resumed, draws the same masks at each step).
        let generator = classifier.backbone.dropoutGenerator
        let deterministic = try data.train.tokens.first.map {
            try FrozenPrefixCache.prefixIsDeterministic(classifier, sample: $0, blocks: blocks)
        } ?? false
        classifier.backbone.dropoutGenerator = generator
        guard deterministic else {
            return "not used: the backbone applies dropout while training, so frozen blocks are not deterministic"
        }
        // In a data-parallel job every rank builds the whole cache. Caching only its own
        // examples cannot work: the shuffled global batches give any rank any training example.
        // Building it in shards and gathering it would trade (N-1)/N of the prefix pass for
        // sending every rank the other shards' hidden states (4·hidden bytes a token); that pays
        // on a fast network with a deep frozen prefix, but is not built (README, Scale-out).
        let start = DispatchTime.now()
        var tokens: [[Int32]] = []
        for split in SplitName.allCases {
            cacheBase[split] = tokens.count
            tokens += data[split].tokens
        }
        let built = try FrozenPrefixCache(classifier: classifier, tokens: tokens, blocks: blocks)
        cache = built
        cacheSummary = CacheSummary(blocks: blocks, texts: tokens.count, tokens: built.tokenCount, bytes: built.byteCount,
                                    seconds: seconds(since: start))
        cacheSeconds += seconds(since: start)
        return "blocks 0..<\(blocks) and the embeddings are frozen: their output is computed once per text and reused"
    }

    // MARK: Training

    /// Who hears each event, in order: the run files, `observers`, then `observer`.
    private var listeners: [any TrainingObserver] {
        (writesRunFiles ? runDirectory.map { [RunFilesObserver(directory: $0)] } ?? [] : []) + observers + [ClosureObserver(observer)]
    }

    public func train(resume: Bool = false) throws -> TrainingResult {
        // Every product of the run (training, evaluation, the frozen-prefix cache) at the run's precision.
        try Matmul.withPrecision(configuration.precision) { try trainAtCurrentPrecision(resume: resume) }
    }

    private func trainAtCurrentPrecision(resume: Bool) throws -> TrainingResult {
        let sessionStart = DispatchTime.now()
        cacheSeconds = 0
        reductionClock = ReductionClock()
        let optimizer = try configuration.optimizer.makeOptimizer()
        let classWeights = try configuration.classWeights.weights(labels: data.train.labels, classes: classifier.labels)
        let schedule = EvaluationSchedule(configuration)
        let stopping = EarlyStopping(monitor: configuration.monitor, patience: configuration.patience)
        let baseRate = configuration.optimizer.learningRate
        let sampler = try BatchSampler(
            lengths: data.train.lengths, batchSize: configuration.batchSize,
            order: .bucketed(seed: configuration.seed, batchesPerBucket: configuration.lengthBuckets ? 50 : 1),
            dropLast: configuration.dropLast,
            sampleWeights: try configuration.sampler.sampleWeights(labels: data.train.labels, classes: classifier.labels))
        let batchesPerEpoch = sampler.batchCount
        if let group, group.size > configuration.batchSize {
            throw InvalidInput("--batch-size \(configuration.batchSize) is the global batch, split across the job's \(group.size) ranks: give at least one example a rank")
        }
        guard batchesPerEpoch > 0 else {
            throw InvalidInput("the training split has \(data.train.count) examples, fewer than one batch of \(configuration.batchSize) (drop-last)")
        }
        let accumulation = configuration.accumulationSteps
        let stepsPerEpoch = (batchesPerEpoch + accumulation - 1) / accumulation
        let totalSteps = stepsPerEpoch * configuration.epochs

        // Which parameters train, stage by stage (one stage unless unfreezing gradually). The
        // checkpoints keep everything that trains in any stage the run reaches.
        let unfreezing = UnfreezingPlan(configuration.unfreeze, limit: configuration.trainable,
                                        blockCount: classifier.backbone.blockCount, stepsPerEpoch: stepsPerEpoch)
        let widest = unfreezing.widestPolicy(totalSteps: totalSteps)
        classifier.apply(widest, seed: configuration.seed)
        let keeper = CheckpointKeeper(classifier: classifier, configuration: configuration, policy: widest, source: source,
                                      version: version, modelDirectory: modelDirectory, bestDirectory: bestDirectory,
                                      resumeDirectory: resumeDirectory, writes: writesRunFiles)
        var stage = 0, summary = classifier.apply(unfreezing.stages[0])
        var trainable: [Parameter] = []
        let positiveWeights = data.train.targets.flatMap { configuration.positiveWeights.weights(targets: $0, classes: classifier.labels.count) }
        var step = TrainingStep(trainable: [], groups: [], optimizer: optimizer, gradientClipNorm: nil, classWeights: classWeights)
        func enter(_ next: Int) {
            stage = next
            summary = classifier.apply(unfreezing.stages[next])
            trainable = classifier.trainableParameters
            step = TrainingStep(trainable: trainable,
                                groups: LayerwiseLearningRates.groups(classifier, decay: configuration.layerLearningRateDecay,
                                                                      scope: configuration.weightDecayOn),
                                optimizer: optimizer, gradientClipNorm: configuration.gradientClipNorm, classWeights: classWeights,
                                targets: data.train.targets, positiveWeights: positiveWeights,
                                group: group, reductionClock: reductionClock)
        }

        var state = TrainerState()
        if resume {
            // The saved tensors and optimiser buffers are those of the stage in force when saved.
            state = try keeper.loadResumeState(optimizer: optimizer) { saved in
                let savedStage = saved.unfreezeStage ?? 0
                guard unfreezing.stages.indices.contains(savedStage) else {
                    throw InvalidInput("\(resumeDirectory?.path ?? "resume")/\(ResumeFiles.state): unfreeze_stage \(savedStage) is not a stage of this run (it has \(unfreezing.stages.count))")
                }
                enter(savedStage)
                return trainable
            }
        } else {
            enter(0)
        }
        let listeners = self.listeners
        func emit(_ event: TrainingEvent) throws {
            for each in listeners { try each.trainingDidEmit(event, history: state.history) }
        }

        let cacheNote = try prepareCache(summary)
        let plan = TrainingPlan(
            epochs: configuration.epochs, stepsPerEpoch: stepsPerEpoch, totalSteps: totalSteps, startStep: state.step,
            trainable: summary,
            examples: Dictionary(uniqueKeysWithValues: SplitName.allCases.map { ($0.rawValue, data[$0].count) }),
            truncated: Dictionary(uniqueKeysWithValues: SplitName.allCases.map { ($0.rawValue, data[$0].truncatedCount) }),
            cacheNote: cacheNote)
        try emit(.prepared(plan))
        if let cacheSummary { try emit(.cacheBuilt(cacheSummary)) }

        var fullEvalSeconds: Double = 0
        if state.baseline.isEmpty {
            let start = DispatchTime.now()
            state.baseline = try evaluateAll()
            fullEvalSeconds += seconds(since: start)
        }
        try emit(.baseline(state.baseline))

        // Set here, after the cache check and the baseline (which draw no masks that matter),
        // so the masks depend only on the seed and the steps taken.
        classifier.backbone.dropoutGenerator = DropoutGenerator(seed: Self.dropoutSeed(configuration.seed),
                                                                calls: state.dropoutCalls ?? 0)

        // Timing of this session, for tokens/s and the ETA.
        var sessionTrainSeconds: Double = 0, sessionTokens = 0
        let sessionFirstStep = state.step, sessionFirstEvalSeconds = state.evalSeconds

        func saveResumeState() throws {
            state.optimizerSteps = optimizer.state().steps
            state.dropoutCalls = classifier.backbone.dropoutGenerator.calls
            state.unfreezeStage = stage
            state.ranks = group?.size
            try keeper.saveResumeState(state, bestStep: state.bestStep ?? state.step, trainable: trainable, optimizer: optimizer)
        }

        func record(kind: String) throws {
            let start = DispatchTime.now()
            let train = try evaluate(.train, batches: configuration.evalBatches)
            let validation = try evaluate(.validation, batches: configuration.evalBatches)
            let improved = stopping.update(&state, value: configuration.monitor.value(validation))
            if improved { keeper.noteBest() }
            let stepsIntoEpoch = (state.nextBatch + accumulation - 1) / accumulation
            let record = EvaluationRecord(
                kind: kind, step: state.step, epoch: min(configuration.epochs, state.epoch + (kind == "epoch" ? 0 : 1)),
                epochProgress: Double(state.epoch) + (kind == "epoch" ? 0 : Double(stepsIntoEpoch) / Double(stepsPerEpoch)),
                examplesSeen: state.examplesSeen, tokensSeen: state.tokensSeen, learningRate: optimizer.learningRate,
                runningTrainLoss: state.windowLossCount > 0 ? state.windowLossSum / Double(state.windowLossCount) : nil,
                trainLoss: train.loss, trainAccuracy: train.accuracy, validationLoss: validation.loss,
                validationAccuracy: validation.accuracy, validationMacroF1: validation.macroF1,
                elapsedSeconds: state.trainSeconds + state.evalSeconds, best: improved)
            state.windowLossSum = 0
            state.windowLossCount = 0
            state.history.append(record)
            state.evalSeconds += seconds(since: start)
            try emit(.evaluated(record))
            if stopping.exhausted(state) {
                state.stoppedEarly = true
                try emit(.stoppedEarly(step: state.step, patience: configuration.patience ?? 0))
            }
        }

        let trainLabels = data.train.labels, trainLengths = data.train.lengths
        var interrupted = false
        training: while state.epoch < configuration.epochs && !state.stoppedEarly {
            let batches = sampler.batches(epoch: state.epoch)
            while state.nextBatch < batches.count {
                if unfreezing.stage(afterSteps: state.step) != stage {
                    enter(unfreezing.stage(afterSteps: state.step))
                    let note = try prepareCache(summary)
                    try emit(.unfrozen(UnfreezeProgress(step: state.step, stage: stage, trainable: summary, cacheNote: note)))
                    if let cacheSummary, cache != nil { try emit(.cacheBuilt(cacheSummary)) }
                }
                let stepStart = DispatchTime.now()
                let group = batches[state.nextBatch..<min(state.nextBatch + accumulation, batches.count)]
                optimizer.learningRate = baseRate * configuration.schedule.factor(step: state.step, totalSteps: totalSteps)
                let outcome = try step(group, labels: trainLabels, lengths: trainLengths) { try self.logits(.train, $0, tape: $1) }
                state.step += 1
                state.nextBatch += group.count
                state.examplesSeen += outcome.examples
                state.tokensSeen += outcome.tokens
                state.windowLossSum += outcome.loss
                state.windowLossCount += 1
                let stepSeconds = seconds(since: stepStart)
                state.trainSeconds += stepSeconds
                sessionTrainSeconds += stepSeconds
                sessionTokens += outcome.tokens
                // Steps and periodic evaluations so far this session, per step (not the cache).
                let perStep = (sessionTrainSeconds + state.evalSeconds - sessionFirstEvalSeconds) / Double(state.step - sessionFirstStep)
                try emit(.step(StepProgress(step: state.step, totalSteps: totalSteps, epoch: state.epoch + 1, loss: outcome.loss,
                                            learningRate: optimizer.learningRate,
                                            tokensPerSecond: Double(sessionTokens) / max(sessionTrainSeconds, 1e-9),
                                            elapsedSeconds: state.trainSeconds + state.evalSeconds,
                                            etaSeconds: perStep * Double(totalSteps - state.step))))
                let endsEpoch = state.nextBatch >= batches.count
                if schedule.evaluates(after: state.step, endsEpoch: endsEpoch) {
                    try record(kind: "eval")
                    if state.stoppedEarly { break training }
                }
                if schedule.saves(after: state.step, endsEpoch: endsEpoch) { try saveResumeState() }
                if !endsEpoch, try stopRequested() {
                    try saveResumeState()
                    interrupted = true
                    try emit(.interrupted(step: state.step, resumeDirectory: keeper.resumeDirectory))
                    break training
                }
            }
            state.epoch += 1
            state.nextBatch = 0
            try record(kind: "epoch")
            try saveResumeState()
            if state.epoch < configuration.epochs, !state.stoppedEarly, try stopRequested() {
                interrupted = true
                try emit(.interrupted(step: state.step, resumeDirectory: keeper.resumeDirectory))
                break training
            }
        }
        if state.stoppedEarly { try saveResumeState() }

        var final: [SplitEvaluation] = []
        var restored = false
        var decisionFit: DecisionFit?
        if !interrupted {
            if configuration.restoreBest, state.bestStep != state.step { restored = keeper.restoreBest() }
            // The temperature and thresholds belong to the weights saved: fitted on them, saved with them.
            let fitStart = DispatchTime.now()
            decisionFit = try fitDecision()
            if decisionFit != nil { keeper.decisionChanged() }
            fullEvalSeconds += seconds(since: fitStart)
            try keeper.saveBest(step: state.bestStep ?? state.step)
            // model/ holds the weights the final evaluation describes: without restore_best, the last ones.
            if !configuration.restoreBest { try keeper.saveFinal(step: state.step) }
            let start = DispatchTime.now()
            final = try evaluateAll()
            fullEvalSeconds += seconds(since: start)
            try emit(.final(final))
        }
        return TrainingResult(
            plan: plan, baseline: state.baseline, final: final, history: state.history, steps: state.step,
            bestStep: state.bestStep, bestValue: state.bestValue, monitor: configuration.monitor, restoredBest: restored,
            stoppedEarly: state.stoppedEarly, interrupted: interrupted, cache: cacheSummary,
            timing: .init(trainSeconds: state.trainSeconds, evalSeconds: state.evalSeconds, cacheSeconds: cacheSeconds,
                          fullEvalSeconds: fullEvalSeconds, totalSeconds: seconds(since: sessionStart)),
            tokensSeen: state.tokensSeen, decision: decisionFit)
    }

    /// `shouldStop`, agreed by every rank: all stop after the same step when any was asked to.
    private func stopRequested() throws -> Bool {
        guard let group else { return shouldStop() }
        return try group.any(shouldStop())
    }

    /// The dropout stream of a run with `seed`: a stream of its own, not the batch order's.
    static func dropoutSeed(_ seed: UInt64) -> UInt64 { SplitMix64.mix(seed ^ 0xD0_0D_5EED_D0_0D_5EED) }
}

func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}
