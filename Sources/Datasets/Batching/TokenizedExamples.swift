import Tokenizers

/// The token ids of a list of examples (one split, usually), with their labels: what batches
/// are cut from. Position `i` is `examples[i]` of the list it was made from.
///
///     let tokenized = TokenizedExamples(splits.train, tokenizer: gpt2, maxLength: 1024)
///     let sampler = try BatchSampler(lengths: tokenized.lengths, batchSize: 8, order: .bucketed(seed: 123))
///     for batch in tokenized.batches(sampler, epoch: 0) { ... }     // TokenBatch
public struct TokenizedExamples: Sendable {
    public let tokens: [[Int32]]
    public let labels: [Int]
    /// Multi-label: each example's class ids (nil for single-label examples).
    public let targets: [[Int]]?
    /// Fills the positions past a text's end in a batch (the tokenizer's pad id).
    public let padTokenID: Int32
    /// How many texts `maxLength` cut short.
    public let truncatedCount: Int

    /// Encodes every text as the model consumes it (`Tokenizer.encodeForModel`: specials added,
    /// at most `maxLength` ids), on all cores.
    public init(_ examples: [Example], tokenizer: any Tokenizer, maxLength: Int) {
        let encoded = tokenizer.encodeBatchForModel(examples.map(\.text), maxLength: maxLength)
        tokens = encoded.map { $0.ids.map { Int32(truncatingIfNeeded: $0) } }
        labels = examples.map(\.label)
        targets = examples.first?.classIDs == nil ? nil : examples.map(\.allLabels)
        padTokenID = Int32(truncatingIfNeeded: tokenizer.padTokenID)
        truncatedCount = encoded.reduce(0) { $0 + ($1.truncated ? 1 : 0) }
    }

    /// Ids made elsewhere (tests, caches).
    public init(tokens: [[Int32]], labels: [Int], targets: [[Int]]? = nil, padTokenID: Int32, truncatedCount: Int = 0) {
        precondition(tokens.count == labels.count, "one label per token list")
        precondition(targets == nil || targets!.count == labels.count, "one label set per token list")
        self.tokens = tokens
        self.labels = labels
        self.targets = targets
        self.padTokenID = padTokenID
        self.truncatedCount = truncatedCount
    }

    public var count: Int { tokens.count }
    public var lengths: [Int] { tokens.map(\.count) }

    /// The examples at `indices`, padded to the longest of them.
    public func batch(_ indices: [Int]) -> TokenBatch {
        let time = max(1, indices.map { tokens[$0].count }.max() ?? 0)
        var ids = [Int32](repeating: padTokenID, count: indices.count * time)
        ids.withUnsafeMutableBufferPointer { out in
            for (row, index) in indices.enumerated() {
                let source = tokens[index]
                for t in source.indices { out[row * time + t] = source[t] }
            }
        }
        return TokenBatch(ids: ids, time: time, lengths: indices.map { tokens[$0].count },
                          labels: indices.map { labels[$0] }, indices: indices)
    }

    /// Every batch of one epoch, in the sampler's order.
    public func batches(_ sampler: BatchSampler, epoch: Int = 0) -> [TokenBatch] {
        sampler.batches(epoch: epoch).map(batch)
    }
}

/// A padded batch: `ids` is batch × time, row-major, each row a text followed by pad ids up to
/// the longest text of this batch (not of the dataset).
public struct TokenBatch: Sendable, Hashable {
    public let ids: [Int32]
    /// Columns of `ids`: the longest text's length (at least 1).
    public let time: Int
    /// Each row's real length; positions from there on are padding.
    public let lengths: [Int]
    public let labels: [Int]
    /// Each row's position in the `TokenizedExamples` (and so in the split).
    public let indices: [Int]

    public init(ids: [Int32], time: Int, lengths: [Int], labels: [Int], indices: [Int]) {
        self.ids = ids
        self.time = time
        self.lengths = lengths
        self.labels = labels
        self.indices = indices
    }

    /// Rows in the batch.
    public var count: Int { lengths.count }
}
