import Foundation
import TensorEngine

/// torch.optim.AdamW (decoupled weight decay, bias-corrected moments), per parameter p with
/// gradient g at step t:
///
///     p ← p · (1 − lr·wd)
///     m ← m + (g − m)·(1 − β1)                 (exp_avg.lerp_)
///     v ← v·β2 + (1 − β2)·g²                   (exp_avg_sq)
///     p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
public final class AdamW: OptimizerBase, Optimizer {
    public let beta1: Double, beta2: Double, eps: Double, weightDecay: Double

    public init(learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0.01) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        super.init(learningRate: learningRate, bufferNames: ["exp_avg", "exp_avg_sq"])
    }

    public func step(_ parameters: [Parameter]) {
        for parameter in parameters {
            guard let grad = parameter.grad else { continue }
            let entry = buffers(for: parameter)
            entry.step += 1
            let m = entry.buffer("exp_avg", like: parameter), v = entry.buffer("exp_avg_sq", like: parameter)
            // Scalars in Double as Python computes them, then float32 as the kernels use them.
            let t = Double(entry.step)
            let decay = Float(1 - learningRate * weightDecay)
            let stepSize = Float(learningRate / (1 - pow(beta1, t)))
            let correction2Sqrt = Float((1 - pow(beta2, t)).squareRoot())
            let oneMinusBeta1 = Float(1 - beta1), beta2 = Float(self.beta2), oneMinusBeta2 = Float(1 - self.beta2)
            let eps = Float(self.eps)
            let p = parameter.value.mutablePointer, g = grad.pointer, mp = m.mutablePointer, vp = v.mutablePointer
            withExtendedLifetime((parameter, grad, m, v)) {
                elementwise(parameter.value.count) { range in
                    for i in range {
                        let gi = g[i]
                        let pi = p[i] * decay
                        let mi = lerp(mp[i], gi, weight: oneMinusBeta1)
                        let vi = vp[i] * beta2 + oneMinusBeta2 * (gi * gi)
                        mp[i] = mi
                        vp[i] = vi
                        let denom = vi.squareRoot() / correction2Sqrt + eps
                        p[i] = pi + -stepSize * (mi / denom)
                    }
                }
            }
        }
    }
}
