// GELU activation, in the two forms checkpoints were trained with:
//   tanh (GPT-2, "gelu_new"):  0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
//   erf  (BERT, "gelu"):       0.5·x·(1 + erf(x/√2)) = x·Φ(x)
// Backward recomputes from the saved input: dx += dout · gelu'(x).
// The loops run in CKernels (vector units, the same bits); the Swift ones are the reference.
import CKernels

public enum GELUKind: Sendable {
    case tanh
    case erf

    /// CKernels' code for the form.
    var code: Int32 { self == .tanh ? 0 : 1 }
}

public enum GELUKernel {
    static let sqrt2OverPi: Float = 0.797_884_56
    static let cubic: Float = 0.044_715
    static let invSqrt2: Float = 0.707_106_77
    static let invSqrt2Pi: Float = 0.398_942_3

    @inline(__always) static func value(_ x: Vec, _ kind: GELUKind) -> Vec {
        switch kind {
        case .tanh:
            let t = tanh(sqrt2OverPi * (x + cubic * x * x * x))
            return 0.5 * x * (1 + t)
        case .erf:
            return 0.5 * x * (1 + erf(x * invSqrt2))
        }
    }

    @inline(__always) static func derivative(_ x: Vec, _ kind: GELUKind) -> Vec {
        switch kind {
        case .tanh:
            let t = tanh(sqrt2OverPi * (x + cubic * x * x * x))
            let dinner = sqrt2OverPi * (1 + 3 * cubic * x * x)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner
        case .erf:
            return 0.5 * (1 + erf(x * invSqrt2)) + x * invSqrt2Pi * exp(-0.5 * x * x)
        }
    }

    /// The scalar tail goes through a one-lane vector so every element uses the same formula.
    @inline(__always) static func scalar(_ x: Float, _ f: (Vec) -> Vec) -> Float {
        var v = Vec()
        v[0] = x
        return f(v)[0]
    }

    public static func forward(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int, kind: GELUKind) {
        let reference = VectorKernels.swiftReference
        Parallel.forRanges(count, grain: Kernels.elementwiseGrain / 4) { range in
            guard reference else {
                return tc_gelu_forward(out + range.lowerBound, x + range.lowerBound, range.count, kind.code)
            }
            var i = range.lowerBound
            while i + vecWidth <= range.upperBound { store(value(load(x, i), kind), out, i); i += vecWidth }
            while i < range.upperBound { out[i] = scalar(x[i]) { value($0, kind) }; i += 1 }
        }
    }

    /// dx += dout · gelu'(x)
    public static func backward(dx: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                count: Int, kind: GELUKind) {
        let reference = VectorKernels.swiftReference
        Parallel.forRanges(count, grain: Kernels.elementwiseGrain / 4) { range in
            let lo = range.lowerBound
            guard reference else { return tc_gelu_backward(dx + lo, dout + lo, x + lo, range.count, kind.code) }
            var i = range.lowerBound
            while i + vecWidth <= range.upperBound {
                store(load(dx, i) + load(dout, i) * derivative(load(x, i), kind), dx, i)
                i += vecWidth
            }
            while i < range.upperBound { dx[i] += dout[i] * scalar(x[i]) { derivative($0, kind) }; i += 1 }
        }
    }
}

extension Ops {
    public static func gelu(_ x: Variable, kind: GELUKind, tape: Tape?) -> Variable {
        let out = Tensor(uninitializedShape: x.shape)
        withExtendedLifetime(x) {
            GELUKernel.forward(out: out.mutablePointer, x: x.value.pointer, count: out.count, kind: kind)
        }
        let result = Variable(out, requiresGrad: recording(tape, x))
        if result.requiresGrad, let tape {
            tape.record("gelu", output: result, saved: [x.value]) {
                guard let dout = result.grad else { return }
                GELUKernel.backward(dx: x.gradBuffer().mutablePointer, dout: dout.pointer, x: x.value.pointer,
                                    count: dout.count, kind: kind)
            }
        }
        return result
    }
}
