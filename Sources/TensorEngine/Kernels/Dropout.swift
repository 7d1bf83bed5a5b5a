// Inverted dropout: during training each element is zeroed with probability `rate` and the
// survivors scaled by 1/(1 − rate). Keep/drop comes from a counter-based hash of
// (seed, call number, element index), so the mask is the same however the work is split
// between threads, and backward regenerates it instead of storing it.
// Without a tape (inference) or with rate 0 the op returns its input itself: an exact no-op.

// CKernels runs the loop (the same hash, 16 elements at a time); the Swift one is the reference.
import CKernels
import Common

/// Dropout's randomness: a seed and the number of dropout calls made so far.
public struct DropoutGenerator: Sendable, Equatable {
    public let seed: UInt64
    public private(set) var calls: UInt64 = 0

    /// `calls` restores a generator part-way through a run (what `--resume` needs).
    public init(seed: UInt64, calls: UInt64 = 0) {
        self.seed = seed
        self.calls = calls
    }

    /// The key of the next dropout call's mask.
    mutating func nextKey() -> UInt64 {
        defer { calls += 1 }
        return SplitMix64.mix(seed ^ SplitMix64.mix(calls &+ 0x632B_E59B_D9B4_E019))
    }
}

public enum DropoutKernel {
    /// Per-element keep scale: 0 (dropped) or 1/(1 − rate).
    @inline(__always) static func scale(key: UInt64, index: Int, rate: Float, keepScale: Float) -> Float {
        let bits = SplitMix64.mix(key &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        let uniform = Float(bits >> 40) * (1.0 / 16_777_216.0)
        return uniform < rate ? 0 : keepScale
    }

    /// out = x · mask (forward) or dx += dout · mask (backward, accumulate = true).
    public static func apply(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int,
                             rate: Float, key: UInt64, accumulate: Bool) {
        let keepScale = 1 / (1 - rate)
        let reference = VectorKernels.swiftReference
        Parallel.forRanges(count, grain: Kernels.elementwiseGrain / 4) { range in
            let lo = range.lowerBound
            guard reference else {
                return tc_dropout(out + lo, x + lo, range.count, lo, key, rate, keepScale, accumulate ? 1 : 0)
            }
            for i in range {
                let v = x[i] * scale(key: key, index: i, rate: rate, keepScale: keepScale)
                out[i] = accumulate ? out[i] + v : v
            }
        }
    }
}

extension Ops {
    /// Dropout while training (a tape is recording); identity otherwise or when rate is 0.
    public static func dropout(_ x: Variable, rate: Float, generator: inout DropoutGenerator, tape: Tape?) -> Variable {
        guard rate > 0, tape != nil else { return x }
        guard rate < 1 else { fatalError("dropout rate \(rate) must be below 1") }
        let key = generator.nextKey()
        let out = Tensor(uninitializedShape: x.shape)
        withExtendedLifetime(x) {
            DropoutKernel.apply(out: out.mutablePointer, x: x.value.pointer, count: out.count, rate: rate, key: key, accumulate: false)
        }
        let result = Variable(out, requiresGrad: recording(tape, x))
        if result.requiresGrad, let tape {
            tape.record("dropout", output: result, saved: []) {
                guard let dout = result.grad else { return }
                DropoutKernel.apply(out: x.gradBuffer().mutablePointer, x: dout.pointer, count: dout.count,
                                    rate: rate, key: key, accumulate: true)
            }
        }
        return result
    }
}
