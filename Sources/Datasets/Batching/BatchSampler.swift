import Common

/// Which examples go into which batch, epoch by epoch. Deterministic: the same lengths,
/// settings and epoch always give the same batches, on any machine and Swift version.
///
/// - `.bucketed(seed:)` (training): shuffle all examples; take them `batchesPerBucket` batches
///   at a time, sort each such bucket by length (longest first) and cut it into batches, so a
///   batch holds texts of similar length and little padding; then shuffle the order of the
///   batches. Each epoch draws from its own stream of the seed.
/// - `.inOrder` (evaluation): consecutive batches in example order.
/// - `.byLength` (evaluation with the least padding): all examples sorted by length, longest
///   first; `TokenBatch.indices` map results back.
///
/// Only the last batch can be short; `dropLast` leaves it out.
public struct BatchSampler: Sendable {
    public enum Order: Sendable, Hashable {
        case inOrder
        case byLength
        case bucketed(seed: UInt64, batchesPerBucket: Int = 50)
    }

    public let lengths: [Int]
    public let batchSize: Int
    public let order: Order
    public let dropLast: Bool

    public init(lengths: [Int], batchSize: Int, order: Order, dropLast: Bool = false) throws {
        guard batchSize >= 1 else { throw DatasetError("batch size must be at least 1, got \(batchSize)") }
        if case .bucketed(_, let batchesPerBucket) = order, batchesPerBucket < 1 {
            throw DatasetError("batches per bucket must be at least 1, got \(batchesPerBucket)")
        }
        self.lengths = lengths
        self.batchSize = batchSize
        self.order = order
        self.dropLast = dropLast
    }

    /// Number of batches per epoch.
    public var batchCount: Int {
        dropLast ? lengths.count / batchSize : (lengths.count + batchSize - 1) / batchSize
    }

    /// The example indices of each batch of `epoch` (0-based), in the order to use them.
    public func batches(epoch: Int = 0) -> [[Int]] {
        switch order {
        case .inOrder:
            return cut(Array(lengths.indices))
        case .byLength:
            return cut(sortedByLength(Array(lengths.indices)))
        case .bucketed(let seed, let batchesPerBucket):
            var rng = SplitMix64(seed: SplitMix64.mix(seed ^ SplitMix64.mix(UInt64(truncatingIfNeeded: epoch))))
            let shuffled = Array(lengths.indices).fisherYatesShuffled(using: &rng)
            let bucketSize = batchSize * batchesPerBucket
            var ordered: [Int] = []
            ordered.reserveCapacity(shuffled.count)
            var start = 0
            while start < shuffled.count {
                ordered += sortedByLength(Array(shuffled[start ..< min(start + bucketSize, shuffled.count)]))
                start += bucketSize
            }
            // Buckets hold whole batches, so only the very last batch can be short.
            var batches = cut(ordered)
            batches.fisherYatesShuffle(using: &rng)
            return batches
        }
    }

    /// Longest first; equal lengths keep their order (a total order, so no reliance on a
    /// stable sort).
    private func sortedByLength(_ indices: [Int]) -> [Int] {
        indices.enumerated().sorted { a, b in
            lengths[a.element] != lengths[b.element] ? lengths[a.element] > lengths[b.element] : a.offset < b.offset
        }.map(\.element)
    }

    private func cut(_ indices: [Int]) -> [[Int]] {
        var batches: [[Int]] = []
        var start = 0
        while start < indices.count {
            let end = min(start + batchSize, indices.count)
            if end - start == batchSize || !dropLast { batches.append(Array(indices[start ..< end])) }
            start = end
        }
        return batches
    }
}
