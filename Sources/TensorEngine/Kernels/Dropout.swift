// Inverted dropout: during training each element is zeroed with probability `rate` and the
// survivors scaled by 1/(1 − rate). Keep/drop comes from a counter-based hash of
// (seed, call number, element index), so the mask is the same however the work is split
// between threads, and backward regenerates it instead of storing it.
// Without a tape (inference) or with rate 0 the op returns its input itself: an exact no-op.

import DataIO

/// Dropout's randomness: a seed and the number of dropout calls made so far.
public struct DropoutGenerator: Sendable, Equatable {
    public let seed: UInt64
    public private(set) var calls: UInt64 = 0

    public init(seed: UInt64) { self.seed = seed }

    /// The key of the next dropout call's mask.
    mutating func nextKey() -> UInt64 {
        defer { calls += 1 }
        return SplitMix64.mix(seed ^ SplitMix64.mix(calls &+ 0x632B_E59B_D9B4_E019))
    }
}

public enum DropoutKernel {
    /// out[j] = x[j] · mask(firstIndex + j), or out[j] += that with `accumulate`, for j in
    /// 0..<count; mask(e) is 0 (dropped) or 1/(1 − rate). Element e's draw is 16 bits of
    /// hash(key, e / 4): one 64-bit hash serves four consecutive elements, and the mask depends
    /// only on e, never on how the elements are split into calls.
    @inline(__always)
    static func multiply(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int, firstIndex: Int,
                         rate: Float, key: UInt64, accumulate: Bool) {
        let keepScale = 1 / (1 - rate)
        let threshold = UInt64((rate * 65536).rounded(.up))  // dropped when the draw is below
        var j = 0
        while j < count {
            let index = firstIndex + j
            let bits = SplitMix64.mix(key &+ UInt64(index >> 2) &* 0x9E37_79B9_7F4A_7C15)
            var lane = index & 3
            while lane < 4 && j < count {
                let draw = (bits >> UInt64(lane * 16)) & 0xFFFF
                let v = x[j] * (draw < threshold ? 0 : keepScale)
                out[j] = accumulate ? out[j] + v : v
                lane += 1
                j += 1
            }
        }
    }

    /// out = x · mask (forward) or dx += dout · mask (backward, accumulate = true).
    public static func apply(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int,
                             rate: Float, key: UInt64, accumulate: Bool) {
        Parallel.forRanges(count, grain: Kernels.elementwiseGrain / 4) { range in
            multiply(out: out + range.lowerBound, x: x + range.lowerBound, count: range.count, firstIndex: range.lowerBound,
                     rate: rate, key: key, accumulate: accumulate)
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
