import Foundation
import TensorEngine
import Training
import XCTest

/// Parameter groups: each group steps as an optimiser of its own rate and decay would, and the
/// trainer tells every event to its observers.
final class ParameterGroupTests: XCTestCase {
    override func setUpWithError() throws { try requireBLAS() }

    /// A group with a learning-rate scale and its own decay is updated exactly as a separate
    /// optimiser with that rate and decay updates it; the default group is the plain step.
    func testGroupsStepAtTheirOwnRateAndDecay() throws {
        for kind in OptimizerConfiguration.Kind.allCases {
            func config(_ lr: Double, _ wd: Double) -> OptimizerConfiguration {
                switch kind {
                case .adamw: .adamW(learningRate: lr, weightDecay: wd)
                case .sgd: .sgd(learningRate: lr, momentum: 0.9, weightDecay: wd)
                case .rmsprop: .rmsprop(learningRate: lr, momentum: 0.5, weightDecay: wd)
                }
            }
            func parameters() -> [Parameter] {
                [Parameter(name: "w", value: Tensor.random(shape: [4, 3], seed: 1)), Parameter(name: "b", value: Tensor.random(shape: [3], seed: 2))]
            }
            let grouped = parameters(), separateW = parameters(), separateB = parameters()
            let optimizer = try config(1e-2, 0.1).makeOptimizer()
            let forW = try config(1e-2, 0.1).makeOptimizer(), forB = try config(0.25e-2, 0).makeOptimizer()
            for step in 0..<3 {
                for set in [grouped, separateW, separateB] {
                    for (i, p) in set.enumerated() { p.grad = Tensor.random(shape: p.shape, seed: UInt64(10 * step + i)) }
                }
                optimizer.step([ParameterGroup(name: "decay", parameters: [grouped[0]]),
                                ParameterGroup(name: "no_decay", parameters: [grouped[1]], learningRateScale: 0.25, weightDecay: 0)])
                forW.step([separateW[0]])
                forB.step([separateB[1]])
            }
            XCTAssertEqual(grouped[0].value.scalars, separateW[0].value.scalars, "\(kind) w")
            XCTAssertEqual(grouped[1].value.scalars, separateB[1].value.scalars, "\(kind) b")
        }
    }

    func testWeightDecayScopes() {
        let w = Parameter(name: "w", value: Tensor(zeros: [2, 2])), b = Parameter(name: "b", value: Tensor(zeros: [2]))
        let e = Parameter(name: "e", value: Tensor(zeros: [3, 2]))
        XCTAssertEqual(WeightDecayScope.all.groups([w, b, e]).map { $0.parameters.map(\.name) }, [["w", "b", "e"]])
        let split = WeightDecayScope.matrices.groups([w, b, e])
        XCTAssertEqual(split.map { $0.parameters.map(\.name) }, [["w", "e"], ["b"]])
        XCTAssertEqual(split.map(\.weightDecay), [nil, 0])
    }

    /// An observer sees the run's events in order, with the history as it grows.
    func testObserversSeeEveryEventWithTheHistory() throws {
        var c = TrainingConfiguration()
        c.epochs = 1
        c.batchSize = 4
        c.evalEvery = nil
        let classifier = try tinyClassifier()
        final class Recorder: TrainingObserver {
            var kinds: [String] = []
            var historyCounts: [Int] = []
            func trainingDidEmit(_ event: TrainingEvent, history: [EvaluationRecord]) throws {
                switch event {
                case .prepared: kinds.append("prepared")
                case .baseline: kinds.append("baseline")
                case .step: if kinds.last != "step" { kinds.append("step") }
                case .evaluated: kinds.append("evaluated"); historyCounts.append(history.count)
                case .final: kinds.append("final")
                default: break
                }
            }
        }
        let recorder = Recorder()
        let trainer = try Trainer(classifier: classifier, data: syntheticData(for: classifier), configuration: c, source: tinySource)
        trainer.observers = [recorder]
        _ = try trainer.train()
        XCTAssertEqual(recorder.kinds, ["prepared", "baseline", "step", "evaluated", "final"])
        XCTAssertEqual(recorder.historyCounts, [1])
    }
}
