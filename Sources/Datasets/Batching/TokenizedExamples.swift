import Tokenizers

/// The token ids of a list of examples (one split, usually), with their labels: what batches
/// are cut from. Position `i` is `examples[i]` of the list it was made from.
///
///     let tokenized = TokenizedExamples(splits.train, tokenizer: gpt2, maxLength: 1024)
///     let sampler = try BatchSampler(lengths: tokenized.lengths, batchSize: 8, order: .bucketed(seed: 123))
///     for batch in tokenized.batches(sampler, epoch: 0) { ... }     // TokenBatch
public struct TokenizedExamples: Sendable {
    /// The model inputs: one per example, or with `windows`, each example's windows in turn.
    public let tokens: [[Int32]]
    /// Where each example's inputs are in `tokens`, for texts read as several windows
    /// (`--long-text chunks`); nil: example i is `tokens[i]`.
    public let windows: [Range<Int>]?
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
        windows = nil
    }

    /// Ids made elsewhere (tests, caches). With `windows`, example i's inputs are
    /// `tokens[windows[i]]` (consecutive, at least one, covering `tokens` in order).
    public init(tokens: [[Int32]], labels: [Int], targets: [[Int]]? = nil, padTokenID: Int32, truncatedCount: Int = 0,
                windows: [Range<Int>]? = nil) {
        if let windows {
            precondition(windows.count == labels.count, "one label per example")
            precondition(windows.first.map { $0.lowerBound == 0 } ?? tokens.isEmpty
                         && zip(windows, windows.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }
                         && windows.allSatisfy { !$0.isEmpty } && (windows.last?.upperBound ?? 0) == tokens.count,
                         "windows are consecutive, non-empty and cover the token lists")
        } else {
            precondition(tokens.count == labels.count, "one label per token list")
        }
        precondition(targets == nil || targets!.count == labels.count, "one label set per example")
        self.tokens = tokens
        self.labels = labels
        self.targets = targets
        self.padTokenID = padTokenID
        self.truncatedCount = truncatedCount
        self.windows = windows
    }

    public var count: Int { labels.count }
    /// Tokens per example (over all its windows).
    public var lengths: [Int] {
        windows.map { $0.map { range in tokens[range].reduce(0) { $0 + $1.count } } } ?? tokens.map(\.count)
    }

    /// The positions in `tokens` of the examples at `indices`, and how many each has.
    public func inputs(_ indices: [Int]) -> (rows: [Int], counts: [Int]) {
        guard let windows else { return (indices, [Int](repeating: 1, count: indices.count)) }
        return (indices.flatMap { Array(windows[$0]) }, indices.map { windows[$0].count })
    }

    /// The examples at `indices`, padded to the longest of them: one row per model input
    /// (so per window), each with its example's label and index.
    public func batch(_ indices: [Int]) -> TokenBatch {
        let (rows, counts) = inputs(indices)
        let owners = zip(indices, counts).flatMap { repeatElement($0, count: $1) }
        let time = max(1, rows.map { tokens[$0].count }.max() ?? 0)
        var ids = [Int32](repeating: padTokenID, count: rows.count * time)
        ids.withUnsafeMutableBufferPointer { out in
            for (row, index) in rows.enumerated() {
                let source = tokens[index]
                for t in source.indices { out[row * time + t] = source[t] }
            }
        }
        return TokenBatch(ids: ids, time: time, lengths: rows.map { tokens[$0].count },
                          labels: owners.map { labels[$0] }, indices: owners)
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
