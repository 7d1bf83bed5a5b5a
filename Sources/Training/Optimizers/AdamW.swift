import CKernels
import Foundation
import TensorEngine

/// torch.optim.AdamW (decoupled weight decay, bias-corrected moments), per parameter p with
/// gradient g at step t:
///
///     p ← p · (1 − lr·wd)
///     m ← m + (g − m)·(1 − β1)                 (exp_avg.lerp_)
///     v ← v·β2 + (1 − β2)·g²                   (exp_avg_sq)
///     p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
///
/// Sixteen elements at a time (the same IEEE operations per element as one at a time, so the
/// result does not depend on the vector width or on how the elements are split between cores).
/// CKernels' tc_adamw runs the loop (the same operations); the Swift one is the reference.
public final class AdamW: OptimizerBase, Optimizer {
    public let beta1: Double, beta2: Double, eps: Double, weightDecay: Double

    public init(learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0.01) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        super.init(learningRate: learningRate, bufferNames: ["exp_avg", "exp_avg_sq"])
    }

    public func step(_ groups: [ParameterGroup]) {
        forEachParameter(in: groups, weightDecay: weightDecay, step)
    }

    private func step(_ parameter: Parameter, _ grad: Tensor, _ entry: ParameterBuffers, _ learningRate: Double, _ weightDecay: Double) {
        let m = entry.buffer("exp_avg", like: parameter), v = entry.buffer("exp_avg_sq", like: parameter)
        // Scalars in Double as Python computes them, then float32 as the kernels use them.
        let t = Double(entry.step)
        let constants = Constants(
            decay: Float(1 - learningRate * weightDecay), stepSize: Float(learningRate / (1 - pow(beta1, t))),
            correction2Sqrt: Float((1 - pow(beta2, t)).squareRoot()), oneMinusBeta1: Float(1 - beta1),
            beta2: Float(beta2), oneMinusBeta2: Float(1 - beta2), eps: Float(eps))
        let p = parameter.value.mutablePointer, g = grad.pointer, mp = m.mutablePointer, vp = v.mutablePointer
        let reference = VectorKernels.swiftReference
        let cConstants = tc_adamw_constants(
            decay: constants.decay, step_size: constants.stepSize, correction2_sqrt: constants.correction2Sqrt,
            one_minus_beta1: constants.oneMinusBeta1, beta2: constants.beta2, one_minus_beta2: constants.oneMinusBeta2, eps: constants.eps)
        withExtendedLifetime((parameter, grad, m, v)) { withUnsafePointer(to: cConstants) { cp in
            elementwise(parameter.value.count) { range in
                let lo = range.lowerBound
                guard reference else { return tc_adamw(p + lo, g + lo, mp + lo, vp + lo, range.count, cp) }
                var i = range.lowerBound
                while i + 16 <= range.upperBound {
                    Self.update(p + i, g + i, mp + i, vp + i, SIMD16<Float>.self, constants)
                    i += 16
                }
                while i < range.upperBound {
                    // The tail goes through a vector too (one lane used): the same formula.
                    var buffers = (SIMD16<Float>(repeating: p[i]), SIMD16<Float>(repeating: g[i]),
                                   SIMD16<Float>(repeating: mp[i]), SIMD16<Float>(repeating: vp[i]))
                    withUnsafeMutableBytes(of: &buffers) { raw in
                        let lanes = raw.bindMemory(to: Float.self).baseAddress!
                        Self.update(lanes, lanes + 16, lanes + 32, lanes + 48, SIMD16<Float>.self, constants)
                        p[i] = lanes[0]
                        mp[i] = lanes[32]
                        vp[i] = lanes[48]
                    }
                    i += 1
                }
            }
        } }
    }

    struct Constants {
        let decay, stepSize, correction2Sqrt, oneMinusBeta1, beta2, oneMinusBeta2, eps: Float
    }

    /// One vector of elements (any width: the same operations in the same order).
    @inline(__always)
    static func update<V: SIMD>(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                                _ v: UnsafeMutablePointer<Float>, _: V.Type, _ c: Constants) where V.Scalar == Float {
        let gi = UnsafeRawPointer(g).loadUnaligned(as: V.self)
        let pi = UnsafeRawPointer(p).loadUnaligned(as: V.self) * c.decay
        let mOld = UnsafeRawPointer(m).loadUnaligned(as: V.self)
        // torch.lerp: a + w·(b − a) for w < 0.5, else b − (b − a)·(1 − w).
        let mi = c.oneMinusBeta1 < 0.5 ? mOld + c.oneMinusBeta1 * (gi - mOld) : gi - (gi - mOld) * (1 - c.oneMinusBeta1)
        let vi = UnsafeRawPointer(v).loadUnaligned(as: V.self) * c.beta2 + c.oneMinusBeta2 * (gi * gi)
        UnsafeMutableRawPointer(m).storeBytes(of: mi, as: V.self)
        UnsafeMutableRawPointer(v).storeBytes(of: vi, as: V.self)
        let denom = vi.squareRoot() / c.correction2Sqrt + c.eps
        UnsafeMutableRawPointer(p).storeBytes(of: pi + -c.stepSize * (mi / denom), as: V.self)
    }
}
