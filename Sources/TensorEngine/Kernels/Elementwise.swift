// Element-wise kernels: add, accumulate, scale. The residual connection of every
// transformer block is `Ops.add` (forward out = a + b; backward da += dout, db += dout).
// CKernels runs the loops; the Swift ones are the reference.
import CKernels

/// Raw-pointer kernels shared by the ops (llm.c style: explicit buffers, no allocation).
public enum Kernels {
    /// Parallel grain for streaming element-wise work (~32K floats ≈ 10 µs).
    static let elementwiseGrain = 32_768

    /// out[i] = a[i] + b[i]
    public static func add(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
        let reference = VectorKernels.swiftReference
        Parallel.forRanges(count, grain: elementwiseGrain) { range in
            let lo = range.lowerBound
            guard reference else { return tc_add(out + lo, a + lo, b + lo, range.count) }
            var i = range.lowerBound
            while i + vecWidth <= range.upperBound {
                store(load(a, i) + load(b, i), out, i)
                i += vecWidth
            }
            while i < range.upperBound { out[i] = a[i] + b[i]; i += 1 }
        }
    }

    /// y[i] += x[i]
    public static func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        let reference = VectorKernels.swiftReference
        Parallel.forRanges(count, grain: elementwiseGrain) { range in
            guard reference else { return tc_add_in_place(y + range.lowerBound, x + range.lowerBound, range.count) }
            var i = range.lowerBound
            while i + vecWidth <= range.upperBound {
                store(load(y, i) + load(x, i), y, i)
                i += vecWidth
            }
            while i < range.upperBound { y[i] += x[i]; i += 1 }
        }
    }

    /// y[i] += alpha · x[i]
    public static func axpy(_ y: UnsafeMutablePointer<Float>, alpha: Float, _ x: UnsafePointer<Float>, count: Int) {
        let reference = VectorKernels.swiftReference
        Parallel.forRanges(count, grain: elementwiseGrain) { range in
            guard reference else { return tc_axpy(y + range.lowerBound, alpha, x + range.lowerBound, range.count) }
            var i = range.lowerBound
            while i + vecWidth <= range.upperBound {
                store(load(y, i) + alpha * load(x, i), y, i)
                i += vecWidth
            }
            while i < range.upperBound { y[i] += alpha * x[i]; i += 1 }
        }
    }
}

/// The differentiable ops a model's forward calls. Each takes `tape: Tape?`: with a tape it
/// records its backward step (when some input requires a gradient); with nil it is pure
/// inference and keeps nothing.
public enum Ops {
    /// True if an op with these inputs must record a backward step.
    @inline(__always)
    static func recording(_ tape: Tape?, _ inputs: Variable?...) -> Bool {
        guard tape != nil else { return false }
        return inputs.contains { $0?.requiresGrad == true }
    }

    static func recording(_ tape: Tape?, _ inputs: [Variable]) -> Bool {
        tape != nil && inputs.contains { $0.requiresGrad }
    }

    static func checkSameShape(_ a: Variable, _ b: Variable, _ op: String) {
        if a.shape != b.shape { fatalError("\(op): shapes \(a.shape) and \(b.shape) differ") }
    }

    /// Residual connection: a + b (same shapes).
    public static func add(_ a: Variable, _ b: Variable, tape: Tape?) -> Variable {
        checkSameShape(a, b, "add")
        let out = Tensor(uninitializedShape: a.shape)
        withExtendedLifetime((a, b)) {
            Kernels.add(out.mutablePointer, a.value.pointer, b.value.pointer, count: out.count)
        }
        let result = Variable(out, requiresGrad: recording(tape, a, b))
        if result.requiresGrad, let tape {
            tape.record("add", output: result, saved: []) {
                guard let dout = result.grad else { return }
                for input in [a, b] where input.requiresGrad {
                    Kernels.addInPlace(input.gradBuffer().mutablePointer, dout.pointer, count: dout.count)
                }
            }
        }
        return result
    }

    /// s · x (LoRA's alpha / r on its low-rank update).
    public static func scale(_ x: Variable, by s: Float, tape: Tape?) -> Variable {
        let out = Tensor(zeros: x.shape)
        withExtendedLifetime(x) { Kernels.axpy(out.mutablePointer, alpha: s, x.value.pointer, count: out.count) }
        let result = Variable(out, requiresGrad: recording(tape, x))
        if result.requiresGrad, let tape {
            tape.record("scale", output: result, saved: []) {
                guard let dout = result.grad else { return }
                Kernels.axpy(x.gradBuffer().mutablePointer, alpha: s, dout.pointer, count: dout.count)
            }
        }
        return result
    }
}
