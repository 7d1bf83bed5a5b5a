import Common
import Foundation
import TensorEngine

/// A BERT encoder's sizes and settings, read from a Hugging Face `config.json` (keys as there).
///
///     let config = try BERTConfig.load(from: directory.appendingPathComponent("config.json"))
///     config.hiddenSize   // 384 for all-MiniLM-L6-v2
public struct BERTConfig: Sendable, Equatable {
    public var vocabSize: Int                 // vocab_size
    public var hiddenSize: Int                // hidden_size
    public var numHiddenLayers: Int           // num_hidden_layers
    public var numAttentionHeads: Int         // num_attention_heads
    public var intermediateSize: Int          // intermediate_size
    public var maxPositionEmbeddings: Int     // max_position_embeddings
    public var typeVocabSize: Int             // type_vocab_size
    public var layerNormEps: Float            // layer_norm_eps
    /// hidden_act: "gelu" is the exact erf form (BERT's); "gelu_new" / "gelu_pytorch_tanh" the tanh one.
    public var hiddenAct: GELUKind
    public var hiddenDropoutProb: Float       // hidden_dropout_prob
    public var attentionProbsDropoutProb: Float  // attention_probs_dropout_prob
    public var padTokenID: Int                // pad_token_id

    /// BERT's two dropouts: hidden_dropout_prob serves the embeddings and the sublayer outputs.
    public var dropout: DropoutRates {
        DropoutRates(hidden: hiddenDropoutProb, attention: attentionProbsDropoutProb)
    }

    /// Sets the dropouts; throws unless each is in [0, 1) and the embedding and residual rates
    /// are one (BERT has a single hidden_dropout_prob for both).
    public mutating func setDropout(_ rates: DropoutRates) throws {
        guard rates.embedding == rates.residual else {
            throw InvalidInput("dropout: BERT has one hidden_dropout_prob for the embeddings and the sublayer outputs; got \(rates.embedding) and \(rates.residual)")
        }
        var changed = self
        changed.hiddenDropoutProb = rates.residual
        changed.attentionProbsDropoutProb = rates.attention
        try changed.validate(path: "dropout")
        self = changed
    }

    public init(vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int, intermediateSize: Int,
                maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2, layerNormEps: Float = 1e-12,
                hiddenAct: GELUKind = .erf, hiddenDropoutProb: Float = 0.1, attentionProbsDropoutProb: Float = 0.1,
                padTokenID: Int = 0) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.hiddenAct = hiddenAct
        self.hiddenDropoutProb = hiddenDropoutProb
        self.attentionProbsDropoutProb = attentionProbsDropoutProb
        self.padTokenID = padTokenID
    }

    public var headDim: Int { hiddenSize / numAttentionHeads }

    /// Reads `config.json`. Missing optional keys take transformers' `BertConfig` defaults; a
    /// missing size, a value of the wrong type, or an architecture we do not implement (another
    /// model type, relative position embeddings, an unknown activation) is an error naming the
    /// file and the key.
    public static func load(from url: URL) throws -> BERTConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw BERTConfigError(url.path, "cannot be read (\(error.localizedDescription))")
        }
        let raw: RawConfig
        do {
            raw = try JSONDecoder().decode(RawConfig.self, from: data)
        } catch DecodingError.typeMismatch(_, let context) where !context.codingPath.isEmpty {
            throw BERTConfigError(url.path, "\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type (\(context.debugDescription))")
        } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
            throw BERTConfigError(url.path, "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch {
            throw BERTConfigError(url.path, "is not a JSON object of BERT settings")
        }
        if let type = raw.model_type, type != "bert" {
            throw BERTConfigError(url.path, "model_type is \"\(type)\"; this loader implements \"bert\"")
        }
        if let positions = raw.position_embedding_type, positions != "absolute" {
            throw BERTConfigError(url.path, "position_embedding_type is \"\(positions)\"; only \"absolute\" is implemented")
        }
        let act: GELUKind
        switch raw.hidden_act ?? "gelu" {
        case "gelu": act = .erf
        case "gelu_new", "gelu_pytorch_tanh": act = .tanh
        case let other: throw BERTConfigError(url.path, "hidden_act is \"\(other)\"; implemented: gelu, gelu_new, gelu_pytorch_tanh")
        }
        func required(_ value: Int?, _ key: String) throws -> Int {
            guard let value else { throw BERTConfigError(url.path, "has no \(key)") }
            return value
        }
        let config = BERTConfig(
            vocabSize: try required(raw.vocab_size, "vocab_size"),
            hiddenSize: try required(raw.hidden_size, "hidden_size"),
            numHiddenLayers: try required(raw.num_hidden_layers, "num_hidden_layers"),
            numAttentionHeads: try required(raw.num_attention_heads, "num_attention_heads"),
            intermediateSize: try required(raw.intermediate_size, "intermediate_size"),
            maxPositionEmbeddings: raw.max_position_embeddings ?? 512,
            typeVocabSize: raw.type_vocab_size ?? 2,
            layerNormEps: Float(raw.layer_norm_eps ?? 1e-12),
            hiddenAct: act,
            hiddenDropoutProb: Float(raw.hidden_dropout_prob ?? 0.1),
            attentionProbsDropoutProb: Float(raw.attention_probs_dropout_prob ?? 0.1),
            padTokenID: raw.pad_token_id ?? 0)
        try config.validate(path: url.path)
        return config
    }

    /// Sizes that cannot make a working model.
    public func validate(path: String = "BERT config") throws {
        let sizes = [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", numHiddenLayers),
                     ("num_attention_heads", numAttentionHeads), ("intermediate_size", intermediateSize),
                     ("max_position_embeddings", maxPositionEmbeddings), ("type_vocab_size", typeVocabSize)]
        if let (key, value) = sizes.first(where: { $0.1 < 1 }) {
            throw BERTConfigError(path, "\(key) is \(value); it must be at least 1")
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw BERTConfigError(path, "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(numAttentionHeads)")
        }
        guard (0..<vocabSize).contains(padTokenID) else {
            throw BERTConfigError(path, "pad_token_id \(padTokenID) is outside the vocabulary (vocab_size \(vocabSize))")
        }
        for (key, p) in [("hidden_dropout_prob", hiddenDropoutProb), ("attention_probs_dropout_prob", attentionProbsDropoutProb)]
        where !(0..<1).contains(p) {
            throw BERTConfigError(path, "\(key) is \(p); it must be in [0, 1)")
        }
        guard layerNormEps > 0 else { throw BERTConfigError(path, "layer_norm_eps is \(layerNormEps); it must be positive") }
    }
}

/// A `config.json` that does not describe a BERT we can build; names the file and the key.
public struct BERTConfigError: InputError {
    public let path: String
    public let reason: String
    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}

/// The keys of `config.json` we read, spelled as there; absent keys decode as nil.
private struct RawConfig: Decodable {
    let model_type: String?
    let vocab_size: Int?
    let hidden_size: Int?
    let num_hidden_layers: Int?
    let num_attention_heads: Int?
    let intermediate_size: Int?
    let max_position_embeddings: Int?
    let type_vocab_size: Int?
    let layer_norm_eps: Double?
    let hidden_act: String?
    let hidden_dropout_prob: Double?
    let attention_probs_dropout_prob: Double?
    let pad_token_id: Int?
    let position_embedding_type: String?
}
