/// Open-addressing hash set of byte strings, each known by its entry index (0, 1, 2, ... in
/// insertion order): the vocabulary lookup (a token's entry index is its id) and the BPE result
/// cache. Keys live back to back in one byte array, so a lookup hashes the bytes in place and
/// allocates nothing (a `Dictionary<[UInt8], Int>` spends most of its time making key arrays).
struct ByteStringMap {
    private var keyBytes: [UInt8] = []
    /// Entry i's key is keyBytes[keyStarts[i] ..< keyStarts[i + 1]].
    private var keyStarts: [Int32] = [0]
    /// One slot per power-of-two bucket: 0 when empty, else the hash's top 24 bits, the key
    /// length (capped at 255) and entry + 1, so most non-matching slots are rejected without
    /// reading a key.
    private var slots: [UInt64]
    private var mask: Int

    init(minimumCapacity: Int = 16) {
        var size = 16
        while size < minimumCapacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    var count: Int { keyStarts.count - 1 }
    var storedKeyBytes: Int { keyBytes.count }

    @inline(__always)
    private static func signature(hash: UInt64, length: Int) -> UInt64 {
        (hash & 0xFFFF_FF00_0000_0000) | UInt64(min(length, 255)) << 32
    }

    /// The entry index of `key`, or nil.
    @inline(__always)
    func index(of key: UnsafeBufferPointer<UInt8>) -> Int? {
        index(of: key, hash: Self.hash(key))
    }

    /// The entry index of `key`, whose `hash(key)` the caller already has.
    @inline(__always)
    func index(of key: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int? {
        let signature = Self.signature(hash: hash, length: key.count)
        var slot = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            keyBytes.withUnsafeBufferPointer { keyBytes in
                keyStarts.withUnsafeBufferPointer { keyStarts in
                    while true {
                        let entry = slots[slot]
                        if entry == 0 { return nil }
                        if entry & 0xFFFF_FFFF_0000_0000 == signature {
                            let index = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                            let start = Int(keyStarts[index])
                            if Int(keyStarts[index + 1]) - start == key.count,
                               Self.equal(keyBytes.baseAddress! + start, key.baseAddress!, count: key.count) {
                                return index
                            }
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    /// The key of entry `index`.
    func key(at index: Int) -> ArraySlice<UInt8> {
        keyBytes[Int(keyStarts[index]) ..< Int(keyStarts[index + 1])]
    }

    /// Adds `key`, which must not be present yet, and returns its entry index.
    @discardableResult
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64? = nil) -> Int {
        if (count + 1) * 2 > slots.count { grow() }
        keyBytes.append(contentsOf: key)
        keyStarts.append(Int32(keyBytes.count))
        let index = count - 1
        place(index: index, hash: hash ?? Self.hash(key), length: key.count)
        return index
    }

    mutating func removeAll() {
        keyBytes.removeAll(keepingCapacity: true)
        keyStarts.removeAll(keepingCapacity: true)
        keyStarts.append(0)
        slots.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    private mutating func place(index: Int, hash: UInt64, length: Int) {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Self.signature(hash: hash, length: length) | UInt64(index + 1)
    }

    private mutating func grow() {
        slots = [UInt64](repeating: 0, count: slots.count * 2)
        mask = slots.count - 1
        for index in 0 ..< count {
            let start = Int(keyStarts[index]), end = Int(keyStarts[index + 1])
            let hash = keyBytes.withUnsafeBufferPointer { Self.hash(UnsafeBufferPointer(rebasing: $0[start ..< end])) }
            place(index: index, hash: hash, length: end - start)
        }
    }

    // MARK: Hashing and comparing short byte strings with word-sized loads

    /// A fast multiply-mix hash (not for adversarial input). Keys shorter than 8 bytes are read
    /// with two overlapping 4-byte loads or three single bytes, never past their end.
    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = key.count
        guard let base = key.baseAddress, n > 0 else { return 0x2D35_8DCC_AA6C_78A5 }
        let p = UnsafeRawPointer(base)
        var h = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
        if n >= 8 {
            var offset = 0
            while offset + 8 < n {
                h = mix(h ^ p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
            }
            h = mix(h ^ p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
        } else if n >= 4 {
            let low = UInt64(p.loadUnaligned(as: UInt32.self))
            let high = UInt64(p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
            h = mix(h ^ (high << 32 | low))
        } else {
            let bytes = UInt64(base[0]) | UInt64(base[n / 2]) << 8 | UInt64(base[n - 1]) << 16
            h = mix(h ^ bytes)
        }
        return h ^ (h >> 29)
    }

    @inline(__always)
    private static func mix(_ x: UInt64) -> UInt64 {
        let product = x.multipliedFullWidth(by: 0xD6E8_FEB8_6659_FD93)
        return product.high ^ product.low
    }

    @inline(__always)
    static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, count n: Int) -> Bool {
        let x = UnsafeRawPointer(a), y = UnsafeRawPointer(b)
        if n >= 8 {
            var offset = 0
            while offset + 8 < n {
                if x.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != y.loadUnaligned(fromByteOffset: offset, as: UInt64.self) { return false }
                offset += 8
            }
            return x.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == y.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        }
        if n >= 4 {
            return x.loadUnaligned(as: UInt32.self) == y.loadUnaligned(as: UInt32.self)
                && x.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == y.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        }
        for i in 0 ..< n where a[i] != b[i] { return false }
        return true
    }
}
