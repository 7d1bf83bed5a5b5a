import Common
import Foundation
import TensorEngine

/// A BERT-family encoder's sizes and settings, read from a Hugging Face `config.json` (BERT's
/// keys; `layout` says which family, and so how its own keys are spelled).
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
    /// The family (model_type): tensor names, positions, token types.
    public var layout: BERTLayout

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
                padTokenID: Int = 0, layout: BERTLayout = .bert) {
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
        self.layout = layout
    }

    public var headDim: Int { hiddenSize / numAttentionHeads }

    /// The longest text the position table allows: every position for BERT, fewer for RoBERTa,
    /// whose positions start after the padding id.
    public var maxSequenceLength: Int {
        switch layout.positions {
        case .fromZero: maxPositionEmbeddings
        case .afterPadding: maxPositionEmbeddings - padTokenID - 1
        }
    }

    /// Reads `config.json` of any layout in `BERTLayout.known`, chosen by `model_type` (BERT's
    /// when there is none). Missing optional keys take transformers' defaults; a missing size, a
    /// value of the wrong type, or an architecture we do not implement (another model type,
    /// relative position embeddings, an unknown activation) is an error naming the file and the
    /// key as the file spells it.
    public static func load(from url: URL) throws -> BERTConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw BERTConfigError(url.path, "cannot be read (\(error.localizedDescription))")
        }
        guard var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw BERTConfigError(url.path, "is not a JSON object of BERT settings")
        }
        let layout: BERTLayout
        switch object["model_type"] {
        case nil: layout = .bert
        case let type as String:
            guard let known = BERTLayout.known.first(where: { $0.modelType == type }) else {
                throw BERTConfigError(url.path, "model_type is \"\(type)\"; this loader implements \(BERTLayout.known.map { "\"\($0.modelType)\"" }.joined(separator: ", "))")
            }
            layout = known
        default: throw BERTConfigError(url.path, "model_type is not a string")
        }
        if let reason = layout.unsupportedSetting(object) { throw BERTConfigError(url.path, reason) }
        // BERT's spelling of every key, so one decoder reads every layout (the family's own
        // spelling wins where a file has both, as transformers' attribute_map has it).
        for (bertKey, key) in layout.configKeys {
            if let value = object.removeValue(forKey: key) { object[bertKey] = value }
        }
        for (bertKey, value) in layout.configDefaults where object[bertKey] == nil || object[bertKey] is NSNull {
            object[bertKey] = value
        }
        func spelled(_ bertKey: String) -> String { layout.configKeys[bertKey] ?? bertKey }
        let raw: RawConfig
        do {
            raw = try JSONDecoder().decode(RawConfig.self, from: JSONSerialization.data(withJSONObject: object))
        } catch DecodingError.typeMismatch(_, let context) where !context.codingPath.isEmpty {
            throw BERTConfigError(url.path, "\(context.codingPath.map { spelled($0.stringValue) }.joined(separator: ".")) has the wrong type (\(context.debugDescription))")
        } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
            throw BERTConfigError(url.path, "\(context.codingPath.map { spelled($0.stringValue) }.joined(separator: ".")): \(context.debugDescription)")
        } catch {
            throw BERTConfigError(url.path, "is not a JSON object of \(layout.displayName) settings")
        }
        let act: GELUKind
        switch raw.hidden_act ?? "gelu" {
        case "gelu": act = .erf
        case "gelu_new", "gelu_pytorch_tanh": act = .tanh
        case let other: throw BERTConfigError(url.path, "\(spelled("hidden_act")) is \"\(other)\"; implemented: gelu, gelu_new, gelu_pytorch_tanh")
        }
        func required(_ value: Int?, _ key: String) throws -> Int {
            guard let value else { throw BERTConfigError(url.path, "has no \(spelled(key))") }
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
            padTokenID: raw.pad_token_id ?? 0,
            layout: layout)
        try config.validate(path: url.path)
        return config
    }

    /// Sizes that cannot make a working model.
    public func validate(path: String = "BERT config") throws {
        func k(_ bertKey: String) -> String { layout.configKeys[bertKey] ?? bertKey }  // as the family spells it
        var sizes = [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", numHiddenLayers),
                     ("num_attention_heads", numAttentionHeads), ("intermediate_size", intermediateSize),
                     ("max_position_embeddings", maxPositionEmbeddings)]
        if layout.tokenTypeEmbeddings != nil { sizes.append(("type_vocab_size", typeVocabSize)) }
        if let (key, value) = sizes.first(where: { $0.1 < 1 }) {
            throw BERTConfigError(path, "\(k(key)) is \(value); it must be at least 1")
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw BERTConfigError(path, "\(k("hidden_size")) \(hiddenSize) is not a multiple of \(k("num_attention_heads")) \(numAttentionHeads)")
        }
        guard (0..<vocabSize).contains(padTokenID) else {
            throw BERTConfigError(path, "pad_token_id \(padTokenID) is outside the vocabulary (vocab_size \(vocabSize))")
        }
        guard maxSequenceLength >= 1 else {
            throw BERTConfigError(path, "max_position_embeddings \(maxPositionEmbeddings) leaves no position after pad_token_id \(padTokenID)")
        }
        for (key, p) in [("hidden_dropout_prob", hiddenDropoutProb), ("attention_probs_dropout_prob", attentionProbsDropoutProb)]
        where !(0..<1).contains(p) {
            throw BERTConfigError(path, "\(k(key)) is \(p); it must be in [0, 1)")
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
}
