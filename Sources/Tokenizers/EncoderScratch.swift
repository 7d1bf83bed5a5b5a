import Foundation

/// Working memory for one encoding at a time: BPE buffers and a cache of BPE results for
/// pieces that are not single tokens (names, rare and misspelled words repeat a lot).
struct EncoderScratch {
    static let longestCachedPiece = 64
    static let longestLinearMerge = 128
    /// Bounds on the cache; when one is exceeded it starts over, which keeps memory flat on
    /// endless input at the cost of re-merging some words.
    static let maximumCachedPieces = 1 << 18
    static let maximumCachedIDs = 1 << 21

    var cache = ByteStringMap(minimumCapacity: 4096)
    /// Cache entry i's ids are cachedIDs[cachedStarts[i] ..< cachedStarts[i + 1]].
    var cachedIDs: [Int32] = []
    var cachedStarts: [Int32] = [0]
    var parts: [Int32] = []
    var ranks: [Int32] = []

    /// Caches the ids now in `parts[0 ..< partCount]` as the encoding of `piece`.
    mutating func remember(_ piece: UnsafeBufferPointer<UInt8>, hash: UInt64, partCount: Int) {
        if cache.count >= Self.maximumCachedPieces || cachedIDs.count + partCount >= Self.maximumCachedIDs {
            cache.removeAll()
            cachedIDs.removeAll(keepingCapacity: true)
            cachedStarts.removeAll(keepingCapacity: true)
            cachedStarts.append(0)
        }
        cache.insert(piece, hash: hash)
        cachedIDs.append(contentsOf: parts[0 ..< partCount])
        cachedStarts.append(Int32(cachedIDs.count))
    }
}

/// Scratches not in use. A call takes one (or makes one) and gives it back when done, so
/// concurrent calls never share one and the lock is held only for the hand-over, not while
/// encoding. The cache therefore survives from call to call.
final class ScratchPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [EncoderScratch] = []

    func take() -> EncoderScratch {
        lock.lock()
        defer { lock.unlock() }
        return idle.popLast() ?? EncoderScratch()
    }

    func giveBack(_ scratch: EncoderScratch) {
        lock.lock()
        defer { lock.unlock() }
        if idle.count < 64 { idle.append(scratch) }
    }
}
