import Foundation

/// Working memory for one BERT encoding at a time: the word being built and a cache of what
/// normalization makes of each non-ASCII scalar (NFD through Foundation is slow; a text uses
/// few distinct scalars).
struct BertScratch {
    /// The current word: UTF-8 of normalized scalars, and how many scalars that is.
    var word: [UInt8] = []
    var wordScalars = 0
    /// Combining marks not yet written to `word`: NFD sorts each run of marks by combining
    /// class, so a run is collected and written once a class-0 scalar ends it. Each entry is
    /// `BertExpansion.pack(scalar, combiningClass)`.
    var marks: [UInt64] = []

    /// Expansion of scalar s < U+10000 is expansionData[expansionStarts[k] ..< expansionStarts[k + 1]]
    /// with k = basicPlaneSlot[s] (-1: not computed yet). Allocated on first use.
    var basicPlaneSlot: [Int32] = []
    var otherPlaneSlot: [UInt32: Int32] = [:]
    var expansionStarts: [Int32] = [0]
    var expansionData: [UInt64] = []

    init() {
        word.reserveCapacity(256)
    }

    /// The cache slot of `scalar`'s expansion, computing it with `expand` on first sight.
    @inline(__always)
    mutating func expansionSlot(_ scalar: UInt32, _ expand: (UInt32) -> [UInt64]) -> Int {
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

    private mutating func store(_ expansion: [UInt64]) -> Int {
        expansionData.append(contentsOf: expansion)
        expansionStarts.append(Int32(expansionData.count))
        return expansionStarts.count - 2
    }
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
