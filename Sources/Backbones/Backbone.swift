// The seam between "a pretrained transformer body" and everything that uses one (heads,
// classifiers, trainers, the frozen-prefix cache). GPT-2 and the BERT family implement it; the
// classifier code never asks which one it has.
//
// A forward pass is split into the pieces a trainer needs to treat separately:
//   embed → block 0 → … → block n-1 → final norm
// so that frozen leading blocks can be run once per text and cached, and only the trainable
// suffix runs forward and backward every step.
import Common
import TensorEngine
import Tokenizers

/// Token ids of a right-padded batch, as a backbone consumes them.
public struct BackboneInput: Sendable {
    /// Row-major [batch · time] ids; padding positions hold the tokenizer's pad id.
    public var tokenIDs: [Int32]
    /// Shape and real lengths: sequence b uses positions 0..<lengths[b].
    public var batch: PaddedBatch
    /// BERT's segment ids (Hugging Face's `token_type_ids`), row-major like `tokenIDs`: 0 for the
    /// first text of a pair, 1 for the second. Nil means all 0, as Hugging Face assumes when none
    /// are passed; backbones without token types (GPT-2) ignore them.
    public var tokenTypeIDs: [Int32]?

    public init(tokenIDs: [Int32], batch: PaddedBatch, tokenTypeIDs: [Int32]? = nil) throws {
        guard tokenIDs.count == batch.rowCount else {
            throw InvalidInput("\(tokenIDs.count) token ids for a batch of \(batch.batchSize) × \(batch.time)")
        }
        if let tokenTypeIDs, tokenTypeIDs.count != batch.rowCount {
            throw InvalidInput("\(tokenTypeIDs.count) token type ids for a batch of \(batch.batchSize) × \(batch.time)")
        }
        self.tokenIDs = tokenIDs
        self.batch = batch
        self.tokenTypeIDs = tokenTypeIDs
    }

    /// Pads `sequences` (each non-empty) to the longest of them with `padID`.
    public init(sequences: [[Int]], padID: Int) throws {
        guard let time = sequences.map(\.count).max(), time > 0 else {
            throw InvalidInput("a batch needs at least one non-empty sequence")
        }
        var ids = [Int32](repeating: Int32(padID), count: sequences.count * time)
        for (b, sequence) in sequences.enumerated() {
            for (t, id) in sequence.enumerated() { ids[b * time + t] = Int32(id) }
        }
        try self.init(tokenIDs: ids, batch: PaddedBatch(batchSize: sequences.count, time: time,
                                                        lengths: sequences.map(\.count)))
    }
}

/// A group of parameters that is frozen or trained as one: the embeddings, one block, or the
/// final norm. Trainable policies (`head`, `last-block`, `last-N-blocks`, `all`) are stated in
/// these units, so they mean the same thing for every backbone.
public struct BackboneUnit {
    public enum Kind: Equatable, Sendable {
        case embeddings
        case block(Int)
        case finalNorm
    }
    public let kind: Kind
    /// Every parameter of the unit, adapters included.
    public let parameters: [Parameter]
    /// The unit's dense layers and what each does (where LoRA adapters go).
    public let linears: [(role: LinearRole, linear: Linear)]
    /// The unit's LayerNorm gains and biases (LoRA may train them too).
    public let norms: [Parameter]

    public init(kind: Kind, parameters: [Parameter], linears: [(role: LinearRole, linear: Linear)] = [], norms: [Parameter] = []) {
        self.kind = kind
        self.parameters = parameters
        self.linears = linears
        self.norms = norms
    }
}

/// How a sequence of hidden states becomes one vector per text.
public enum Pooling: String, CaseIterable, Codable, Sendable {
    /// The last real token of each text (GPT-2's default: under causal attention only it has
    /// seen the whole text). Independent of padding and batch composition.
    case last
    /// The last position of the padded batch, as Raschka's reference recipe does (depends on
    /// padding; kept for comparison).
    case positionLast = "position-last"
    /// The first token ([CLS] for BERT).
    case first
    /// The mean over the real tokens (sentence-transformers' choice for MiniLM).
    case mean
    /// The element-wise maximum over the real tokens.
    case max
}

public protocol Backbone: AnyObject {
    /// The name users know it by, e.g. "gpt2" or "all-MiniLM-L6-v2".
    var name: String { get }
    var tokenizer: any Tokenizer { get }
    /// Width of the hidden states (768 for GPT-2 124M, 384 for MiniLM).
    var hiddenSize: Int { get }
    /// The longest sequence the position embeddings allow (1024 for GPT-2, 512 for BERT).
    var maxSequenceLength: Int { get }
    /// Whether position t attends only to positions ≤ t. Then a text's hidden states do not
    /// depend on what follows it.
    var isCausal: Bool { get }
    /// Whether the architecture's causal mask was turned off (`setCausalMask(false)`), which a
    /// saved classifier records.
    var causalMaskIsOff: Bool { get }
    /// Turns a causal backbone's mask off (false) or back on; a bidirectional backbone accepts
    /// only false (it has no mask to turn on) and throws otherwise.
    func setCausalMask(_ on: Bool) throws
    /// The pooling a classifier uses when the user names none.
    var defaultPooling: Pooling { get }
    var blockCount: Int { get }
    /// Draws every dropout mask the backbone applies while training, in call order. A trainer
    /// seeds it from the run's seed and saves its position, so a resumed run draws the masks
    /// an uninterrupted one would.
    var dropoutGenerator: DropoutGenerator { get set }
    /// The dropout rates applied while training.
    var dropout: DropoutRates { get }
    /// Sets them; throws unless each is in [0, 1) and the family can take them.
    func setDropout(_ rates: DropoutRates) throws

    /// Every parameter with its Hugging Face name (without a model prefix such as
    /// `transformer.` or `bert.`), in a stable order.
    var namedParameters: [(name: String, parameter: Parameter)] { get }
    /// The parameter groups in forward order: embeddings, blocks 0..<blockCount, final norm
    /// (a backbone without a final norm, like BERT, has no such unit).
    var units: [BackboneUnit] { get }

    /// Token (+ position, + token-type) embeddings: [batch · time, hidden].
    func embed(_ input: BackboneInput, tape: Tape?) throws -> Variable
    /// Block `index` applied to hidden states [batch · time, hidden] of `batch`.
    func block(_ index: Int, _ hidden: Variable, batch: PaddedBatch, tape: Tape?) throws -> Variable
    /// Block `index`, computing only the output rows `outputRows` (one per sequence, each a real
    /// position of it): [batch.batchSize, hidden]. Every position still serves as a key and a
    /// value. A classifier that pools one position per text (the last token, [CLS]) calls this
    /// for the last block, whose other rows nobody reads. A default implementation runs the
    /// whole block and picks the rows; a backbone overrides it to skip the unread rows' work.
    func block(_ index: Int, _ hidden: Variable, batch: PaddedBatch, outputRows: [Int], tape: Tape?) throws -> Variable
    /// The final norm (identity where the architecture has none). Acts on each row on its own,
    /// so it may be given all rows or only the pooled ones.
    func finalNorm(_ hidden: Variable, tape: Tape?) throws -> Variable
}

extension Backbone {
    public var causalMaskIsOff: Bool { false }

    public func setCausalMask(_ on: Bool) throws {
        if on { throw InvalidInput("\(name) attends in both directions: it has no causal mask to turn on") }
    }

    /// The whole block, then the rows (correct for every backbone; overridden for speed).
    public func block(_ index: Int, _ hidden: Variable, batch: PaddedBatch, outputRows: [Int], tape: Tape?) throws -> Variable {
        try Ops.gatherRows(block(index, hidden, batch: batch, tape: tape), rows: outputRows, tape: tape)
    }

    /// The whole body: ids to final hidden states [batch · time, hidden].
    public func forward(_ input: BackboneInput, tape: Tape?) throws -> Variable {
        try forward(input, blocks: 0..<blockCount, tape: tape)
    }

    /// Embeddings, then `blocks`, then (if the range runs to the end) the final norm.
    public func forward(_ input: BackboneInput, blocks: Range<Int>, tape: Tape?) throws -> Variable {
        var hidden = try embed(input, tape: tape)
        hidden = try run(blocks: blocks, on: hidden, batch: input.batch, tape: tape)
        return hidden
    }

    /// Blocks `blocks` on hidden states that come from block `blocks.lowerBound - 1` (or the
    /// embeddings); adds the final norm when the range reaches the last block.
    public func run(blocks: Range<Int>, on hidden: Variable, batch: PaddedBatch, tape: Tape?) throws -> Variable {
        var hidden = hidden
        for index in blocks { hidden = try block(index, hidden, batch: batch, tape: tape) }
        if blocks.upperBound == blockCount { hidden = try finalNorm(hidden, tape: tape) }
        return hidden
    }

    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.parameter.value.count } }
}
