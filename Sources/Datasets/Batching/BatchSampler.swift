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
/// With `sampleWeights` (`.bucketed` only), an epoch is as many draws with replacement, each
/// example's chance proportional to its weight (PyTorch's `WeightedRandomSampler`), instead of
/// a shuffle of all examples; the draws are then bucketed the same way.
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
    public let sampleWeights: [Double]?

    public init(lengths: [Int], batchSize: Int, order: Order, dropLast: Bool = false, sampleWeights: [Double]? = nil) throws {
        guard batchSize >= 1 else { throw DatasetError("batch size must be at least 1, got \(batchSize)") }
        if case .bucketed(_, let batchesPerBucket) = order, batchesPerBucket < 1 {
            throw DatasetError("batches per bucket must be at least 1, got \(batchesPerBucket)")
        }
        if let sampleWeights {
            guard case .bucketed = order else { throw DatasetError("weighted sampling needs the shuffled (bucketed) order") }
            guard sampleWeights.count == lengths.count, sampleWeights.allSatisfy({ $0 >= 0 && $0.isFinite }),
                  sampleWeights.contains(where: { $0 > 0 }) else {
                throw DatasetError("sample weights: one finite weight ≥ 0 per example, not all 0")
            }
        }
        self.sampleWeights = sampleWeights
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
            let shuffled = sampleWeights.map { Self.draw(lengths.count, weights: $0, using: &rng) }
                ?? Array(lengths.indices).fisherYatesShuffled(using: &rng)
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

    /// `count` indices drawn with replacement, index i with probability weights[i] / Σ weights:
    /// a uniform draw looked up in the cumulative weights (spelled out, like the shuffle, so the
    /// draws never change with the Swift version).
    static func draw(_ count: Int, weights: [Double], using rng: inout SplitMix64) -> [Int] {
        var cumulative = [Double](repeating: 0, count: weights.count)
        var total = 0.0
        for (i, w) in weights.enumerated() {
            total += w
            cumulative[i] = total
        }
        return (0 ..< count).map { _ in
            let u = Double(rng.next() >> 11) * 0x1p-53 * total
            var low = 0, high = cumulative.count - 1
            while low < high {  // the first index whose cumulative weight exceeds u
                let mid = (low + high) / 2
                if cumulative[mid] > u { high = mid } else { low = mid + 1 }
            }
            return low
        }
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
