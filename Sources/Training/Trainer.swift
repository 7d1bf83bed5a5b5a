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
import DataIO
import Datasets
import Dispatch
import Foundation
import Heads
import TensorEngine

public final class Trainer {
    public let classifier: Classifier
    public let data: TrainingData
    public let configuration: TrainingConfiguration
    /// Recorded in checkpoints so they can rebuild the backbone.
    public let source: BackboneSource
    /// Where metrics.jsonl, curves.svg, model/ and resume/ go (nil: nothing is written).
    public let runDirectory: URL?
    /// Receives progress; called on the training thread.
    public var observer: (TrainingEvent) -> Void = { _ in }
    /// Checked after every optimiser step: true saves the state (to resume from) and returns.
    public var shouldStop: () -> Bool = { false }
    /// Recorded in checkpoint configs.
    public var version: String?

    /// One cache for all splits (duplicates across splits computed once), and where each
    /// split's examples start in it.
    private var cache: FrozenPrefixCache?
    private var cacheBase: [SplitName: Int] = [:]
    private var cacheSummary: CacheSummary?
    private var checksum: String?

    public init(classifier: Classifier, data: TrainingData, configuration: TrainingConfiguration, source: BackboneSource,
                runDirectory: URL? = nil) throws {
        try configuration.validate()
        guard data.labels == classifier.labels else {
            throw InvalidInput("the data's labels \(data.labels) differ from the classifier's \(classifier.labels)")
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
    func logits(_ split: SplitName, _ indices: [Int], tape: Tape?) throws -> Variable {
        if let cache, let base = cacheBase[split] {
            let (hidden, batch) = try cache.batch(indices.map { base + $0 })
            return try classifier.logits(hidden: hidden, fromBlock: cache.blocks, batch: batch, tape: tape)
        }
        return try classifier.logits(classifier.input(indices.map { data[split].tokens[$0] }), tape: tape)
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
                                              batches: batches) { try logits(split, $0, tape: nil).value.scalars }
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
        guard let sample = data.train.tokens.first,
              try FrozenPrefixCache.prefixIsDeterministic(classifier, sample: sample, blocks: blocks) else {
            return "not used: the backbone applies dropout while training, so frozen blocks are not deterministic"
        }
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
        return "blocks 0..<\(blocks) and the embeddings are frozen: their output is computed once per text and reused"
    }

    // MARK: Training

    public func train(resume: Bool = false) throws -> TrainingResult {
        let sessionStart = DispatchTime.now()
        let summary = classifier.apply(configuration.trainable)
        let trainable = classifier.trainableParameters
        let optimizer = try configuration.optimizer.makeOptimizer()
        let baseRate = configuration.optimizer.learningRate
        let sampler = try BatchSampler(
            lengths: data.train.lengths, batchSize: configuration.batchSize,
            order: .bucketed(seed: configuration.seed, batchesPerBucket: configuration.lengthBuckets ? 50 : 1),
            dropLast: configuration.dropLast)
        let batchesPerEpoch = sampler.batchCount
        guard batchesPerEpoch > 0 else {
            throw InvalidInput("the training split has \(data.train.count) examples, fewer than one batch of \(configuration.batchSize) (drop-last)")
        }
        let accumulation = configuration.accumulationSteps
        let stepsPerEpoch = (batchesPerEpoch + accumulation - 1) / accumulation
        let totalSteps = stepsPerEpoch * configuration.epochs

        var state = TrainerState(step: 0, epoch: 0, nextBatch: 0, bestValue: nil, bestStep: nil, evaluationsWithoutImprovement: 0,
                                 examplesSeen: 0, tokensSeen: 0, trainSeconds: 0, evalSeconds: 0, windowLossSum: 0,
                                 windowLossCount: 0, stoppedEarly: false, optimizerSteps: [:], history: [], baseline: [])
        var bestValues: [String: Tensor]?
        if resume {
            guard let resumeDirectory, ResumeFiles.exists(in: resumeDirectory) else {
                throw InvalidInput("nothing to resume: \(resumeDirectory?.path ?? "(no run directory)") holds no saved state")
            }
            state = try ResumeFiles.readState(resumeDirectory)
            let loaded = try ClassifierCheckpoint.loadTensors(
                SafeTensorsFile(url: resumeDirectory.appendingPathComponent(ResumeFiles.trainable)), into: classifier)
            let expected = Set(trainable.map(\.name))
            guard loaded == expected else {
                throw InvalidInput("\(resumeDirectory.path): the saved trainable tensors do not match policy \(configuration.trainable) (\(loaded.symmetricDifference(expected).sorted().prefix(3).joined(separator: ", ")) ...)")
            }
            try optimizer.load(ResumeFiles.readOptimizer(resumeDirectory, steps: state.optimizerSteps), parameters: trainable)
            if state.bestStep != nil, let bestSaved = configuration.restoreBest ? modelDirectory : bestDirectory {
                bestValues = try Self.readTensors(bestSaved.appendingPathComponent(ClassifierCheckpoint.tensorFile), names: expected)
            }
        }

        let cacheNote = try prepareCache(summary)
        let plan = TrainingPlan(
            epochs: configuration.epochs, stepsPerEpoch: stepsPerEpoch, totalSteps: totalSteps, startStep: state.step,
            trainable: summary,
            examples: Dictionary(uniqueKeysWithValues: SplitName.allCases.map { ($0.rawValue, data[$0].count) }),
            truncated: Dictionary(uniqueKeysWithValues: SplitName.allCases.map { ($0.rawValue, data[$0].truncatedCount) }),
            cacheNote: cacheNote)
        observer(.prepared(plan))
        if let cacheSummary { observer(.cacheBuilt(cacheSummary)) }

        var fullEvalSeconds: Double = 0
        if state.baseline.isEmpty {
            let start = DispatchTime.now()
            state.baseline = try evaluateAll()
            fullEvalSeconds += seconds(since: start)
        }
        observer(.baseline(state.baseline))

        // Timing of this session, for tokens/s and the ETA.
        var sessionTrainSeconds: Double = 0, sessionTokens = 0
        let sessionFirstStep = state.step, sessionFirstEvalSeconds = state.evalSeconds
        var bestDirty = false

        func saveModel() throws {
            guard let modelDirectory, let bestDirectory else { return }
            let content: CheckpointConfiguration.TensorsInfo.Content = configuration.fullCheckpoint ? .full : .trainable
            if checksum == nil {
                checksum = try ClassifierCheckpoint.frozenChecksum(classifier, saved: ClassifierCheckpoint.savedNames(classifier, content: content))
            }
            if bestDirty, let bestValues {
                try ClassifierCheckpoint.save(classifier, source: source, policy: configuration.trainable,
                                              to: configuration.restoreBest ? modelDirectory : bestDirectory,
                                              content: content, step: state.bestStep ?? state.step, values: bestValues,
                                              checksum: checksum, version: version)
                bestDirty = false
            }
        }

        func saveResumeState() throws {
            guard let resumeDirectory else { return }
            try saveModel()
            state.optimizerSteps = optimizer.state().steps
            try ResumeFiles.write(state, parameters: trainable, optimizer: optimizer.state(), to: resumeDirectory)
        }

        func record(kind: String) throws {
            let start = DispatchTime.now()
            let train = try evaluate(.train, batches: configuration.evalBatches)
            let validation = try evaluate(.validation, batches: configuration.evalBatches)
            let value = configuration.monitor.value(validation)
            let improved = state.bestValue.map { configuration.monitor.lowerIsBetter ? value < $0 : value > $0 } ?? true
            if improved {
                state.bestValue = value
                state.bestStep = state.step
                state.evaluationsWithoutImprovement = 0
                bestValues = Dictionary(uniqueKeysWithValues: trainable.map { ($0.name, $0.value.copy()) })
                bestDirty = true
            } else {
                state.evaluationsWithoutImprovement += 1
            }
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
            if let runDirectory { try RunFiles.writeMetrics(state.history, plotTitle: "", to: runDirectory) }
            observer(.evaluated(record))
            if let patience = configuration.patience, state.evaluationsWithoutImprovement >= patience {
                state.stoppedEarly = true
                observer(.stoppedEarly(step: state.step, patience: patience))
            }
        }

        var interrupted = false
        training: while state.epoch < configuration.epochs && !state.stoppedEarly {
            let batches = sampler.batches(epoch: state.epoch)
            while state.nextBatch < batches.count {
                let stepStart = DispatchTime.now()
                let group = batches[state.nextBatch..<min(state.nextBatch + accumulation, batches.count)]
                optimizer.learningRate = baseRate * configuration.schedule.factor(step: state.step, totalSteps: totalSteps)
                var lossSum: Double = 0, tokens = 0, examples = 0
                for indices in group {
                    let tape = Tape()
                    let logits = try self.logits(.train, indices, tape: tape)
                    let labels = indices.map { Int32(data.train.labels[$0]) }
                    let loss = try Ops.crossEntropy(logits: logits, labels: labels, tape: tape)
                    tape.backward(from: loss, gradient: Tensor(shape: [], repeating: 1 / Float(group.count)))
                    lossSum += Double(loss.value[flat: 0])
                    tokens += indices.reduce(0) { $0 + data.train.tokens[$1].count }
                    examples += indices.count
                }
                if let maxNorm = configuration.gradientClipNorm { GradientClipping.clip(trainable, maxNorm: maxNorm) }
                optimizer.step(trainable)
                for parameter in trainable { parameter.zeroGrad() }
                state.step += 1
                state.nextBatch += group.count
                state.examplesSeen += examples
                state.tokensSeen += tokens
                let loss = lossSum / Double(group.count)
                state.windowLossSum += loss
                state.windowLossCount += 1
                let stepSeconds = seconds(since: stepStart)
                state.trainSeconds += stepSeconds
                sessionTrainSeconds += stepSeconds
                sessionTokens += tokens
                // Steps and periodic evaluations so far this session, per step (not the cache).
                let perStep = (sessionTrainSeconds + state.evalSeconds - sessionFirstEvalSeconds) / Double(state.step - sessionFirstStep)
                observer(.step(StepProgress(step: state.step, totalSteps: totalSteps, epoch: state.epoch + 1, loss: loss,
                                            learningRate: optimizer.learningRate,
                                            tokensPerSecond: Double(sessionTokens) / max(sessionTrainSeconds, 1e-9),
                                            elapsedSeconds: state.trainSeconds + state.evalSeconds,
                                            etaSeconds: perStep * Double(totalSteps - state.step))))
                let endsEpoch = state.nextBatch >= batches.count
                if let every = configuration.evalEvery, state.step % every == 0, !endsEpoch {
                    try record(kind: "eval")
                    if state.stoppedEarly { break training }
                }
                if let every = configuration.saveEvery, state.step % every == 0, !endsEpoch { try saveResumeState() }
                if !endsEpoch, shouldStop() {
                    try saveResumeState()
                    interrupted = true
                    observer(.interrupted(step: state.step, resumeDirectory: resumeDirectory))
                    break training
                }
            }
            state.epoch += 1
            state.nextBatch = 0
            try record(kind: "epoch")
            try saveResumeState()
            if state.epoch < configuration.epochs, !state.stoppedEarly, shouldStop() {
                interrupted = true
                observer(.interrupted(step: state.step, resumeDirectory: resumeDirectory))
                break training
            }
        }
        if state.stoppedEarly { try saveResumeState() }

        var final: [SplitEvaluation] = []
        var restored = false
        if !interrupted {
            if configuration.restoreBest, let bestValues, state.bestStep != state.step {
                for parameter in trainable { if let best = bestValues[parameter.name] { parameter.value.assign(best) } }
                restored = true
            }
            try saveModel()
            if let modelDirectory, !configuration.restoreBest {
                // model/ holds the weights the final evaluation describes: here, the last ones.
                try ClassifierCheckpoint.save(classifier, source: source, policy: configuration.trainable, to: modelDirectory,
                                              content: configuration.fullCheckpoint ? .full : .trainable, step: state.step,
                                              checksum: checksum, version: version)
            }
            let start = DispatchTime.now()
            final = try evaluateAll()
            fullEvalSeconds += seconds(since: start)
            observer(.final(final))
        }
        return TrainingResult(
            plan: plan, baseline: state.baseline, final: final, history: state.history, steps: state.step,
            bestStep: state.bestStep, bestValue: state.bestValue, monitor: configuration.monitor, restoredBest: restored,
            stoppedEarly: state.stoppedEarly, interrupted: interrupted, cache: cacheSummary,
            timing: .init(trainSeconds: state.trainSeconds, evalSeconds: state.evalSeconds, cacheSeconds: cacheSummary?.seconds ?? 0,
                          fullEvalSeconds: fullEvalSeconds, totalSeconds: seconds(since: sessionStart)),
            tokensSeen: state.tokensSeen)
    }

    private static func readTensors(_ url: URL, names: Set<String>) throws -> [String: Tensor] {
        let file = try SafeTensorsFile(url: url)
        var result: [String: Tensor] = [:]
        for name in names {
            let stored = try file.floats(name)
            result[name] = try withExtendedLifetime(stored.owner) { try Tensor(shape: stored.shape, values: Array(stored.floats), name: name) }
        }
        return result
    }
}

func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}
