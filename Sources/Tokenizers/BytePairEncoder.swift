/// The lookup tables of a byte-level BPE vocabulary and the encoding loop over them. Immutable
/// once built, so one instance serves every thread; per-call state lives in `EncoderScratch`.
final class BytePairEncoder: Sendable {
    let ordinaryCount: Int
    /// Token bytes → id, for whole pieces (most words are one token); also id → bytes for decoding.
    let ids: ByteStringMap
    /// The token of each single byte: where BPE starts from.
    let byteIDs: [Int32]
    let pairs: PairMergeTable

    init(tokens: [[UInt8]]) {
        ordinaryCount = tokens.count
        var ids = ByteStringMap(minimumCapacity: tokens.count)
        for token in tokens {
            token.withUnsafeBufferPointer { _ = ids.insert($0) }  // entry index = id
        }
        var byteIDs = [Int32](repeating: -1, count: 256)
        for b in 0 ..< 256 { byteIDs[b] = [UInt8(b)].withUnsafeBufferPointer { ids.index(of: $0) }.map(Int32.init) ?? -1 }
        // Every way of cutting a token into two tokens is a pair that merges into it
        // (tiktoken ranks a merge by the concatenation's bytes, not by a merge list).
        var merges: [(left: Int32, right: Int32, merged: Int32)] = []
        for (id, token) in tokens.enumerated() where token.count > 1 {
            token.withUnsafeBufferPointer { token in
                for cut in 1 ..< token.count {
                    guard let left = ids.index(of: UnsafeBufferPointer(rebasing: token[..<cut])),
                          let right = ids.index(of: UnsafeBufferPointer(rebasing: token[cut...])) else { continue }
                    merges.append((Int32(left), Int32(right), Int32(id)))
                }
            }
        }
        var pairs = PairMergeTable(capacity: merges.count)
        for merge in merges { pairs.insert(left: merge.left, right: merge.right, merged: merge.merged) }
        self.ids = ids
        self.byteIDs = byteIDs
        self.pairs = pairs
    }

    /// Appends the ids of ordinary `text` (no special tokens) to `out`.
    func encodeOrdinary(_ text: UnsafeBufferPointer<UInt8>, scratch: inout EncoderScratch, into out: inout [Int]) {
        var scanner = GPT2PieceScanner(text)
        while let range = scanner.next() {
            let piece = UnsafeBufferPointer(rebasing: text[range])
            let hash = ByteStringMap.hash(piece)
            if let id = ids.index(of: piece, hash: hash) {
                out.append(id)
            } else {
                appendMerged(piece, hash: hash, scratch: &scratch, into: &out)
            }
        }
    }

    /// BPE for a piece that is not itself a token, through the scratch's cache.
    private func appendMerged(_ piece: UnsafeBufferPointer<UInt8>, hash: UInt64, scratch: inout EncoderScratch, into out: inout [Int]) {
        let cacheable = piece.count <= EncoderScratch.longestCachedPiece
        if cacheable, let entry = scratch.cache.index(of: piece, hash: hash) {
            for i in Int(scratch.cachedStarts[entry]) ..< Int(scratch.cachedStarts[entry + 1]) {
                out.append(Int(scratch.cachedIDs[i]))
            }
            return
        }
        let count = piece.count <= EncoderScratch.longestLinearMerge
            ? mergeLinear(piece, parts: &scratch.parts, ranks: &scratch.ranks)
            : mergeWithHeap(piece, parts: &scratch.parts)
        for i in 0 ..< count { out.append(Int(scratch.parts[i])) }
        if cacheable {
            scratch.remember(piece, hash: hash, partCount: count)
        }
    }

    /// tiktoken's `_byte_pair_merge`: start from single bytes and repeatedly merge the adjacent
    /// pair with the lowest rank (the leftmost on ties) until no pair merges. Quadratic, and the
    /// fastest choice for word-sized pieces. Leaves the ids in `parts[0 ..< returned count]`.
    private func mergeLinear(_ piece: UnsafeBufferPointer<UInt8>, parts: inout [Int32], ranks: inout [Int32]) -> Int {
        let n = piece.count
        if parts.count < n { parts = [Int32](repeating: 0, count: max(n, 2 * parts.count)) }
        if ranks.count < n { ranks = [Int32](repeating: 0, count: max(n, 2 * ranks.count)) }
        return parts.withUnsafeMutableBufferPointer { parts in
            ranks.withUnsafeMutableBufferPointer { ranks in
                byteIDs.withUnsafeBufferPointer { byteIDs in
                    for i in 0 ..< n { parts[i] = byteIDs[Int(piece[i])] }
                    // ranks[i] is the rank (= merged id) of parts[i] + parts[i + 1], Int32.max if none.
                    for i in 0 ..< n - 1 { ranks[i] = pairs.merge(parts[i], parts[i + 1]) }
                    var count = n
                    while true {
                        var best = Int32.max, at = -1
                        for i in 0 ..< count - 1 where ranks[i] < best {
                            best = ranks[i]
                            at = i
                        }
                        if at < 0 { return count }
                        parts[at] = best
                        // Drop part at + 1 and the pair it started.
                        var j = at + 1
                        while j < count - 1 {
                            parts[j] = parts[j + 1]
                            j += 1
                        }
                        j = at + 1
                        while j < count - 2 {
                            ranks[j] = ranks[j + 1]
                            j += 1
                        }
                        count -= 1
                        if at < count - 1 { ranks[at] = pairs.merge(best, parts[at + 1]) }
                        if at > 0 { ranks[at - 1] = pairs.merge(parts[at - 1], best) }
                    }
                }
            }
        }
    }

    /// The same merge order as `mergeLinear` in O(n log n), for long pieces (a long URL, a run of
    /// thousands of letters): a min-heap of (rank, position) picks the lowest rank and, on ties,
    /// the leftmost pair, since positions keep their left-to-right order. Stale heap entries are
    /// recognised because the pair at their position no longer has their rank.
    private func mergeWithHeap(_ piece: UnsafeBufferPointer<UInt8>, parts: inout [Int32]) -> Int {
        let n = piece.count
        var ids = piece.map { byteIDs[Int($0)] }
        var next = Array(1 ... n)          // n means "no next part"
        var previous = Array(-1 ..< n - 1)
        var rank = [Int32](repeating: Int32.max, count: n)  // rank of the pair starting at each part
        var heap = MinHeap()
        for i in 0 ..< n - 1 {
            rank[i] = pairs.merge(ids[i], ids[i + 1])
            if rank[i] != Int32.max { heap.push(rank: rank[i], position: i) }
        }
        while let (best, at) = heap.pop() {
            guard rank[at] == best, next[at] < n else { continue }
            let removed = next[at]
            ids[at] = best
            rank[removed] = Int32.max
            next[at] = next[removed]
            if next[at] < n { previous[next[at]] = at }
            rank[at] = next[at] < n ? pairs.merge(best, ids[next[at]]) : Int32.max
            if rank[at] != Int32.max { heap.push(rank: rank[at], position: at) }
            let before = previous[at]
            if before >= 0 {
                rank[before] = pairs.merge(ids[before], best)
                if rank[before] != Int32.max { heap.push(rank: rank[before], position: before) }
            }
        }
        if parts.count < n { parts = [Int32](repeating: 0, count: n) }
        var count = 0, i = 0
        while i < n {
            parts[count] = ids[i]
            count += 1
            i = next[i]
        }
        return count
    }

    func bytes(of id: Int) -> ArraySlice<UInt8>? {
        guard id >= 0, id < ordinaryCount else { return nil }
        return ids.key(at: id)
    }
}

/// A binary min-heap of (rank, position) packed into one UInt64 so that comparing keys orders
/// by rank first and position second.
private struct MinHeap {
    private var keys: [UInt64] = []

    mutating func push(rank: Int32, position: Int) {
        keys.append(UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(position))
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if keys[parent] <= keys[child] { break }
            keys.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> (rank: Int32, position: Int)? {
        guard let top = keys.first else { return nil }
        let last = keys.removeLast()
        if !keys.isEmpty {
            keys[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < keys.count, keys[left] < keys[smallest] { smallest = left }
                if right < keys.count, keys[right] < keys[smallest] { smallest = right }
                if smallest == parent { break }
                keys.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return (Int32(bitPattern: UInt32(top >> 32)), Int(top & 0xFFFF_FFFF))
    }
}
