// Optimisers with PyTorch's semantics (torch.optim, single-tensor code path, which is what
// runs on the CPU): the same update formulas in the same order, so a step here matches a
// step there to float32 rounding. State is per parameter, keyed by the parameter's name, so it
// can be saved next to the weights and restored for `--resume`.
import Common
import Foundation
import TensorEngine

public protocol Optimizer: AnyObject {
    /// The rate the next `step` uses (a schedule sets it before each step).
    var learningRate: Double { get set }
    /// Updates every parameter of every group that has a gradient (parameters without one
    /// are skipped, as PyTorch skips `p.grad is None`), each group at its own learning rate
    /// (`learningRate` × its scale) and weight decay. Gradients are left as they are.
    func step(_ groups: [ParameterGroup])
    /// Everything needed to continue exactly where it stopped.
    func state() -> OptimizerState
    /// Restores `state()` output; throws naming the tensor when one does not fit `parameters`.
    func load(_ state: OptimizerState, parameters: [Parameter]) throws
}

/// An optimiser's state: tensors named `<buffer>.<parameter name>` (PyTorch's buffer names,
/// e.g. `exp_avg.h.11.ln_1.weight`) and each parameter's step count.
public struct OptimizerState {
    public var tensors: [String: Tensor]
    public var steps: [String: Int]

    public init(tensors: [String: Tensor] = [:], steps: [String: Int] = [:]) {
        self.tensors = tensors
        self.steps = steps
    }
}

/// One optimiser's settings, as written in config.json.
public struct OptimizerConfiguration: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        case adamw, sgd, rmsprop
    }

    public var kind: Kind
    public var learningRate: Double
    public var weightDecay: Double
    /// AdamW's β1, β2.
    public var betas: [Double]?
    /// AdamW / RMSprop ε.
    public var eps: Double?
    /// SGD / RMSprop momentum.
    public var momentum: Double?
    public var dampening: Double?
    public var nesterov: Bool?
    /// RMSprop's smoothing constant α.
    public var alpha: Double?
    public var centered: Bool?

    public init(kind: Kind, learningRate: Double, weightDecay: Double = 0, betas: [Double]? = nil, eps: Double? = nil,
                momentum: Double? = nil, dampening: Double? = nil, nesterov: Bool? = nil, alpha: Double? = nil, centered: Bool? = nil) {
        self.kind = kind
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.betas = betas
        self.eps = eps
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.alpha = alpha
        self.centered = centered
    }

    /// torch.optim.AdamW defaults except the rate and decay given.
    public static func adamW(learningRate: Double, weightDecay: Double = 0.01, betas: (Double, Double) = (0.9, 0.999),
                             eps: Double = 1e-8) -> OptimizerConfiguration {
        OptimizerConfiguration(kind: .adamw, learningRate: learningRate, weightDecay: weightDecay, betas: [betas.0, betas.1], eps: eps)
    }

    public static func sgd(learningRate: Double, momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false,
                           weightDecay: Double = 0) -> OptimizerConfiguration {
        OptimizerConfiguration(kind: .sgd, learningRate: learningRate, weightDecay: weightDecay, momentum: momentum,
                               dampening: dampening, nesterov: nesterov)
    }

    public static func rmsprop(learningRate: Double, alpha: Double = 0.99, eps: Double = 1e-8, momentum: Double = 0,
                               centered: Bool = false, weightDecay: Double = 0) -> OptimizerConfiguration {
        OptimizerConfiguration(kind: .rmsprop, learningRate: learningRate, weightDecay: weightDecay, eps: eps,
                               momentum: momentum, alpha: alpha, centered: centered)
    }

    public func makeOptimizer() throws -> any Optimizer {
        guard learningRate >= 0, learningRate.isFinite else { throw InvalidInput("learning rate \(learningRate) must be a finite number ≥ 0") }
        guard weightDecay >= 0 else { throw InvalidInput("weight decay \(weightDecay) must be ≥ 0") }
        switch kind {
        case .adamw:
            let betas = self.betas ?? [0.9, 0.999]
            guard betas.count == 2, betas.allSatisfy({ (0..<1).contains($0) }) else {
                throw InvalidInput("AdamW betas \(betas) must be two numbers in [0, 1)")
            }
            return AdamW(learningRate: learningRate, beta1: betas[0], beta2: betas[1], eps: eps ?? 1e-8, weightDecay: weightDecay)
        case .sgd:
            let momentum = self.momentum ?? 0, dampening = self.dampening ?? 0, nesterov = self.nesterov ?? false
            guard momentum >= 0 else { throw InvalidInput("SGD momentum \(momentum) must be ≥ 0") }
            guard !nesterov || (momentum > 0 && dampening == 0) else {
                throw InvalidInput("Nesterov momentum requires a momentum > 0 and zero dampening (as in PyTorch)")
            }
            return SGD(learningRate: learningRate, momentum: momentum, dampening: dampening, nesterov: nesterov, weightDecay: weightDecay)
        case .rmsprop:
            let alpha = self.alpha ?? 0.99
            guard (0...1).contains(alpha) else { throw InvalidInput("RMSprop alpha \(alpha) must be in [0, 1]") }
            return RMSprop(learningRate: learningRate, alpha: alpha, eps: eps ?? 1e-8, momentum: momentum ?? 0,
                           centered: centered ?? false, weightDecay: weightDecay)
        }
    }

    public var description: String {
        switch kind {
        case .adamw:
            let b = betas ?? [0.9, 0.999]
            return "AdamW(lr=\(learningRate), weight_decay=\(weightDecay), betas=(\(b[0]), \(b.count > 1 ? b[1] : 0.999)), eps=\(eps ?? 1e-8))"
        case .sgd:
            return "SGD(lr=\(learningRate), momentum=\(momentum ?? 0), dampening=\(dampening ?? 0), nesterov=\(nesterov ?? false), weight_decay=\(weightDecay))"
        case .rmsprop:
            return "RMSprop(lr=\(learningRate), alpha=\(alpha ?? 0.99), eps=\(eps ?? 1e-8), momentum=\(momentum ?? 0), centered=\(centered ?? false), weight_decay=\(weightDecay))"
        }
    }

    enum CodingKeys: String, CodingKey {
        case kind, learningRate = "lr", weightDecay = "weight_decay", betas, eps, momentum, dampening, nesterov, alpha, centered
    }

    /// `kind` and `lr` are required; the rest default as in torch.optim.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(Kind.self, forKey: .kind)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? (kind == .adamw ? 0.01 : 0)
        betas = try c.decodeIfPresent([Double].self, forKey: .betas)
        eps = try c.decodeIfPresent(Double.self, forKey: .eps)
        momentum = try c.decodeIfPresent(Double.self, forKey: .momentum)
        dampening = try c.decodeIfPresent(Double.self, forKey: .dampening)
        nesterov = try c.decodeIfPresent(Bool.self, forKey: .nesterov)
        alpha = try c.decodeIfPresent(Double.self, forKey: .alpha)
        centered = try c.decodeIfPresent(Bool.self, forKey: .centered)
    }
}

/// Per-parameter state shared by the optimisers: named buffers and a step count.
final class ParameterBuffers {
    var step = 0
    var buffers: [String: Tensor] = [:]

    func buffer(_ name: String, like parameter: Parameter, initial: (() -> Tensor)? = nil) -> Tensor {
        if let existing = buffers[name] { return existing }
        let made = initial?() ?? Tensor(zeros: parameter.shape)
        buffers[name] = made
        return made
    }
}

/// The bookkeeping every optimiser needs: buffers by parameter name, saving and loading.
public class OptimizerBase {
    public var learningRate: Double
    var perParameter: [String: ParameterBuffers] = [:]
    /// Buffer names this optimiser may hold (for checking a loaded state).
    let bufferNames: [String]

    init(learningRate: Double, bufferNames: [String]) {
        self.learningRate = learningRate
        self.bufferNames = bufferNames
    }

    /// Calls `body` for each parameter of `groups` that has a gradient (the others are skipped,
    /// as PyTorch skips `p.grad is None`), after counting the step in its buffers, with its
    /// group's learning rate (this optimiser's × the group's scale) and weight decay (the
    /// group's, else `weightDecay`).
    func forEachParameter(in groups: [ParameterGroup], weightDecay: Double,
                          _ body: (Parameter, _ grad: Tensor, ParameterBuffers, _ learningRate: Double, _ weightDecay: Double) -> Void) {
        for group in groups {
            let rate = learningRate * group.learningRateScale, decay = group.weightDecay ?? weightDecay
            for parameter in group.parameters {
                guard let grad = parameter.grad else { continue }
                let entry = buffers(for: parameter)
                entry.step += 1
                body(parameter, grad, entry, rate, decay)
            }
        }
    }

    func buffers(for parameter: Parameter) -> ParameterBuffers {
        if let existing = perParameter[parameter.name] { return existing }
        let made = ParameterBuffers()
        perParameter[parameter.name] = made
        return made
    }

    public func state() -> OptimizerState {
        var result = OptimizerState()
        for (name, entry) in perParameter {
            result.steps[name] = entry.step
            for (buffer, tensor) in entry.buffers { result.tensors["\(buffer).\(name)"] = tensor.copy() }
        }
        return result
    }

    public func load(_ state: OptimizerState, parameters: [Parameter]) throws {
        let byName = Dictionary(parameters.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var loaded: [String: ParameterBuffers] = [:]
        for (name, step) in state.steps {
            guard byName[name] != nil else { throw InvalidInput("optimizer state: parameter '\(name)' is not trainable in this model") }
            let entry = ParameterBuffers()
            entry.step = step
            loaded[name] = entry
        }
        for (key, tensor) in state.tensors {
            guard let buffer = bufferNames.first(where: { key.hasPrefix($0 + ".") }) else {
                throw InvalidInput("optimizer state: tensor '\(key)' is not a buffer of this optimizer (\(bufferNames.joined(separator: ", ")))")
            }
            let name = String(key.dropFirst(buffer.count + 1))
            guard let parameter = byName[name], let entry = loaded[name] else {
                throw InvalidInput("optimizer state: tensor '\(key)' belongs to no trainable parameter with a step count")
            }
            guard tensor.shape == parameter.shape else {
                throw TensorShapeError("optimizer state: tensor '\(key)' has shape \(tensor.shape), parameter '\(name)' has \(parameter.shape)")
            }
            entry.buffers[buffer] = tensor.copy()
        }
        perParameter = loaded
    }
}

/// torch.lerp's float formula: a + w·(b − a) for w < 0.5, else b − (b − a)·(1 − w).
@inline(__always)
func lerp(_ a: Float, _ b: Float, weight w: Float) -> Float {
    w < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w)
}

/// Runs `body` over 0..<count in parallel chunks (element-wise optimiser updates).
@inline(__always)
func elementwise(_ count: Int, _ body: (Range<Int>) -> Void) {
    Parallel.forRanges(count, grain: 32_768, body)
}
