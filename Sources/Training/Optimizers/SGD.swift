import TensorEngine

/// torch.optim.SGD, per parameter p with gradient g:
///
///     d ← g + wd·p                                  (if weight decay)
///     b ← d at the first step, else μ·b + (1 − dampening)·d   (if momentum μ > 0)
///     d ← d + μ·b (Nesterov) or b
///     p ← p − lr·d
public final class SGD: OptimizerBase, Optimizer {
    public let momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double

    public init(learningRate: Double, momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        super.init(learningRate: learningRate, bufferNames: ["momentum_buffer"])
    }

    public func step(_ groups: [ParameterGroup]) {
        forEachParameter(in: groups, weightDecay: weightDecay, step)
    }

    private func step(_ parameter: Parameter, _ grad: Tensor, _ entry: ParameterBuffers, _ learningRate: Double, _ weightDecay: Double) {
        let first = entry.buffers["momentum_buffer"] == nil
        let buffer = momentum > 0 ? entry.buffer("momentum_buffer", like: parameter) : nil
        let lr = Float(learningRate), wd = Float(weightDecay), mu = Float(momentum), keep = Float(1 - dampening)
        let nesterov = self.nesterov
        let p = parameter.value.mutablePointer, g = grad.pointer, b = buffer?.mutablePointer
        withExtendedLifetime((parameter, grad, buffer)) {
            elementwise(parameter.value.count) { range in
                for i in range {
                    var d = g[i]
                    if wd != 0 { d = d + wd * p[i] }
                    if let b {
                        b[i] = first ? d : b[i] * mu + keep * d
                        d = nesterov ? d + mu * b[i] : b[i]
                    }
                    p[i] = p[i] + -lr * d
                }
            }
        }
    }
}
