// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_(max_norm, 2):
//   total = √(Σ_tensors ‖g‖²);  coef = min(1, max_norm / (total + 1e-6));  g ← g·coef
// The sums run in Double, tensor by tensor in a fixed order, chunk partials added in chunk
// order: the same gradients always give the same norm, however many cores run it.
import TensorEngine

public enum GradientClipping {
    /// The global L2 norm of the parameters' gradients (parameters without one count as 0).
    public static func globalNorm(_ parameters: [Parameter]) -> Double {
        var total: Double = 0
        for parameter in parameters {
            guard let grad = parameter.grad else { continue }
            let count = grad.count
            let chunks = Parallel.chunkCount(count, grain: 65_536)
            var partials = [Double](repeating: 0, count: chunks)
            withExtendedLifetime(grad) {
                let g = grad.pointer
                partials.withUnsafeMutableBufferPointer { out in
                    let out = out.baseAddress!
                    Parallel.forChunks(count, grain: 65_536) { chunk, range in
                        var sum: Double = 0
                        for i in range { let v = Double(g[i]); sum += v * v }
                        out[chunk] = sum
                    }
                }
            }
            for partial in partials { total += partial }
        }
        return total.squareRoot()
    }

    /// Scales the gradients so their global norm is at most `maxNorm`; returns the norm before.
    @discardableResult
    public static func clip(_ parameters: [Parameter], maxNorm: Double) -> Double {
        let norm = globalNorm(parameters)
        let coefficient = Float(min(1, maxNorm / (norm + 1e-6)))
        guard coefficient < 1 else { return norm }
        for parameter in parameters {
            guard let grad = parameter.grad else { continue }
            withExtendedLifetime(grad) {
                let g = grad.mutablePointer
                elementwise(grad.count) { range in for i in range { g[i] *= coefficient } }
            }
        }
        return norm
    }
}
