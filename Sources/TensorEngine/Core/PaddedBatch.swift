// A batch of right-padded sequences: `batchSize` rows of `time` positions each, of which the
// first `lengths[b]` are real tokens. Activations are laid out [batchSize · time, features]
// (row b·time + t). Attention never looks at padding, pooling ignores it.
import Common

public struct PaddedBatch: Sendable, Equatable {
    public let batchSize: Int
    /// Padded sequence length (T).
    public let time: Int
    /// Real tokens per sequence, each in 1...time.
    public let lengths: [Int]

    public init(batchSize: Int, time: Int, lengths: [Int]) throws {
        guard batchSize >= 1, time >= 1 else {
            throw InvalidInput("batch of \(batchSize) sequences × \(time) positions: both must be at least 1")
        }
        guard lengths.count == batchSize else {
            throw InvalidInput("batch of \(batchSize) sequences has \(lengths.count) lengths")
        }
        if let bad = lengths.firstIndex(where: { $0 < 1 || $0 > time }) {
            throw InvalidInput("sequence \(bad) of the batch has length \(lengths[bad]), outside 1...\(time)")
        }
        self.batchSize = batchSize
        self.time = time
        self.lengths = lengths
    }

    /// Every sequence full length (no padding).
    public init(batchSize: Int, time: Int) throws {
        try self.init(batchSize: batchSize, time: time, lengths: Array(repeating: time, count: batchSize))
    }

    public var rowCount: Int { batchSize * time }

    /// Position id of every row (0..<time per sequence), for the position embedding.
    public var positionIDs: [Int32] {
        var ids = [Int32](repeating: 0, count: rowCount)
        for b in 0..<batchSize { for t in 0..<time { ids[b * time + t] = Int32(t) } }
        return ids
    }

    /// Row of each sequence's last real token (what GPT-2 classifiers pool).
    public var lastTokenRows: [Int] {
        (0..<batchSize).map { $0 * time + lengths[$0] - 1 }
    }
}
