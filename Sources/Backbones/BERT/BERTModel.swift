import Common
import Foundation
import Store
import TensorEngine
import Tokenizers

/// An encoder of the BERT family (Hugging Face's `BertModel` without the pooler, `RobertaModel`,
/// `DistilBertModel`; `config.layout` says which): embeddings, then `numHiddenLayers` post-LN
/// layers; no final norm (each layer ends in its own LayerNorm). Attention is bidirectional
/// over each text's real tokens, so sentence-transformers' mean pooling is the default.
///
///     let model = try BERTModel.pretrained("all-MiniLM-L6-v2")   // via the Store
///     // or: try BERTModel.load(directory: URL(fileURLWithPath: "models/all-MiniLM-L6-v2"))
///     let input = try model.input(for: ["Free entry in a weekly draw!", "See you at lunch?"])
///     let hidden = try model.forward(input, tape: nil)            // [2 · time, 384]
///     let sentences = try Ops.meanPool(hidden, batch: input.batch, tape: nil)  // [2, 384]
public final class BERTModel: Backbone {
    public let name: String
    public let tokenizer: any Tokenizer
    public private(set) var config: BERTConfig
    public let embeddings: BERTEmbeddings
    public let layers: [BERTLayer]
    /// The randomness of dropout in training (a forward with a tape); inference uses none.
    public var dropoutGenerator = DropoutGenerator(seed: 0)

    /// Builds the model from parameters named and shaped as `BERTWeightNames.parameterShapes(config)`
    /// lists them (any order).
    public init(name: String, config: BERTConfig, parameters: [Parameter], tokenizer: any Tokenizer) throws {
        try BLAS.ensureLoaded()  // the kernels need it; fail here, with the fix, not in the first matmul
        try config.validate()
        var byName: [String: Parameter] = [:]
        for parameter in parameters { byName[parameter.name] = parameter }
        for (expectedName, shape) in BERTWeightNames.parameterShapes(config) {
            guard let parameter = byName[expectedName] else {
                throw InvalidInput("\(config.layout.displayName) parameter \(expectedName) (shape \(shape)) was not given")
            }
            guard parameter.shape == shape else {
                throw TensorShapeError("\(config.layout.displayName) parameter \(expectedName) has shape \(parameter.shape), expected \(shape)")
            }
        }
        guard tokenizer.vocabularySize <= config.vocabSize else {
            throw InvalidInput("the tokenizer has \(tokenizer.vocabularySize) ids but the model's word embeddings only \(config.vocabSize) rows")
        }
        self.name = name
        self.config = config
        self.tokenizer = tokenizer
        let table = ParameterTable(byName)  // every name was checked above
        embeddings = BERTEmbeddings(table, layout: config.layout, epsilon: config.layerNormEps)
        layers = (0..<config.numHiddenLayers).map { BERTLayer(index: $0, table, layout: config.layout, epsilon: config.layerNormEps) }
    }

    /// The model in a Hugging Face directory: `config.json` (its `model_type` picks the layout),
    /// `model.safetensors` (with or without the task-model prefix; mapped, not copied) and the
    /// tokenizer files (`vocab.txt` for BERT and DistilBERT, RoBERTa's byte-level BPE files),
    /// unless `tokenizer` is given. `name` defaults to the directory's;
    /// `dropout` sets both dropout rates, hidden and attention-probability (nil keeps
    /// config.json's hidden_dropout_prob and attention_probs_dropout_prob).
    public static func load(directory: URL, name: String? = nil, tokenizer: (any Tokenizer)? = nil,
                            dropout: Float? = nil) throws -> BERTModel {
        var config = try BERTConfig.load(from: directory.appendingPathComponent("config.json"))
        if let dropout { try config.setDropout(DropoutRates(dropout)) }
        let archive = try SafeTensorsFile(url: directory.appendingPathComponent("model.safetensors"))
        let parameters = try BERTWeights.load(archive, config: config)
        return try BERTModel(name: name ?? directory.lastPathComponent, config: config, parameters: parameters,
                             tokenizer: tokenizer ?? TokenizerLoader.load(directory: directory))
    }

    /// The manifest model `name` (e.g. "all-MiniLM-L6-v2"), its files found by the Store (cache,
    /// mirror, or a verified download); like `BertModel.from_pretrained(name)`.
    public static func pretrained(_ name: String = "all-MiniLM-L6-v2", store: Store? = nil, dropout: Float? = nil) throws -> BERTModel {
        let store = try store ?? Store()
        return try load(directory: store.resolveDirectory(.model(name)), name: name, dropout: dropout)
    }

    // MARK: Backbone

    public var hiddenSize: Int { config.hiddenSize }
    public var maxSequenceLength: Int { config.maxSequenceLength }
    public var isCausal: Bool { false }
    /// sentence-transformers' pooling for MiniLM: the mean of the real tokens' hidden states.
    public var defaultPooling: Pooling { .mean }
    public var blockCount: Int { layers.count }

    /// Starts as config.json's hidden_dropout_prob and attention_probs_dropout_prob (0.1 for
    /// MiniLM).
    public var dropout: DropoutRates { config.dropout }

    public func setDropout(_ rates: DropoutRates) throws {
        try config.setDropout(rates)
    }

    /// In checkpoint order (`BERTWeightNames.parameterShapes`), by the parameters' own names.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        units.flatMap(\.parameters).map { ($0.name, $0) }
    }

    public var units: [BackboneUnit] {
        [BackboneUnit(kind: .embeddings, parameters: embeddings.parameters, norms: embeddings.layerNorm.parameters)]
            + layers.enumerated().map { index, layer in
                let attention = layer.attention
                return BackboneUnit(kind: .block(index), parameters: layer.parameters,
                                    linears: [(.attention, attention.query), (.attention, attention.key), (.attention, attention.value),
                                              (.attention, attention.outputDense), (.mlp, layer.intermediate), (.mlp, layer.output)],
                                    norms: attention.outputLayerNorm.parameters + layer.outputLayerNorm.parameters)
            }
    }

    public func embed(_ input: BackboneInput, tape: Tape?) throws -> Variable {
        try embeddings.forward(input, config: config, dropout: &dropoutGenerator, tape: tape)
    }

    public func block(_ index: Int, _ hidden: Variable, batch: PaddedBatch, tape: Tape?) throws -> Variable {
        guard layers.indices.contains(index) else {
            throw InvalidInput("\(name) has layers 0..<\(layers.count); there is no layer \(index)")
        }
        guard hidden.shape == [batch.rowCount, config.hiddenSize] else {
            throw TensorShapeError("layer \(index) of \(name): hidden states \(hidden.shape) do not fit a batch of \(batch.batchSize) × \(batch.time) and width \(config.hiddenSize)")
        }
        return layers[index].forward(hidden, batch: batch, config: config, dropout: &dropoutGenerator, tape: tape)
    }

    /// BERT has no final norm: every layer already ends in a LayerNorm.
    public func finalNorm(_ hidden: Variable, tape: Tape?) throws -> Variable { hidden }

    // MARK: Inputs

    /// `texts` tokenized as the model expects (`[CLS] … [SEP]`, `<s> … </s>`; at most `maxLength` ids, default
    /// the position table's length) and right-padded with the tokenizer's pad id.
    public func input(for texts: [String], maxLength: Int? = nil) throws -> BackboneInput {
        let encoded = tokenizer.encodeBatchForModel(texts, maxLength: min(maxLength ?? maxSequenceLength, maxSequenceLength))
        return try BackboneInput(sequences: encoded.map(\.ids), padID: tokenizer.padTokenID)
    }
}
