// The frozen-prefix cache. When the embeddings and blocks 0..<k are frozen (and the backbone
// uses no dropout), their output for a text never changes during training: compute it once per
// text and keep the hidden states of its real tokens. Every later step of every epoch, and every
// evaluation, assembles a batch from the cache and runs only blocks k..<n, the final norm, the
// pooling and the head. Causal attention and key padding masks make a real token's state
// independent of the padding and of the other texts in its batch, so a cached state is exactly
// what the full forward would compute at that position.
import Backbones
import Common
import Datasets
import Heads
import TensorEngine

public final class FrozenPrefixCache {
    /// The states are the output of blocks 0..<blocks (after the embeddings).
    public let blocks: Int
    public let hiddenSize: Int
    /// Real tokens of each text.
    public let lengths: [Int]
    /// Row offset of each text's first token in `states`.
    private let offsets: [Int]
    /// [total tokens, hidden]: every text's real-token states, one after another.
    private let states: Tensor

    /// Runs the embeddings and blocks 0..<`blocks` over `tokens` without a tape, longest texts
    /// first in batches of about `tokenBudget` padded tokens. A token sequence that occurs
    /// several times (duplicate texts) is computed and stored once.
    public init(classifier: Classifier, tokens: [[Int32]], blocks: Int, tokenBudget: Int = 2048) throws {
        let backbone = classifier.backbone
        guard (1...backbone.blockCount).contains(blocks) else {
            throw InvalidInput("the frozen-prefix cache needs 1...\(backbone.blockCount) blocks, got \(blocks)")
        }
        self.blocks = blocks
        hiddenSize = backbone.hiddenSize
        lengths = tokens.map(\.count)
        var firstOccurrence: [[Int32]: Int] = [:]
        var unique: [Int] = []
        var offsets = [Int](repeating: 0, count: tokens.count)
        var total = 0
        for (index, sequence) in tokens.enumerated() {
            if let first = firstOccurrence[sequence] {
                offsets[index] = offsets[first]
            } else {
                firstOccurrence[sequence] = index
                unique.append(index)
                offsets[index] = total
                total += sequence.count
            }
        }
        self.offsets = offsets
        states = Tensor(uninitializedShape: [total, hiddenSize])
        let order = unique.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        var start = 0
        while start < order.count {
            let time = max(1, lengths[order[start]])
            let size = max(1, tokenBudget / time)
            let indices = Array(order[start..<min(start + size, order.count)])
            let input = try classifier.input(indices.map { tokens[$0] })
            let hidden = try Self.prefix(backbone, input, blocks: blocks, tape: nil)
            let source = hidden.value
            withExtendedLifetime(source) {
                let destination = states.mutablePointer
                for (row, index) in indices.enumerated() {
                    (destination + offsets[index] * hiddenSize)
                        .update(from: source.pointer + row * input.batch.time * hiddenSize, count: lengths[index] * hiddenSize)
                }
            }
            start += size
        }
    }

    public var count: Int { lengths.count }
    public var byteCount: Int { states.count * MemoryLayout<Float>.stride }
    /// Token states stored (each distinct sequence once).
    public var tokenCount: Int { states.shape[0] }

    /// The cached states of `indices`, padded with zero rows to the longest of them: a
    /// [B·T, hidden] input for block `blocks`, and its batch shape.
    public func batch(_ indices: [Int]) throws -> (hidden: Variable, batch: PaddedBatch) {
        let time = max(1, indices.map { lengths[$0] }.max() ?? 1)
        let out = Tensor(zeros: [indices.count * time, hiddenSize])
        withExtendedLifetime(states) {
            let destination = out.mutablePointer
            for (row, index) in indices.enumerated() {
                (destination + row * time * hiddenSize)
                    .update(from: states.pointer + offsets[index] * hiddenSize, count: lengths[index] * hiddenSize)
            }
        }
        return (Variable(out), try PaddedBatch(batchSize: indices.count, time: time, lengths: indices.map { lengths[$0] }))
    }

    /// The embeddings and blocks 0..<`blocks`, without the final norm even when every block is
    /// in the prefix (`Backbone.forward(_:blocks:tape:)` adds it then): the classifier applies
    /// the final norm after the cached states, and it may be training.
    static func prefix(_ backbone: any Backbone, _ input: BackboneInput, blocks: Int, tape: Tape?) throws -> Variable {
        var hidden = try backbone.embed(input, tape: tape)
        for index in 0..<blocks { hidden = try backbone.block(index, hidden, batch: input.batch, tape: tape) }
        return hidden
    }

    /// Whether the backbone's frozen prefix computes the same with a tape as without one,
    /// i.e. no dropout (or other training-only behaviour) is active there; checked on one text.
    /// Only then may the cache (computed without a tape) stand in for training forwards.
    public static func prefixIsDeterministic(_ classifier: Classifier, sample: [Int32], blocks: Int) throws -> Bool {
        let input = try classifier.input([sample])
        let plain = try prefix(classifier.backbone, input, blocks: blocks, tape: nil).value
        let training = try prefix(classifier.backbone, input, blocks: blocks, tape: Tape()).value
        return plain.scalars == training.scalars
    }
}
