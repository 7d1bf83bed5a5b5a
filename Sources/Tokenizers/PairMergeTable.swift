/// For every pair of tokens (left, right) whose concatenated bytes are themselves a token,
/// that token's id. In tiktoken's BPE the priority of merging two adjacent parts is the rank
/// of their concatenation, and a rank is the token's id, so this one table answers both
/// "may these merge?" and "with which priority, into what?" with a single probe.
///
/// Each slot is one UInt64 (left, right and merged id, 21 bits each), so a probe touches one
/// cache line; ids must therefore stay below 2^21, which `maximumID` states.
struct PairMergeTable {
    static let maximumID = (1 << 21) - 1
    private static let empty = UInt64.max
    private var slots: [UInt64]
    private let shift: UInt64

    init(capacity: Int) {
        var bits: UInt64 = 4
        while (1 << bits) < capacity * 2 { bits += 1 }
        slots = [UInt64](repeating: Self.empty, count: 1 << bits)
        shift = 64 - bits
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(truncatingIfNeeded: left) << 42 | UInt64(truncatingIfNeeded: right) << 21
    }

    @inline(__always)
    private func slot(for key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// Records that (left, right) merge into `id`; a pair already present keeps its first id
    /// (there is only one: the concatenation of two given tokens is one byte string).
    mutating func insert(left: Int32, right: Int32, merged id: Int32) {
        let key = Self.key(left, right)
        let mask = slots.count - 1
        var slot = slot(for: key)
        while slots[slot] != Self.empty {
            if slots[slot] & ~0x1F_FFFF == key { return }
            slot = (slot + 1) & mask
        }
        slots[slot] = key | UInt64(id)
    }

    /// The merged token's id, or `Int32.max` ("never") when the pair does not merge.
    @inline(__always)
    func merge(_ left: Int32, _ right: Int32) -> Int32 {
        let key = Self.key(left, right)
        let mask = slots.count - 1
        var slot = slot(for: key)
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let found = slots[slot]
                if found & ~0x1F_FFFF == key { return Int32(truncatingIfNeeded: found & 0x1F_FFFF) }
                if found == Self.empty { return Int32.max }
                slot = (slot + 1) & mask
            }
        }
    }
}
