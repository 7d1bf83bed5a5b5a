// tanh activation (BERT's pooler: dense + tanh on the [CLS] state).
// Backward from the saved output: dx += dout · (1 − y²). CKernels runs the loops; the Swift
// ones are the reference.
import CKernels

public enum TanhKernel {
    public static func forward(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
        let reference = VectorKernels.swiftReference
        Parallel.forRanges(count, grain: Kernels.elementwiseGrain / 4) { range in
            guard reference else { return tc_tanh_forward(out + range.lowerBound, x + range.lowerBound, range.count) }
            var i = range.lowerBound
            while i + vecWidth <= range.upperBound { store(tanh(load(x, i)), out, i); i += vecWidth }
            while i < range.upperBound {
                var v = Vec()
                v[0] = x[i]
                out[i] = tanh(v)[0]
                i += 1
            }
        }
    }

    /// dx += dout · (1 − y²), with y the forward output.
    public static func backward(dx: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int) {
        let reference = VectorKernels.swiftReference
        Parallel.forRanges(count, grain: Kernels.elementwiseGrain) { range in
            let lo = range.lowerBound
            guard reference else { return tc_tanh_backward(dx + lo, dout + lo, y + lo, range.count) }
            var i = range.lowerBound
            while i + vecWidth <= range.upperBound {
                let t = load(y, i)
                store(load(dx, i) + load(dout, i) * (1 - t * t), dx, i)
                i += vecWidth
            }
            while i < range.upperBound { dx[i] += dout[i] * (1 - y[i] * y[i]); i += 1 }
        }
    }
}

extension Ops {
    public static func tanh(_ x: Variable, tape: Tape?) -> Variable {
        let out = Tensor(uninitializedShape: x.shape)
        withExtendedLifetime(x) { TanhKernel.forward(out: out.mutablePointer, x: x.value.pointer, count: out.count) }
        let result = Variable(out, requiresGrad: recording(tape, x))
        if result.requiresGrad, let tape {
            tape.record("tanh", output: result, saved: [out]) {
                guard let dout = result.grad else { return }
                TanhKernel.backward(dx: x.gradBuffer().mutablePointer, dout: dout.pointer, y: out.pointer, count: out.count)
            }
        }
        return result
    }

    /// Row-wise softmax over the last dimension, for predictions (inference only: training
    /// uses `crossEntropy`, which includes the softmax in its gradient).
    public static func softmax(_ logits: Tensor) -> Tensor {
        let cols = logits.shape.last ?? 1
        let rows = cols == 0 ? 0 : logits.count / cols
        let out = logits.copy()
        let p = out.mutablePointer
        Parallel.forEach(rows, grain: max(1, 4096 / max(1, cols))) { r in
            AttentionKernel.softmaxRow(p + r * cols, count: cols)
        }
        return out
    }
}
