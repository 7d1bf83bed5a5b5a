// Seeded randomness shared by the whole project (dataset splits, samplers, initialisation).
// Everything here is spelled out rather than borrowed from the standard library: the stdlib's
// `shuffle(using:)` and `random(in:using:)` are free to change how many numbers they draw, and a
// split recorded today must come out the same with any Swift version (and in a Python script).

/// SplitMix64 (Steele et al.): tiny, fast, and good enough for shuffles, sampling and
/// initialisation. The same seed always gives the same sequence.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// A float uniform in [0, 1) from the top 24 bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// The SplitMix64 finaliser: a bijective scramble of 64 bits.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension RandomNumberGenerator {
    /// A number uniform in `0..<bound` (bound > 0), without modulo bias: draws `r = next()` until
    /// `r >= 2^64 mod bound`, then returns `r % bound`. In Python:
    ///
    ///     threshold = (2**64 - bound) % bound
    ///     while (r := rng.next()) < threshold: pass
    ///     return r % bound
    public mutating func uniform(below bound: Int) -> Int {
        precondition(bound > 0, "uniform(below:) needs a positive bound")
        let n = UInt64(bound)
        let threshold = (0 &- n) % n
        while true {
            let r = next()
            if r >= threshold { return Int(r % n) }
        }
    }
}

extension MutableCollection where Self: RandomAccessCollection {
    /// Fisher–Yates, back to front: for i from count-1 down to 1, swap element i with element
    /// `uniform(below: i + 1)`. Deterministic for a seeded generator on every Swift version.
    public mutating func fisherYatesShuffle<G: RandomNumberGenerator>(using generator: inout G) {
        var i = count - 1
        while i > 0 {
            let j = generator.uniform(below: i + 1)
            if j != i { swapAt(index(startIndex, offsetBy: i), index(startIndex, offsetBy: j)) }
            i -= 1
        }
    }
}

extension Sequence {
    /// The elements in a deterministic random order (see `fisherYatesShuffle(using:)`).
    public func fisherYatesShuffled<G: RandomNumberGenerator>(using generator: inout G) -> [Element] {
        var result = Array(self)
        result.fisherYatesShuffle(using: &generator)
        return result
    }
}
