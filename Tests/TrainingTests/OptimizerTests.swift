import Foundation
import TensorEngine
import Training
import XCTest

/// Optimisers, schedules and clipping against PyTorch: Fixtures/training_reference.json, written
/// by scripts/make_training_fixtures.py (torch.optim single-tensor code path, transformers'
/// schedule functions, torch.nn.utils.clip_grad_norm_).
final class OptimizerTests: XCTestCase {
    struct Reference: Decodable {
        struct Run: Decodable {
            let kind: String
            let settings: [String: JSONNumberOrBool]
            let after: [[String: [Float]]]
        }
        struct Schedule: Decodable {
            let kind: String
            let warmup_steps: Int
            let total_steps: Int
            let base_lr: Double
            let rates: [Double]
        }
        struct Clipping: Decodable {
            let scale: Float
            let max_norm: Double
            let total_norm: Double
            let clipped: [String: [Float]]
        }
        let initial: [String: [Float]]
        let shapes: [String: [Int]]
        let grads: [[String: [Float]]]
        let optimizers: [Run]
        let schedules: [Schedule]
        let clipping: Clipping
    }

    enum JSONNumberOrBool: Decodable {
        case number(Double), numbers([Double]), bool(Bool)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let d = try? c.decode(Double.self) { self = .number(d) }
            else { self = .numbers(try c.decode([Double].self)) }
        }
        var number: Double? { if case .number(let d) = self { d } else { nil } }
        var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
        var numbers: [Double]? { if case .numbers(let a) = self { a } else { nil } }
    }

    static let reference: Reference = {
        let url = Bundle.module.url(forResource: "training_reference", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()

    func makeParameters() throws -> [Parameter] {
        let r = Self.reference
        return try ["w", "b"].map { try Parameter(name: $0, value: Tensor(shape: r.shapes[$0]!, values: r.initial[$0]!)) }
    }

    func configuration(_ run: Reference.Run) throws -> OptimizerConfiguration {
        let s = run.settings
        let lr = s["lr"]!.number!, wd = s["weight_decay"]?.number ?? 0
        switch run.kind {
        case "adamw":
            let betas = s["betas"]?.numbers ?? [0.9, 0.999]
            return .adamW(learningRate: lr, weightDecay: wd, betas: (betas[0], betas[1]), eps: s["eps"]?.number ?? 1e-8)
        case "sgd":
            return .sgd(learningRate: lr, momentum: s["momentum"]?.number ?? 0, dampening: s["dampening"]?.number ?? 0,
                        nesterov: s["nesterov"]?.bool ?? false, weightDecay: wd)
        case "rmsprop":
            return .rmsprop(learningRate: lr, alpha: s["alpha"]?.number ?? 0.99, eps: s["eps"]?.number ?? 1e-8,
                            momentum: s["momentum"]?.number ?? 0, centered: s["centered"]?.bool ?? false, weightDecay: wd)
        default:
            throw XCTSkip("unknown optimizer \(run.kind)")
        }
    }

    func setGradients(_ parameters: [Parameter], step: Int) throws {
        for p in parameters { p.grad = try Tensor(shape: p.shape, values: Self.reference.grads[step][p.name]!) }
    }

    /// Every optimiser setting, every step, every element within 1e-6 relative + 1e-7 absolute
    /// of PyTorch (a value near 0 that results from cancelling terms of size ~0.1–1 can differ in
    /// their last bit: PyTorch's vectorised kernels fuse multiply-adds).
    func testStepsMatchPyTorch() throws {
        XCTAssertEqual(Self.reference.optimizers.count, 8)
        for run in Self.reference.optimizers {
            let parameters = try makeParameters()
            let optimizer = try configuration(run).makeOptimizer()
            for (step, expected) in run.after.enumerated() {
                try setGradients(parameters, step: step)
                optimizer.step(parameters)
                for p in parameters {
                    assertClose(p.value.scalars, expected[p.name]!, relative: 1e-6, "\(run.kind) \(run.settings.keys.sorted()) step \(step + 1) \(p.name)")
                }
            }
        }
    }

    /// The vectorised body and the element-at-a-time tail compute the same: a 37-element
    /// tensor updated at once equals its elements updated one by one (1-element tensors).
    func testVectorAndTailAgree() throws {
        for config in [OptimizerConfiguration.adamW(learningRate: 1e-2, weightDecay: 0.1), .adamW(learningRate: 1e-2, betas: (0.3, 0.9))] {
            let whole = Parameter(name: "whole", value: Tensor.random(shape: [37], seed: 1))
            let singles = (0..<37).map { Parameter(name: "p\($0)", value: Tensor(shape: [1], repeating: whole.value[flat: $0])) }
            let a = try config.makeOptimizer(), b = try config.makeOptimizer()
            for step in 0..<3 {
                let g = Tensor.random(shape: [37], seed: UInt64(10 + step))
                whole.grad = g
                for (i, p) in singles.enumerated() { p.grad = Tensor(shape: [1], repeating: g[flat: i]) }
                a.step([whole])
                b.step(singles)
            }
            XCTAssertEqual(whole.value.scalars, singles.map { $0.value[flat: 0] })
        }
    }

    /// Saving and restoring the state mid-way continues exactly as if uninterrupted.
    func testStateRoundTripContinuesIdentically() throws {
        for run in Self.reference.optimizers {
            let config = try configuration(run)
            let straight = try makeParameters(), resumed = try makeParameters()
            let a = try config.makeOptimizer(), b = try config.makeOptimizer()
            for step in 0..<2 {
                try setGradients(straight, step: step); a.step(straight)
                try setGradients(resumed, step: step); b.step(resumed)
            }
            let c = try config.makeOptimizer()
            try c.load(b.state(), parameters: resumed)
            for step in 2..<4 {
                try setGradients(straight, step: step); a.step(straight)
                try setGradients(resumed, step: step); c.step(resumed)
            }
            for (x, y) in zip(straight, resumed) { XCTAssertEqual(x.value.scalars, y.value.scalars, "\(run.kind) \(x.name)") }
        }
    }

    func testLoadingStateWithAWrongShapeNamesTheTensor() throws {
        let parameters = try makeParameters()
        let optimizer = try OptimizerConfiguration.adamW(learningRate: 1e-3).makeOptimizer()
        try setGradients(parameters, step: 0)
        optimizer.step(parameters)
        var state = optimizer.state()
        state.tensors["exp_avg.w"] = Tensor(zeros: [3, 2])
        XCTAssertThrowsError(try optimizer.load(state, parameters: parameters)) { error in
            XCTAssertTrue("\(error)".contains("exp_avg.w"), "\(error)")
        }
    }

    func testParametersWithoutGradientAreSkipped() throws {
        let parameters = try makeParameters()
        let before = parameters[1].value.scalars
        try setGradients(parameters, step: 0)
        parameters[1].grad = nil
        try OptimizerConfiguration.adamW(learningRate: 1e-2, weightDecay: 0.1).makeOptimizer().step(parameters)
        XCTAssertEqual(parameters[1].value.scalars, before)
        XCTAssertNotEqual(parameters[0].value.scalars, Self.reference.initial["w"]!)
    }

    func testSchedulesMatchTransformers() throws {
        XCTAssertEqual(Self.reference.schedules.count, 9)
        for s in Self.reference.schedules {
            let schedule = LearningRateSchedule(LearningRateSchedule.Kind(rawValue: s.kind)!, warmupSteps: s.warmup_steps)
            for (step, rate) in s.rates.enumerated() {
                XCTAssertEqual(s.base_lr * schedule.factor(step: step, totalSteps: s.total_steps), rate, accuracy: 1e-12,
                               "\(s.kind) warmup \(s.warmup_steps) total \(s.total_steps) step \(step)")
            }
        }
        // Parsing the CLI spelling.
        XCTAssertEqual(try LearningRateSchedule(parsing: "cosine:100"), LearningRateSchedule(.cosine, warmupSteps: 100))
        XCTAssertThrowsError(try LearningRateSchedule(parsing: "exponential"))
    }

    func testGlobalNormClippingMatchesPyTorch() throws {
        let c = Self.reference.clipping
        let parameters = try makeParameters()
        for p in parameters {
            p.grad = try Tensor(shape: p.shape, values: Self.reference.grads[0][p.name]!.map { $0 * c.scale })
        }
        let norm = GradientClipping.clip(parameters, maxNorm: c.max_norm)
        XCTAssertEqual(norm, c.total_norm, accuracy: 1e-5 * c.total_norm)
        for p in parameters { assertClose(p.grad!.scalars, c.clipped[p.name]!, relative: 1e-6, "clipped \(p.name)") }
        // Below the limit nothing changes.
        let before = parameters.map { $0.grad!.scalars }
        GradientClipping.clip(parameters, maxNorm: 10)
        XCTAssertEqual(parameters.map { $0.grad!.scalars }, before)
    }
}

func assertClose(_ actual: [Float], _ expected: [Float], relative: Float, absolute: Float = 1e-7, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(what): count", file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() where !(abs(a - e) <= relative * abs(e) + absolute) {
        XCTFail("\(what)[\(i)]: \(a) vs \(e) (PyTorch)", file: file, line: line)
        return
    }
}
