import Foundation

/// Working memory for one BERT encoding at a time: the word being built and a cache of what
/// normalization makes of each non-ASCII scalar (NFD through Foundation is slow; a text uses
/// few distinct scalars). A class so that the word's memory is freed with it.
final class BertScratch {
    /// The current word's storage; `BertWordScanner` works on a copy and hands it back.
    var word = WordBuffer()
    /// Combining marks not yet written to the word: NFD sorts each run of marks by combining
    /// class, so a run is collected and written once a class-0 scalar ends it. Each entry is
    /// `BertExpansion.pack(scalar, combiningClass)`.
    var marks: [UInt64] = []

    /// Expansion of scalar s < U+10000 is expansionData[expansionStarts[k] ..< expansionStarts[k + 1]]
    /// with k = basicPlaneSlot[s] (-1: not computed yet). Allocated on first use.
    var basicPlaneSlot: [Int32] = []
    var otherPlaneSlot: [UInt32: Int32] = [:]
    var expansionStarts: [Int32] = [0]
    var expansionData: [UInt64] = []

    deinit {
        word.base.deallocate()
    }

    /// The cache slot of `scalar`'s expansion, computing it with `expand` on first sight.
    @inline(__always)
    func expansionSlot(_ scalar: UInt32, _ expand: (UInt32) -> [UInt64]) -> Int {
        if scalar < 0x10000 {
            if basicPlaneSlot.isEmpty { basicPlaneSlot = [Int32](repeating: -1, count: 0x10000) }
            let slot = basicPlaneSlot[Int(scalar)]
            if slot >= 0 { return Int(slot) }
            let new = store(expand(scalar))
            basicPlaneSlot[Int(scalar)] = Int32(new)
            return new
        }
        if let slot = otherPlaneSlot[scalar] { return Int(slot) }
        let new = store(expand(scalar))
        otherPlaneSlot[scalar] = Int32(new)
        return new
    }

    private func store(_ expansion: [UInt64]) -> Int {
        expansionData.append(contentsOf: expansion)
        expansionStarts.append(Int32(expansionData.count))
        return expansionStarts.count - 2
    }
}

/// The UTF-8 bytes of the word being built, in memory the scanner writes with plain stores (an
/// Array would check uniqueness and capacity on every byte).
struct WordBuffer {
    private(set) var base = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
    private(set) var capacity = 256
    var count = 0
    /// Unicode scalars in the word (WordPiece's limit is in scalars).
    var scalars = 0

    /// Makes room for `extra` more bytes.
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private mutating func grow(to needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Appends a byte there is room for.
    @inline(__always)
    mutating func append(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }
}

/// What BERT's normalizer turns one scalar into, as packed entries: the scalar in the low 32
/// bits, its combining class (before lowercasing) above. `runBreak` is a removed nonspacing mark
/// of class 0: it leaves nothing, but it did separate the marks around it when NFD sorted them.
enum BertExpansion {
    static let runBreak: UInt64 = 1 << 48

    @inline(__always)
    static func pack(_ scalar: UInt32, _ combiningClass: UInt8) -> UInt64 { UInt64(combiningClass) << 32 | UInt64(scalar) }
    @inline(__always)
    static func scalar(_ entry: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: entry) }
    @inline(__always)
    static func combiningClass(_ entry: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: entry >> 32) }

    /// NFD (if `stripAccents`) minus nonspacing marks, then each scalar's full lowercase mapping
    /// (if `lowercase`): the order of Hugging Face's BertNormalizer.
    static func of(_ value: UInt32, stripAccents: Bool, lowercase: Bool) -> [UInt64] {
        guard let scalar = Unicode.Scalar(value) else { return [] }
        var decomposed = [scalar]
        if stripAccents && BertCharacterClass.mayDecompose(scalar) {
            decomposed = Array(String(Character(scalar)).decomposedStringWithCanonicalMapping.unicodeScalars)
        }
        var out: [UInt64] = []
        for x in decomposed {
            var combiningClass: UInt8 = 0
            if stripAccents {
                combiningClass = BertCharacterClass.combiningClass(x)
                if BertCharacterClass.flags(x.value) & BertCharacterClass.nonspacingMark != 0 {
                    if combiningClass == 0 { out.append(runBreak) }
                    continue
                }
            }
            if lowercase {
                for y in x.properties.lowercaseMapping.unicodeScalars { out.append(pack(y.value, combiningClass)) }
            } else {
                out.append(pack(x.value, combiningClass))
            }
        }
        return out
    }
}

/// Objects not in use, for reuse: a call takes one (or makes one) and gives it back when done,
/// so concurrent calls never share one and the lock is held only for the hand-over.
final class ReusablePool<Item>: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Item] = []
    private let make: @Sendable () -> Item

    init(_ make: @escaping @Sendable () -> Item) {
        self.make = make
    }

    func take() -> Item {
        lock.lock()
        let item = idle.popLast()
        lock.unlock()
        return item ?? make()
    }

    func giveBack(_ item: Item) {
        lock.lock()
        defer { lock.unlock() }
        if idle.count < 64 { idle.append(item) }
    }
}
