/// For every pair of tokens (left, right) whose concatenated bytes are themselves a token,
/// that token's id. In tiktoken's BPE the priority of merging two adjacent parts is the rank
/// of their concatenation, and a GPT-2 rank is the token id, so this one table answers both
/// "may these merge?" and "with which priority, into what?" with a single integer probe.
struct PairMergeTable {
    private static let empty = UInt64.max
    private var keys: [UInt64]
    private var merged: [Int32]
    private let shift: UInt64

    init(capacity: Int) {
        var bits: UInt64 = 4
        while (1 << bits) < capacity * 2 { bits += 1 }
        keys = [UInt64](repeating: Self.empty, count: 1 << bits)
        merged = [Int32](repeating: -1, count: 1 << bits)
        shift = 64 - bits
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private func slot(for key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    mutating func insert(left: Int32, right: Int32, merged id: Int32) {
        let key = Self.key(left, right)
        var slot = slot(for: key)
        while keys[slot] != Self.empty && keys[slot] != key { slot = (slot + 1) & (keys.count - 1) }
        keys[slot] = key
        merged[slot] = id
    }

    /// The merged token's id, or `Int32.max` ("never") when the pair does not merge.
    @inline(__always)
    func merge(_ left: Int32, _ right: Int32) -> Int32 {
        let key = Self.key(left, right)
        var slot = slot(for: key)
        let mask = keys.count - 1
        while true {
            let found = keys[slot]
            if found == key { return merged[slot] }
            if found == Self.empty { return Int32.max }
            slot = (slot + 1) & mask
        }
    }
}
