import Backbones
import Foundation
import Heads
import TensorEngine
import Training
import XCTest

/// Reproducibility: the same seed gives the same weights bit for bit, and a run interrupted and
/// resumed ends exactly where an uninterrupted one does.
final class ResumeTests: XCTestCase {
    override func setUpWithError() throws { try requireBLAS() }

    func configuration(accumulate: Int = 1) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.epochs = 3
        c.batchSize = 4
        c.evalEvery = 5
        c.evalBatches = 2
        c.optimizer = .adamW(learningRate: 2e-3, weightDecay: 0.1)
        c.schedule = LearningRateSchedule(.cosine, warmupSteps: 3)
        c.gradientClipNorm = 1
        c.accumulationSteps = accumulate
        return c
    }

    /// Two runs with everything trainable (no cache, every kernel's threads in play).
    func testSameSeedGivesIdenticalWeights() throws {
        var c = configuration()
        c.trainable = .all
        c.epochs = 2
        var snapshots: [[String: [Float]]] = []
        var histories: [[EvaluationRecord]] = []
        for _ in 0..<2 {
            let classifier = try tinyClassifier()
            let result = try Trainer(classifier: classifier, data: syntheticData(for: classifier), configuration: c, source: tinySource).train()
            snapshots.append(classifier.snapshot)
            histories.append(result.history.map { var r = $0; r.elapsedSeconds = 0; return r })
        }
        XCTAssertEqual(snapshots[0], snapshots[1])
        XCTAssertEqual(histories[0], histories[1])
        // A different seed gives a different batch order, hence other weights.
        c.seed = 7
        let other = try tinyClassifier()
        _ = try Trainer(classifier: other, data: syntheticData(for: other), configuration: c, source: tinySource).train()
        XCTAssertNotEqual(other.snapshot, snapshots[0])
    }

    func testResumeAfterInterruptEqualsUninterrupted() throws {
        // Interrupted mid-epoch, at an epoch end, and with gradient accumulation; `last-block`
        // (cache in use) and `all`.
        for (stopAt, accumulate, policy) in [(17, 1, TrainablePolicy.lastBlock), (12, 1, .lastBlock), (8, 2, .lastBlock), (9, 1, .all)] {
            var c = configuration(accumulate: accumulate)
            c.trainable = policy
            let straightDirectory = try temporaryDirectory("straight\(stopAt)")
            let straight = try tinyClassifier()
            let expected = try Trainer(classifier: straight, data: syntheticData(for: straight), configuration: c, source: tinySource,
                                       runDirectory: straightDirectory).train()

            let directory = try temporaryDirectory("resumed\(stopAt)")
            let first = try tinyClassifier()
            let trainer = try Trainer(classifier: first, data: syntheticData(for: first), configuration: c, source: tinySource, runDirectory: directory)
            var step = 0
            trainer.observer = { if case .step(let progress) = $0 { step = progress.step } }
            trainer.shouldStop = { step == stopAt }
            let partial = try trainer.train()
            XCTAssertTrue(partial.interrupted)
            XCTAssertEqual(partial.steps, stopAt)
            XCTAssertTrue(partial.final.isEmpty)

            // A new process: fresh objects (the head starts from its seed again), state from disk.
            let second = try tinyClassifier(seed: 99)
            let resumed = try Trainer(classifier: second, data: syntheticData(for: second), configuration: c, source: tinySource,
                                      runDirectory: directory).train(resume: true)
            XCTAssertFalse(resumed.interrupted)
            XCTAssertEqual(resumed.steps, expected.steps)
            XCTAssertEqual(second.snapshot, straight.snapshot, "stop at \(stopAt), accumulate \(accumulate), \(policy)")
            XCTAssertEqual(resumed.final, expected.final)
            XCTAssertEqual(resumed.bestStep, expected.bestStep)
            XCTAssertEqual(resumed.history.map(\.step), expected.history.map(\.step))
            XCTAssertEqual(resumed.history.map(\.validationLoss), expected.history.map(\.validationLoss))
            // metrics.jsonl continues without duplicates.
            let lines = try RunFiles.readMetrics(directory.appendingPathComponent(RunFiles.metrics))
            XCTAssertEqual(lines.map(\.step), expected.history.map(\.step))
        }
    }

    /// With dropout the masks are part of the state: a resumed run draws the ones the
    /// uninterrupted run drew at the same steps (mid-epoch, at an epoch end, after the state
    /// of an earlier save is reloaded).
    func testResumeWithDropoutEqualsUninterrupted() throws {
        var c = configuration()
        c.trainable = .all
        c.epochs = 2
        let straight = try tinyClassifier(dropout: 0.1)
        _ = try Trainer(classifier: straight, data: syntheticData(for: straight), configuration: c, source: tinySource,
                        runDirectory: try temporaryDirectory("dropoutStraight")).train()
        XCTAssertGreaterThan(straight.backbone.dropoutGenerator.calls, 0, "dropout should have drawn masks")
        for stopAt in [5, 12] {
            let directory = try temporaryDirectory("dropoutResumed\(stopAt)")
            let first = try tinyClassifier(dropout: 0.1)
            let trainer = try Trainer(classifier: first, data: syntheticData(for: first), configuration: c, source: tinySource, runDirectory: directory)
            var step = 0
            trainer.observer = { if case .step(let progress) = $0 { step = progress.step } }
            trainer.shouldStop = { step == stopAt }
            XCTAssertTrue(try trainer.train().interrupted)
            let second = try tinyClassifier(seed: 99, dropout: 0.1)
            _ = try Trainer(classifier: second, data: syntheticData(for: second), configuration: c, source: tinySource,
                            runDirectory: directory).train(resume: true)
            XCTAssertEqual(second.snapshot, straight.snapshot, "stop at \(stopAt)")
            XCTAssertEqual(second.backbone.dropoutGenerator, straight.backbone.dropoutGenerator)
        }
    }

    /// The masks follow the run's seed (not a fixed one of the backbone's).
    func testDropoutMasksFollowTheRunSeed() throws {
        var generators: [DropoutGenerator] = []
        for seed: UInt64 in [1, 2] {
            var c = configuration()
            c.epochs = 1
            c.trainable = .all
            c.seed = seed
            let classifier = try tinyClassifier(dropout: 0.1)
            _ = try Trainer(classifier: classifier, data: syntheticData(for: classifier), configuration: c, source: tinySource).train()
            generators.append(classifier.backbone.dropoutGenerator)
        }
        XCTAssertNotEqual(generators[0].seed, generators[1].seed)
        XCTAssertEqual(generators[0].calls, generators[1].calls)
    }

    func testResumeWithoutStateIsAnError() throws {
        let classifier = try tinyClassifier()
        let trainer = try Trainer(classifier: classifier, data: syntheticData(for: classifier), configuration: configuration(),
                                  source: tinySource, runDirectory: try temporaryDirectory())
        XCTAssertThrowsError(try trainer.train(resume: true)) { XCTAssertTrue("\($0)".contains("nothing to resume"), "\($0)") }
    }

    /// Early stopping on a validation figure that cannot improve stops after `patience`
    /// evaluations; the best weights are restored.
    func testEarlyStoppingAndBestRestore() throws {
        var c = configuration()
        c.optimizer = .sgd(learningRate: 0)  // nothing changes: the first evaluation stays the best
        c.patience = 2
        let classifier = try tinyClassifier()
        let result = try Trainer(classifier: classifier, data: syntheticData(for: classifier), configuration: c, source: tinySource).train()
        XCTAssertTrue(result.stoppedEarly)
        XCTAssertEqual(result.history.count, 3)
        XCTAssertEqual(result.bestStep, 5)
        XCTAssertEqual(result.history.map(\.step), [5, 10, 12])  // the third is the end of epoch 1
        XCTAssertEqual(result.steps, 12)
    }

    /// On an easy task the loop learns: accuracy well above chance after training.
    func testTrainingLearnsAnEasyTask() throws {
        var c = configuration()
        c.trainable = .all
        c.epochs = 8
        c.optimizer = .adamW(learningRate: 1e-2, weightDecay: 0)
        c.schedule = .constant
        let classifier = try tinyClassifier()
        let result = try Trainer(classifier: classifier, data: syntheticData(for: classifier, train: 96), configuration: c, source: tinySource).train()
        let before = try XCTUnwrap(result.baseline("validation")), after = try XCTUnwrap(result.final("validation"))
        XCTAssertGreaterThan(after.accuracy, 0.8, "validation accuracy \(before.accuracy) → \(after.accuracy)")
        XCTAssertLessThan(after.loss, before.loss)
    }
}
