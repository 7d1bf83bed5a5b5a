// Seeded randomness. Dropout draws each element's keep/drop decision from a counter-based
// hash (seed, call counter, element index), so results do not depend on how the work was
// split between threads, and the same seed always gives the same masks.

/// SplitMix64 (Steele et al.): tiny, fast, good enough for initialisation and dropout.
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
