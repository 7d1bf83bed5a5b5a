import TensorEngine

/// torch.optim.RMSprop, per parameter p with gradient g:
///
///     g ← g + wd·p                                   (if weight decay)
///     s ← α·s + (1 − α)·g²                           (square_avg)
///     centered: a ← a + (g − a)·(1 − α) (grad_avg);  avg ← √(s − a²) + ε
///     else:     avg ← √s + ε
///     momentum μ > 0: b ← μ·b + g/avg;  p ← p − lr·b
///     else:           p ← p − lr·g/avg
public final class RMSprop: OptimizerBase, Optimizer {
    public let alpha: Double, eps: Double, momentum: Double, centered: Bool, weightDecay: Double

    public init(learningRate: Double, alpha: Double = 0.99, eps: Double = 1e-8, momentum: Double = 0, centered: Bool = false,
                weightDecay: Double = 0) {
        self.alpha = alpha
        self.eps = eps
        self.momentum = momentum
        self.centered = centered
        self.weightDecay = weightDecay
        super.init(learningRate: learningRate, bufferNames: ["square_avg", "grad_avg", "momentum_buffer"])
    }

    public func step(_ groups: [ParameterGroup]) {
        forEachParameter(in: groups, weightDecay: weightDecay, step)
    }

    private func step(_ parameter: Parameter, _ grad: Tensor, _ entry: ParameterBuffers, _ learningRate: Double, _ weightDecay: Double) {
        let square = entry.buffer("square_avg", like: parameter)
        let gradAverage = centered ? entry.buffer("grad_avg", like: parameter) : nil
        let buffer = momentum > 0 ? entry.buffer("momentum_buffer", like: parameter) : nil
        let lr = Float(learningRate), wd = Float(weightDecay), a = Float(alpha), oneMinusA = Float(1 - alpha)
        let eps = Float(self.eps), mu = Float(momentum)
        let p = parameter.value.mutablePointer, g = grad.pointer, s = square.mutablePointer
        let ga = gradAverage?.mutablePointer, b = buffer?.mutablePointer
        withExtendedLifetime((parameter, grad, square, gradAverage, buffer)) {
            elementwise(parameter.value.count) { range in
                for i in range {
                    var gi = g[i]
                    if wd != 0 { gi = gi + wd * p[i] }
                    s[i] = s[i] * a + oneMinusA * (gi * gi)
                    var avg: Float
                    if let ga {
                        ga[i] = lerp(ga[i], gi, weight: oneMinusA)
                        avg = (s[i] + -(ga[i] * ga[i])).squareRoot()
                    } else {
                        avg = s[i].squareRoot()
                    }
                    avg = avg + eps
                    if let b {
                        b[i] = b[i] * mu + gi / avg
                        p[i] = p[i] + -lr * b[i]
                    } else {
                        p[i] = p[i] + -lr * (gi / avg)
                    }
                }
            }
        }
    }
}
