/// Open-addressing hash map from byte strings to `Int32` values: the vocabulary lookup and the
/// BPE result cache. Keys live back to back in one byte array, so a lookup hashes the bytes in
/// place and touches two small arrays; no `[UInt8]` key is allocated per query (a Swift
/// `Dictionary<[UInt8], Int>` spends most of its time doing exactly that).
struct ByteStringMap {
    private var keyBytes: [UInt8] = []
    private var keyStarts: [Int32] = []   // entry i's key is keyBytes[keyStarts[i] ..< keyStarts[i + 1]]
    private var values: [Int32] = []
    // One slot per power-of-two bucket: 0 when empty, else (hash's high 32 bits << 32 | entry + 1),
    // so most mismatches are rejected without reading the key.
    private var slots: [UInt64]
    private var mask: Int

    init(minimumCapacity: Int = 16) {
        var size = 16
        while size < minimumCapacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        keyStarts = [0]
    }

    var count: Int { values.count }
    var storedKeyBytes: Int { keyBytes.count }

    func value(for key: UnsafeBufferPointer<UInt8>) -> Int32? {
        let hash = Self.hash(key)
        let tag = hash & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            keyBytes.withUnsafeBufferPointer { keyBytes in
                while true {
                    let entry = slots[slot]
                    if entry == 0 { return nil }
                    if entry & 0xFFFF_FFFF_0000_0000 == tag {
                        let index = Int(entry & 0xFFFF_FFFF) - 1
                        let start = Int(keyStarts[index]), end = Int(keyStarts[index + 1])
                        if end - start == key.count,
                           key.count == 0 || memcmp(keyBytes.baseAddress! + start, key.baseAddress!, key.count) == 0 {
                            return values[index]
                        }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// Adds `key` (which must not be present yet) with `value`.
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, value: Int32) {
        if (values.count + 1) * 2 > slots.count { grow() }
        keyBytes.append(contentsOf: key)
        keyStarts.append(Int32(keyBytes.count))
        values.append(value)
        place(entry: values.count - 1, hash: Self.hash(key))
    }

    mutating func removeAll() {
        keyBytes.removeAll(keepingCapacity: true)
        keyStarts.removeAll(keepingCapacity: true)
        keyStarts.append(0)
        values.removeAll(keepingCapacity: true)
        for i in slots.indices { slots[i] = 0 }
    }

    private mutating func place(entry: Int, hash: UInt64) {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(entry + 1)
    }

    private mutating func grow() {
        slots = [UInt64](repeating: 0, count: slots.count * 2)
        mask = slots.count - 1
        for entry in values.indices {
            let start = Int(keyStarts[entry]), end = Int(keyStarts[entry + 1])
            let hash = keyBytes.withUnsafeBufferPointer { Self.hash(UnsafeBufferPointer(rebasing: $0[start ..< end])) }
            place(entry: entry, hash: hash)
        }
    }

    /// A fast multiply-mix hash, 8 bytes per step; not for adversarial input, which a
    /// tokenizer's vocabulary and cache are not exposed to in a way that matters.
    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h = UInt64(truncatingIfNeeded: key.count) &* multiplier
        guard var p = UnsafeRawPointer(key.baseAddress) else { return mix(h) }
        var remaining = key.count
        while remaining >= 8 {
            h = (h ^ p.loadUnaligned(as: UInt64.self)) &* multiplier
            h = (h << 29) | (h >> 35)
            p += 8
            remaining -= 8
        }
        if remaining > 0 {
            var tail: UInt64 = 0
            for i in 0 ..< remaining { tail |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << (8 * UInt64(i)) }
            h = (h ^ tail) &* multiplier
        }
        return mix(h)
    }

    @inline(__always)
    private static func mix(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 32
        h &*= 0xD6E8_FEB8_6659_FD93
        h ^= h >> 32
        return h
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
