import Backbones
import Foundation
import Heads
import Inference
import TensorEngine
import Training
import XCTest

/// Gradual unfreezing (`--unfreeze gradual[:N]`) and layer-wise learning rates
/// (`--layer-lr-decay D`) on the tiny GPT-2 (2 blocks): which parameters train at each step, the
/// frozen-prefix cache following the stages, exact resume across a stage change, and the rate
/// each group is updated at.
final class GradualUnfreezingTests: XCTestCase {
    override func setUpWithError() throws { try requireBLAS() }

    /// 48 training examples in batches of 4: 12 steps an epoch; gradual:0.5 moves on every 6.
    func configuration(epochs: Int = 2) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.epochs = epochs
        c.batchSize = 4
        c.evalEvery = 5
        c.evalBatches = 2
        c.trainable = .all
        c.unfreeze = .gradual(epochs: 0.5)
        c.optimizer = .adamW(learningRate: 2e-3, weightDecay: 0.1)
        c.schedule = LearningRateSchedule(.cosine, warmupSteps: 3)
        return c
    }

    func testPlanStages() {
        let plan = UnfreezingPlan(.gradual(epochs: 0.5), limit: .all, blockCount: 2, stepsPerEpoch: 12)
        XCTAssertEqual(plan.stages, [.lastBlocks(0), .lastBlocks(1), .lastBlocks(2), .all])
        XCTAssertEqual(plan.stepsPerStage, 6)
        XCTAssertEqual([0, 5, 6, 11, 12, 18, 500].map(plan.stage(afterSteps:)), [0, 0, 1, 1, 2, 3, 3])
        XCTAssertEqual(plan.widestPolicy(totalSteps: 12), .lastBlocks(1))
        XCTAssertEqual(plan.widestPolicy(totalSteps: 24), .all)
        // Up to the trainable policy, and not at all without the schedule.
        XCTAssertEqual(UnfreezingPlan(.gradual(epochs: 1), limit: .lastBlocks(2), blockCount: 6, stepsPerEpoch: 10).stages,
                       [.lastBlocks(0), .lastBlocks(1), .lastBlocks(2)])
        XCTAssertEqual(UnfreezingPlan(.gradual(epochs: 1), limit: .head, blockCount: 6, stepsPerEpoch: 10).stages, [.head])
        XCTAssertEqual(UnfreezingPlan(.none, limit: .lastBlock, blockCount: 6, stepsPerEpoch: 10).stages, [.lastBlock])
        XCTAssertEqual(UnfreezingPlan(.gradual(epochs: 2), limit: .all, blockCount: 6, stepsPerEpoch: 10).stepsPerStage, 20)
        XCTAssertEqual(try UnfreezeSchedule(parsing: "gradual"), .gradual(epochs: 1))
        XCTAssertEqual(try UnfreezeSchedule(parsing: "gradual:0.25").description, "gradual:0.25")
        XCTAssertEqual(UnfreezeSchedule.gradual(epochs: 3).description, "gradual:3")
        for bad in ["gradual:", "gradual:0", "gradual:-1", "gradual:inf", "fast"] {
            XCTAssertThrowsError(try UnfreezeSchedule(parsing: bad), bad)
        }
    }

    /// The parameters each optimiser step changes: head and final norm for steps 1–6, then
    /// block 1 as well, then block 0, then the embeddings (every 6 steps, one more unit).
    func testWhichParametersTrainAtEachStep() throws {
        var c = configuration()
        c.schedule = .constant  // no warm-up: the first step's rate is not 0
        let classifier = try tinyClassifier()
        let trainer = try Trainer(classifier: classifier, data: syntheticData(for: classifier), configuration: c, source: tinySource)
        var previous = classifier.snapshot
        var changedPerStep: [Set<String>] = []
        var unfrozen: [(step: Int, policy: TrainablePolicy)] = []
        var cacheBlocks: [Int] = []
        trainer.observer = { event in
            switch event {
            case .step:
                let now = classifier.snapshot
                changedPerStep.append(Set(now.keys.filter { now[$0] != previous[$0] }))
                previous = now
            case .unfrozen(let u): unfrozen.append((u.step, u.trainable.policy))
            case .cacheBuilt(let c): cacheBlocks.append(c.blocks)
            default: break
            }
        }
        let result = try trainer.train()
        XCTAssertEqual(result.steps, 24)
        XCTAssertEqual(unfrozen.map(\.step), [6, 12, 18])
        XCTAssertEqual(unfrozen.map(\.policy), [.lastBlocks(1), .lastBlocks(2), .all])
        // The cache holds blocks 0..<2, then 0..<1; with block 0 training there is no frozen prefix.
        XCTAssertEqual(cacheBlocks, [2, 1])

        let names = classifier.backbone.namedParameters.map(\.name)
        let head = Set(classifier.head.parameters.map(\.name))
        let finalNorm = Set(names.filter { $0.hasPrefix("ln_f.") })
        let block1 = Set(names.filter { $0.hasPrefix("h.1.") }), block0 = Set(names.filter { $0.hasPrefix("h.0.") })
        let embeddings = Set(names.filter { $0.hasPrefix("wte.") || $0.hasPrefix("wpe.") })
        XCTAssertFalse(finalNorm.isEmpty || block1.isEmpty || block0.isEmpty || embeddings.isEmpty, "\(names)")
        XCTAssertEqual(head.count + finalNorm.count + block1.count + block0.count + embeddings.count, classifier.namedParameters.count)
        let expected = [head.union(finalNorm), head.union(finalNorm).union(block1), head.union(finalNorm).union(block1).union(block0),
                        Set(classifier.namedParameters.map(\.name))]
        for (index, changed) in changedPerStep.enumerated() {
            XCTAssertEqual(changed, expected[index / 6], "step \(index + 1)")
        }
        // The model records what trained in the run: every parameter, as under `all`.
        XCTAssertEqual(classifier.trainableParameters.count, classifier.namedParameters.count)
    }

    /// A run stopped before, at and after a stage change and resumed ends with the weights of
    /// the uninterrupted run, bit for bit: cache rebuilt for the stage of the saved state,
    /// newly trained parameters' optimiser state starting from zero at the same step, layer-wise
    /// rates included; with dropout (no cache) the masks match too.
    func testResumeAcrossUnfreezingIsExact() throws {
        for (stopAt, dropout, decay) in [(6, Float(0), 0.8), (9, 0, 0.8), (13, 0, nil), (7, 0.1, 0.8)] {
            var c = configuration()
            c.layerLearningRateDecay = decay
            let label = "stop at \(stopAt), dropout \(dropout), decay \(decay.map { "\($0)" } ?? "none")"
            let straight = try tinyClassifier(dropout: dropout)
            let expected = try Trainer(classifier: straight, data: syntheticData(for: straight), configuration: c, source: tinySource,
                                       runDirectory: try temporaryDirectory("gradualStraight\(stopAt)")).train()

            let directory = try temporaryDirectory("gradualResumed\(stopAt)")
            let first = try tinyClassifier(dropout: dropout)
            let trainer = try Trainer(classifier: first, data: syntheticData(for: first), configuration: c, source: tinySource, runDirectory: directory)
            var step = 0
            trainer.observer = { if case .step(let progress) = $0 { step = progress.step } }
            trainer.shouldStop = { step == stopAt }
            XCTAssertTrue(try trainer.train().interrupted, label)
            let state = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("resume/state.json"))) as? [String: Any]
            XCTAssertEqual(state?["unfreeze_stage"] as? Int, (stopAt - 1) / 6, label)

            let second = try tinyClassifier(seed: 99, dropout: dropout)
            let resumed = try Trainer(classifier: second, data: syntheticData(for: second), configuration: c, source: tinySource,
                                      runDirectory: directory).train(resume: true)
            XCTAssertEqual(resumed.steps, expected.steps, label)
            XCTAssertEqual(second.snapshot, straight.snapshot, label)
            XCTAssertEqual(resumed.final, expected.final, label)
            XCTAssertEqual(resumed.history.map(\.validationLoss), expected.history.map(\.validationLoss), label)
            XCTAssertEqual(second.backbone.dropoutGenerator, straight.backbone.dropoutGenerator, label)
        }
    }

    /// A state whose stage the run does not have (an edited state.json) is an input error, not a trap.
    func testResumeFromAStageOutOfRangeIsAnError() throws {
        let c = configuration()
        let directory = try temporaryDirectory()
        let first = try tinyClassifier()
        let trainer = try Trainer(classifier: first, data: syntheticData(for: first), configuration: c, source: tinySource, runDirectory: directory)
        var step = 0
        trainer.observer = { if case .step(let progress) = $0 { step = progress.step } }
        trainer.shouldStop = { step == 3 }
        XCTAssertTrue(try trainer.train().interrupted)
        let stateFile = directory.appendingPathComponent("resume/state.json")
        let text = try String(contentsOf: stateFile, encoding: .utf8)
        XCTAssertTrue(text.contains(#""unfreeze_stage" : 0"#), text)
        try text.replacingOccurrences(of: #""unfreeze_stage" : 0"#, with: #""unfreeze_stage" : 9"#).write(to: stateFile, atomically: true, encoding: .utf8)
        let second = try tinyClassifier()
        XCTAssertThrowsError(try Trainer(classifier: second, data: syntheticData(for: second), configuration: c, source: tinySource,
                                         runDirectory: directory).train(resume: true)) { error in
            XCTAssertTrue("\(error)".contains("unfreeze_stage 9"), "\(error)")
        }
    }

    /// Stages that end with frozen blocks save a checkpoint of what trained (policy
    /// last-1-blocks after one epoch here), which loads back with the same predictions.
    func testCheckpointRecordsTheWidestStage() throws {
        var c = configuration(epochs: 1)
        c.restoreBest = false
        let directory = try temporaryDirectory()
        let classifier = try tinyClassifier()
        let result = try Trainer(classifier: classifier, data: syntheticData(for: classifier), configuration: c, source: tinySource,
                                 runDirectory: directory).train()
        let model = try ClassifierCheckpoint.load(directory.appendingPathComponent("model")) { _ in try tinyGPT2() }
        XCTAssertEqual(model.configuration.trainable, .lastBlocks(1))
        XCTAssertEqual(model.classifier.snapshot, classifier.snapshot)
        XCTAssertEqual(result.steps, 12)
    }

    /// Cache on and off give the same updates through every stage, to float32 rounding (the
    /// bound of FrozenPrefixCacheTests.testTrainingWithAndWithoutCacheAgree: with plain SGD the
    /// updates of the two paths agree to 1e-3 of the largest update), and the cache is rebuilt
    /// for fewer blocks at each stage change.
    func testCacheOnAndOffAgreeThroughTheStages() throws {
        var c = configuration(epochs: 1)
        c.optimizer = .sgd(learningRate: 0.5)
        c.schedule = .constant
        c.unfreeze = .gradual(epochs: 1.0 / 3)  // 4 steps per stage: 0, 1 and 2 blocks
        var runs: [(result: TrainingResult, before: [String: [Float]], after: [String: [Float]])] = []
        for mode in [TrainingConfiguration.CacheMode.auto, .off] {
            c.cache = mode
            let classifier = try tinyClassifier()
            let before = classifier.snapshot
            let result = try Trainer(classifier: classifier, data: syntheticData(for: classifier), configuration: c, source: tinySource).train()
            runs.append((result, before, classifier.snapshot))
        }
        XCTAssertNotNil(runs[0].result.cache)
        XCTAssertNil(runs[1].result.cache)
        XCTAssertGreaterThan(runs[0].result.timing.cacheSeconds, 0)
        var trained = 0
        for (name, after) in runs[1].after {
            let update = zip(after, runs[1].before[name]!).map { $0 - $1 }
            guard update.contains(where: { $0 != 0 }) else { continue }
            trained += 1
            let cachedUpdate = zip(runs[0].after[name]!, runs[0].before[name]!).map { $0 - $1 }
            XCTAssertLessThan(relativeError(cachedUpdate, update), 1e-3, name)
        }
        // Head, final norm and both blocks trained; the embeddings never did (stage 3 is not reached).
        let blockParameters = tinyGPT2Blocks
        XCTAssertEqual(trained, 2 + 2 + blockParameters)
        for (a, b) in zip(runs[0].result.final, runs[1].result.final) {
            XCTAssertEqual(a.loss, b.loss, accuracy: 1e-4 * b.loss, a.split)
        }
    }

    /// Layer-wise decay D: the groups are the units from the top with scales 1, 1, D, D², D³
    /// (head, final norm, block 1, block 0, embeddings), split by the decay scope.
    func testLayerwiseGroups() throws {
        let classifier = try tinyClassifier()
        classifier.apply(.all)
        let groups = LayerwiseLearningRates.groups(classifier, decay: 0.5, scope: .all)
        XCTAssertEqual(groups.map(\.name), ["head", "final_norm", "block.1", "block.0", "embeddings"])
        XCTAssertEqual(groups.map(\.learningRateScale), [1, 1, 0.5, 0.25, 0.125])
        XCTAssertEqual(groups.reduce(0) { $0 + $1.parameters.count }, classifier.trainableParameters.count)
        XCTAssertTrue(groups[2].parameters.allSatisfy { $0.name.hasPrefix("h.1.") })
        let split = LayerwiseLearningRates.groups(classifier, decay: 0.5, scope: .matrices)
        XCTAssertEqual(split.first { $0.name == "block.0.no_decay" }?.weightDecay, 0)
        XCTAssertEqual(split.first { $0.name == "block.0.no_decay" }?.learningRateScale, 0.25)
        XCTAssertTrue(split.first { $0.name == "block.0" }!.parameters.allSatisfy { $0.shape.count == 2 })
        // Only what trains: under last-block, the head, final norm and block 1.
        classifier.apply(.lastBlock)
        XCTAssertEqual(LayerwiseLearningRates.groups(classifier, decay: 0.5, scope: .all).map(\.name), ["head", "final_norm", "block.1"])
        XCTAssertEqual(LayerwiseLearningRates.groups(classifier, decay: nil, scope: .all).map(\.name), ["all"])
    }

    /// The trainer updates each unit at its rate: after one SGD step at lr η with decay 0.5,
    /// block 0 holds exactly what a run without decay at lr η/4 gives it (the first step's
    /// gradient is the same bit for bit: same weights, same batch), and the head what a run at
    /// lr η gives it.
    func testTrainerAppliesEachGroupsRate() throws {
        func oneStep(learningRate: Double, decay: Double?) throws -> [String: [Float]] {
            var c = TrainingConfiguration()
            c.epochs = 1
            c.batchSize = 4
            c.trainable = .all
            c.optimizer = .sgd(learningRate: learningRate)
            c.layerLearningRateDecay = decay
            let classifier = try tinyClassifier()
            let result = try Trainer(classifier: classifier, data: syntheticData(for: classifier, train: 4, validation: 4, test: 4),
                                     configuration: c, source: tinySource).train()
            XCTAssertEqual(result.steps, 1)
            return classifier.snapshot
        }
        let decayed = try oneStep(learningRate: 0.1, decay: 0.5)
        let full = try oneStep(learningRate: 0.1, decay: nil)
        let quarter = try oneStep(learningRate: 0.1 * 0.25, decay: nil)
        let eighth = try oneStep(learningRate: 0.1 * 0.125, decay: nil)
        let half = try oneStep(learningRate: 0.1 * 0.5, decay: nil)
        let initial = try tinyClassifier().snapshot
        for (name, value) in decayed {
            let reference = name.hasPrefix("h.0.") ? quarter : name.hasPrefix("wte.") || name.hasPrefix("wpe.") ? eighth
                : name.hasPrefix("h.1.") ? half : full
            XCTAssertEqual(value, reference[name], name)
            if name.hasPrefix("h.0.") { XCTAssertNotEqual(value, initial[name], "\(name) should have moved") }
        }
    }
}

/// Parameter tensors of the tiny GPT-2's two blocks.
private var tinyGPT2Blocks: Int {
    (try? tinyGPT2().units.filter { if case .block = $0.kind { return true } else { return false } }.reduce(0) { $0 + $1.parameters.count }) ?? -1
}
