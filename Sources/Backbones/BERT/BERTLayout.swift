import Foundation

/// What sets one member of the BERT family apart from another: the tensor names, the config.json
/// keys, how positions are numbered and whether there are token types. The maths (post-LN
/// blocks, bidirectional attention, GELU) is BERT's for all of them, in `BERTModel`; a family
/// is a `BERTLayout` value (`.bert`, `.roberta`, `.distilBERT`).
public struct BERTLayout: Sendable, CustomStringConvertible {
    /// config.json's `model_type`.
    public let modelType: String
    /// For messages, e.g. "RoBERTa".
    public let displayName: String
    /// Where a task model (e.g. `RobertaForSequenceClassification`) stores the encoder.
    public let taskModelPrefix: String
    public let wordEmbeddings: String
    public let positionEmbeddings: String
    /// nil: the family has no token types (DistilBERT).
    public let tokenTypeEmbeddings: String?
    public let embeddingsLayerNorm: String
    /// Layer i's modules are named "\(layerPrefix).\(i).\(module)".
    public let layerPrefix: String
    public let modules: Modules
    public let positions: Positions
    /// Whether dropout follows the attention's output projection (BERT, RoBERTa) or not (DistilBERT).
    public let attentionOutputDropout: Bool
    /// BERT's config.json key → this family's spelling of it (DistilBERT's `dim`, `n_layers`, ...).
    public let configKeys: [String: String]
    /// Defaults that differ from BERT's, by BERT key (RoBERTa's `pad_token_id` 1).
    public let configDefaults: [String: Double]
    /// Why config.json's settings are not ones this code implements, or nil when they are.
    public let unsupportedSetting: @Sendable (_ config: [String: Any]) -> String?

    /// The names of one layer's modules, relative to the layer.
    public struct Modules: Sendable {
        public var query, key, value, attentionOutput, attentionLayerNorm, intermediate, output, outputLayerNorm: String

        public init(query: String, key: String, value: String, attentionOutput: String, attentionLayerNorm: String,
                    intermediate: String, output: String, outputLayerNorm: String) {
            (self.query, self.key, self.value, self.attentionOutput) = (query, key, value, attentionOutput)
            (self.attentionLayerNorm, self.intermediate, self.output, self.outputLayerNorm) = (attentionLayerNorm, intermediate, output, outputLayerNorm)
        }
    }

    public enum Positions: Sendable {
        /// Position t of every text is t (BERT, DistilBERT).
        case fromZero
        /// Fairseq's numbering (RoBERTa): real tokens count from pad_token_id + 1, and every pad
        /// token gets pad_token_id, as transformers' `create_position_ids_from_input_ids`.
        case afterPadding
    }

    public init(modelType: String, displayName: String, taskModelPrefix: String, wordEmbeddings: String,
                positionEmbeddings: String, tokenTypeEmbeddings: String?, embeddingsLayerNorm: String, layerPrefix: String,
                modules: Modules, positions: Positions, attentionOutputDropout: Bool, configKeys: [String: String] = [:],
                configDefaults: [String: Double] = [:], unsupportedSetting: @escaping @Sendable ([String: Any]) -> String? = { _ in nil }) {
        self.modelType = modelType
        self.displayName = displayName
        self.taskModelPrefix = taskModelPrefix
        self.wordEmbeddings = wordEmbeddings
        self.positionEmbeddings = positionEmbeddings
        self.tokenTypeEmbeddings = tokenTypeEmbeddings
        self.embeddingsLayerNorm = embeddingsLayerNorm
        self.layerPrefix = layerPrefix
        self.modules = modules
        self.positions = positions
        self.attentionOutputDropout = attentionOutputDropout
        self.configKeys = configKeys
        self.configDefaults = configDefaults
        self.unsupportedSetting = unsupportedSetting
    }

    public var description: String { displayName }

    /// The layouts `BERTConfig.load` recognises by `model_type`.
    public static let known: [BERTLayout] = [.bert, .roberta, .distilBERT]

    /// Hugging Face's `BertModel`.
    public static let bert = BERTLayout(
        modelType: "bert", displayName: "BERT", taskModelPrefix: "bert.",
        wordEmbeddings: "embeddings.word_embeddings.weight", positionEmbeddings: "embeddings.position_embeddings.weight",
        tokenTypeEmbeddings: "embeddings.token_type_embeddings.weight", embeddingsLayerNorm: "embeddings.LayerNorm",
        layerPrefix: "encoder.layer", modules: .bert, positions: .fromZero, attentionOutputDropout: true,
        unsupportedSetting: absolutePositionsOnly)

    /// BERT's relative position embeddings are not implemented.
    static let absolutePositionsOnly: @Sendable ([String: Any]) -> String? = { config in
        guard let positions = config["position_embedding_type"] as? String, positions != "absolute" else { return nil }
        return "position_embedding_type is \"\(positions)\"; only \"absolute\" is implemented"
    }
}

extension BERTLayout.Modules {
    /// `BertLayer`'s module names (RoBERTa's too).
    public static let bert = BERTLayout.Modules(
        query: "attention.self.query", key: "attention.self.key", value: "attention.self.value",
        attentionOutput: "attention.output.dense", attentionLayerNorm: "attention.output.LayerNorm",
        intermediate: "intermediate.dense", output: "output.dense", outputLayerNorm: "output.LayerNorm")
}

extension BERTLayout: Equatable {
    /// Layouts are told apart by their model type.
    public static func == (a: BERTLayout, b: BERTLayout) -> Bool { a.modelType == b.modelType }
}
