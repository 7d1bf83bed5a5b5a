import Common
import TensorEngine
import Tokenizers

/// GPT-2 (Radford et al. 2019) as a `Backbone`: Hugging Face's `GPT2Model`, and with
/// `languageModelLogits` its `GPT2LMHeadModel`.
///
///     x = wte[tokens] + wpe[positions]        embeddings (then embd_pdrop dropout)
///     x = h[i](x)   for i in 0..<n_layer      GPT2Block: attention and MLP, pre-norm
///     x = ln_f(x)                             final LayerNorm
///     logits = x · wteᵀ                       LM head, tied to the token embedding
///
/// Getting one:
///
///     let model = try GPT2Model.pretrained("gpt2")                 // by name, via the Store
///     let model = try GPT2Model.load(directory: url)                // HF or OpenAI files
///     let model = try GPT2Model.randomlyInitialized(config: .gpt2, seed: 1)
///
/// Loaded weights stay in the memory-mapped file (no copy) until a training step writes one;
/// only the tensors that are trained get a private copy.
public final class GPT2Model: Backbone {
    public let name: String
    public private(set) var config: GPT2Config
    public let gpt2Tokenizer: GPT2Tokenizer
    /// Where the weights came from: a file path, or "random init (seed N)".
    public let source: String

    /// Token embedding [vocab, C]; its table is also the LM head's weight.
    public let wte: Embedding
    /// Position embedding [context, C].
    public let wpe: Embedding
    /// The transformer blocks, `h.0` ... `h.{n_layer-1}`.
    public let h: [GPT2Block]
    /// The final LayerNorm.
    public let lnF: LayerNorm

    /// Draws every dropout mask (embeddings and residual branches), in call order.
    public var dropoutGenerator: DropoutGenerator

    /// `parameters` by Hugging Face name (no `transformer.`), every one of
    /// `GPT2WeightNames.parameterNames(layerCount:)` with its HF shape; checked by the callers.
    init(name: String, config: GPT2Config, tokenizer: GPT2Tokenizer, parameters: [String: Parameter],
         source: String, dropoutSeed: UInt64 = 0) throws {
        try BLAS.ensureLoaded()  // the kernels need it; fail here, with the fix, not in the first matmul
        try config.validate()
        guard tokenizer.vocabularySize <= config.vocabSize else {
            throw InvalidInput("the tokenizer (\(tokenizer.source)) has \(tokenizer.vocabularySize) tokens, "
                               + "but the model's embedding has only \(config.vocabSize) rows")
        }
        self.name = name
        self.config = config
        self.gpt2Tokenizer = tokenizer
        self.source = source
        let table = ParameterTable(parameters)
        wte = table.embedding("wte.weight")
        wpe = table.embedding("wpe.weight")
        h = (0..<config.layerCount).map { i in
            GPT2Block(ln1: table.layerNorm("h.\(i).ln_1", epsilon: config.layerNormEpsilon),
                      attn: GPT2Attention(cAttn: table.linear("h.\(i).attn.c_attn", layout: .inOut),
                                          cProj: table.linear("h.\(i).attn.c_proj", layout: .inOut),
                                          headCount: config.headCount),
                      ln2: table.layerNorm("h.\(i).ln_2", epsilon: config.layerNormEpsilon),
                      mlp: GPT2MLP(cFc: table.linear("h.\(i).mlp.c_fc", layout: .inOut), cProj: table.linear("h.\(i).mlp.c_proj", layout: .inOut)))
        }
        lnF = table.layerNorm("ln_f", epsilon: config.layerNormEpsilon)
        dropoutGenerator = DropoutGenerator(seed: dropoutSeed)
    }

    public var dropout: DropoutRates { config.dropout }

    public func setDropout(_ rates: DropoutRates) throws {
        try config.setDropout(rates)
    }

    // MARK: Backbone

    public var tokenizer: any Tokenizer { gpt2Tokenizer }
    public var hiddenSize: Int { config.embeddingSize }
    public var maxSequenceLength: Int { config.contextLength }
    /// Causal unless `setCausalMask(false)`: then every position attends to the whole text,
    /// including `last` pooling's token (Raschka's "no causal mask" experiment).
    public var isCausal: Bool { !causalMaskIsOff }
    public private(set) var causalMaskIsOff = false

    public func setCausalMask(_ on: Bool) throws { causalMaskIsOff = !on }
    public var defaultPooling: Pooling { .last }
    public var blockCount: Int { config.layerCount }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        units.flatMap(\.parameters).map { ($0.name, $0) }
    }

    public var units: [BackboneUnit] {
        [BackboneUnit(kind: .embeddings, parameters: [wte.weight, wpe.weight])]
            + h.enumerated().map { index, block in
                BackboneUnit(kind: .block(index), parameters: block.parameters,
                             linears: [(.attention, block.attn.cAttn), (.attention, block.attn.cProj), (.mlp, block.mlp.cFc), (.mlp, block.mlp.cProj)],
                             norms: block.ln1.parameters + block.ln2.parameters)
            }
            + [BackboneUnit(kind: .finalNorm, parameters: lnF.parameters, norms: lnF.parameters)]
    }

    public func embed(_ input: BackboneInput, tape: Tape?) throws -> Variable {
        let x = try Ops.embedding(tokens: input.tokenIDs, batch: input.batch, tokenTable: wte.weight, positionTable: wpe.weight, tape: tape)
        return Ops.dropout(x, rate: config.embeddingDropout, generator: &dropoutGenerator, tape: tape)
    }

    public func block(_ index: Int, _ hidden: Variable, batch: PaddedBatch, tape: Tape?) throws -> Variable {
        try block(index, hidden, batch: batch, rows: nil, tape: tape)
    }

    /// Only the rows a classifier pools (see `GPT2Block`).
    public func block(_ index: Int, _ hidden: Variable, batch: PaddedBatch, outputRows: [Int], tape: Tape?) throws -> Variable {
        try block(index, hidden, batch: batch, rows: outputRows, tape: tape)
    }

    private func block(_ index: Int, _ hidden: Variable, batch: PaddedBatch, rows: [Int]?, tape: Tape?) throws -> Variable {
        guard h.indices.contains(index) else {
            throw InvalidInput("\(name) has blocks 0..<\(h.count), not block \(index)")
        }
        try checkHidden(hidden, rows: batch.rowCount)
        return try h[index](hidden, batch: batch, outputRows: rows,
                            dropout: (residual: config.residualDropout, attention: config.attentionDropout), causal: isCausal,
                            generator: &dropoutGenerator, tape: tape)
    }

    public func finalNorm(_ hidden: Variable, tape: Tape?) throws -> Variable {
        try checkHidden(hidden, rows: nil)
        return lnF(hidden, tape: tape)
    }

    // MARK: Language-model head

    /// Next-token logits for hidden states after `ln_f`: [rows, C] → [rows, vocab], as
    /// `hidden · wteᵀ` (the LM head is tied to the token embedding, so its gradient adds to
    /// `wte`'s). Pass only the rows you need: for 50257 tokens this is the costliest matmul.
    public func languageModelLogits(_ hidden: Variable, tape: Tape?) throws -> Variable {
        try checkHidden(hidden, rows: nil)
        return Ops.linear(hidden, weight: wte.weight, bias: nil, layout: .outIn, tape: tape)
    }

    private func checkHidden(_ hidden: Variable, rows: Int?) throws {
        let shape = hidden.shape
        guard shape.count == 2, shape[1] == config.embeddingSize, rows.map({ $0 == shape[0] }) ?? true else {
            let expected = rows.map { "[\($0), \(config.embeddingSize)]" } ?? "[rows, \(config.embeddingSize)]"
            throw TensorShapeError("\(name): hidden states have shape \(shape), expected \(expected)")
        }
    }
}
