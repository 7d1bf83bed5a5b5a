import Common
import Foundation

/// The sizes and settings of a GPT-2, with Hugging Face's `GPT2Config` field names in the docs
/// (`n_embd`, `n_layer`, ...) so the two can be read side by side.
///
///     let config = GPT2Config.named("gpt2")!           // 124M: 768 wide, 12 blocks, 12 heads
///     let fromFile = try GPT2Config.load(directory: url) // config.json (HF) or hparams.json (OpenAI)
///
/// Every GPT-2 has a bias on the q/k/v projection, LayerNorm eps 1e-5, the tanh GELU, and an
/// LM head tied to the token embedding; those are not settings here.
public struct GPT2Config: Sendable, Equatable, CustomStringConvertible {
    /// `vocab_size` / `n_vocab`: rows of the token embedding `wte`.
    public var vocabSize: Int
    /// `n_positions` / `n_ctx`: rows of the position embedding `wpe`, the longest sequence.
    public var contextLength: Int
    /// `n_embd`: width of the residual stream.
    public var embeddingSize: Int
    /// `n_layer`: transformer blocks.
    public var layerCount: Int
    /// `n_head`: attention heads per block (headSize = embeddingSize / headCount).
    public var headCount: Int
    /// `n_inner`: width of the MLP's hidden layer (4 · n_embd unless a config says otherwise).
    public var innerSize: Int
    /// `layer_norm_epsilon`.
    public var layerNormEpsilon: Float
    /// `embd_pdrop`: dropout on the embeddings while training.
    public var embeddingDropout: Float
    /// `resid_pdrop`: dropout on each sublayer's output before it joins the residual stream.
    public var residualDropout: Float
    /// `attn_pdrop`: dropout on the attention probabilities.
    public var attentionDropout: Float

    public init(vocabSize: Int = 50257, contextLength: Int = 1024, embeddingSize: Int, layerCount: Int, headCount: Int,
                innerSize: Int? = nil, layerNormEpsilon: Float = 1e-5, embeddingDropout: Float = 0, residualDropout: Float = 0,
                attentionDropout: Float = 0) {
        self.vocabSize = vocabSize
        self.contextLength = contextLength
        self.embeddingSize = embeddingSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.innerSize = innerSize ?? 4 * embeddingSize
        self.layerNormEpsilon = layerNormEpsilon
        self.embeddingDropout = embeddingDropout
        self.residualDropout = residualDropout
        self.attentionDropout = attentionDropout
    }

    /// The three dropouts (embd_pdrop, resid_pdrop, attn_pdrop).
    public var dropout: DropoutRates {
        DropoutRates(embedding: embeddingDropout, residual: residualDropout, attention: attentionDropout)
    }

    /// Sets the three dropouts; throws unless each is in [0, 1).
    public mutating func setDropout(_ rates: DropoutRates) throws {
        var changed = self
        changed.embeddingDropout = rates.embedding
        changed.residualDropout = rates.residual
        changed.attentionDropout = rates.attention
        try changed.validate(source: "dropout")
        self = changed
    }

    public var headSize: Int { embeddingSize / headCount }

    public var description: String {
        "GPT-2 \(embeddingSize) wide, \(layerCount) blocks, \(headCount) heads, vocabulary \(vocabSize), context \(contextLength)"
    }

    /// Throws unless the sizes make a model (positive, heads dividing the width, dropout in [0, 1)).
    public func validate(source: String = "GPT-2 config") throws {
        let sizes = [("vocab_size", vocabSize), ("n_positions", contextLength), ("n_embd", embeddingSize),
                     ("n_layer", layerCount), ("n_head", headCount), ("n_inner", innerSize)]
        if let bad = sizes.first(where: { $0.1 < 1 }) {
            throw InvalidInput("\(source): \(bad.0) is \(bad.1), must be at least 1")
        }
        guard embeddingSize % headCount == 0 else {
            throw InvalidInput("\(source): n_embd \(embeddingSize) is not a multiple of n_head \(headCount)")
        }
        for (key, rate) in [("embd_pdrop", embeddingDropout), ("resid_pdrop", residualDropout), ("attn_pdrop", attentionDropout)]
        where !(rate >= 0 && rate < 1) {
            throw InvalidInput("\(source): \(key) is \(rate), must be in [0, 1)")
        }
        guard layerNormEpsilon > 0 else { throw InvalidInput("\(source): layer_norm_epsilon must be positive") }
    }

    // MARK: Named sizes

    /// GPT-2 small, 124M parameters.
    public static let gpt2 = GPT2Config(embeddingSize: 768, layerCount: 12, headCount: 12)
    /// GPT-2 medium, 355M.
    public static let gpt2Medium = GPT2Config(embeddingSize: 1024, layerCount: 24, headCount: 16)
    /// GPT-2 large, 774M.
    public static let gpt2Large = GPT2Config(embeddingSize: 1280, layerCount: 36, headCount: 20)
    /// GPT-2 XL, 1558M.
    public static let gpt2XL = GPT2Config(embeddingSize: 1600, layerCount: 48, headCount: 25)

    /// The config of a released size by any of its names: `gpt2`, `gpt2-medium`, `gpt2-large`,
    /// `gpt2-xl` (Hugging Face), `124M`, `355M`, `774M`, `1558M` (OpenAI), or `gpt2-124M` ...
    public static func named(_ name: String) -> GPT2Config? {
        GPT2ModelName(name).map(\.config)
    }

    // MARK: Reading config files

    /// The config in `directory`: Hugging Face's `config.json`, else OpenAI's `hparams.json`.
    public static func load(directory: URL) throws -> GPT2Config {
        let hf = directory.appendingPathComponent("config.json"), openAI = directory.appendingPathComponent("hparams.json")
        if FileManager.default.fileExists(atPath: hf.path) { return try load(huggingFace: hf) }
        if FileManager.default.fileExists(atPath: openAI.path) { return try load(openAI: openAI) }
        throw InvalidInput("\(directory.path): holds neither config.json (Hugging Face) nor hparams.json (OpenAI)")
    }

    /// Hugging Face's `config.json` as `GPT2Config.save_pretrained` writes it. Refuses settings
    /// that change the computation in ways this implementation does not follow.
    public static func load(huggingFace url: URL) throws -> GPT2Config {
        let json = try readJSONObject(url)
        let file = url.path
        if let type = json["model_type"] as? String, type != "gpt2" {
            throw InvalidInput("\(file): model_type is \"\(type)\", not \"gpt2\"")
        }
        if let activation = json["activation_function"] as? String, activation != "gelu_new" {
            throw InvalidInput("\(file): activation_function \"\(activation)\" is not supported (GPT-2 uses gelu_new, the tanh GELU)")
        }
        for flag in ["scale_attn_by_inverse_layer_idx", "add_cross_attention"] where json[flag] as? Bool == true {
            throw InvalidInput("\(file): \(flag) = true is not supported")
        }
        if json["scale_attn_weights"] as? Bool == false {
            throw InvalidInput("\(file): scale_attn_weights = false is not supported")
        }
        if json["tie_word_embeddings"] as? Bool == false {
            throw InvalidInput("\(file): tie_word_embeddings = false is not supported (GPT-2's LM head is its token embedding)")
        }
        let config = GPT2Config(
            vocabSize: try integer(json, ["vocab_size"], file: file, default: 50257),
            contextLength: try integer(json, ["n_positions", "n_ctx"], file: file, default: 1024),
            embeddingSize: try integer(json, ["n_embd"], file: file),
            layerCount: try integer(json, ["n_layer"], file: file),
            headCount: try integer(json, ["n_head"], file: file),
            innerSize: try optionalInteger(json, "n_inner", file: file),
            layerNormEpsilon: Float(try number(json, "layer_norm_epsilon", file: file, default: 1e-5)),
            embeddingDropout: Float(try number(json, "embd_pdrop", file: file, default: 0.1)),
            residualDropout: Float(try number(json, "resid_pdrop", file: file, default: 0.1)),
            attentionDropout: Float(try number(json, "attn_pdrop", file: file, default: 0.1)))
        try config.validate(source: file)
        return config
    }

    /// OpenAI's `hparams.json`: `{"n_vocab", "n_ctx", "n_embd", "n_head", "n_layer"}` (no dropout:
    /// OpenAI released no training settings).
    public static func load(openAI url: URL) throws -> GPT2Config {
        let json = try readJSONObject(url)
        let file = url.path
        let config = GPT2Config(
            vocabSize: try integer(json, ["n_vocab"], file: file),
            contextLength: try integer(json, ["n_ctx"], file: file),
            embeddingSize: try integer(json, ["n_embd"], file: file),
            layerCount: try integer(json, ["n_layer"], file: file),
            headCount: try integer(json, ["n_head"], file: file))
        try config.validate(source: file)
        return config
    }

    private static func readJSONObject(_ url: URL) throws -> [String: Any] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw InvalidInput("\(url.path): cannot be read (\(error.localizedDescription))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let json = object as? [String: Any] else {
            throw InvalidInput("\(url.path): is not a JSON object")
        }
        return json
    }

    private static func integer(_ json: [String: Any], _ keys: [String], file: String, default value: Int? = nil) throws -> Int {
        for key in keys where json[key] != nil && !(json[key] is NSNull) {
            guard let number = json[key] as? NSNumber, let int = Int(exactly: number.doubleValue) else {
                throw InvalidInput("\(file): \(key) is not an integer")
            }
            return int
        }
        if let value { return value }
        throw InvalidInput("\(file): has no \(keys.joined(separator: " or "))")
    }

    private static func optionalInteger(_ json: [String: Any], _ key: String, file: String) throws -> Int? {
        guard json[key] != nil, !(json[key] is NSNull) else { return nil }
        return try integer(json, [key], file: file)
    }

    private static func number(_ json: [String: Any], _ key: String, file: String, default value: Double) throws -> Double {
        guard let raw = json[key], !(raw is NSNull) else { return value }
        guard let number = raw as? NSNumber else { throw InvalidInput("\(file): \(key) is not a number") }
        return number.doubleValue
    }
}

/// A released GPT-2 size and the names it goes by: the Store's Hugging Face entry (`gpt2`,
/// `gpt2-medium`, ...) and OpenAI checkpoint entry (`gpt2-124M`, ...), and the bare OpenAI
/// size (`124M`).
public struct GPT2ModelName: Sendable, Equatable {
    /// The Store's entry for Hugging Face's files (config.json, model.safetensors, vocabulary).
    public let huggingFace: String
    /// The Store's entry for OpenAI's TensorFlow checkpoint.
    public let openAI: String
    public let config: GPT2Config

    public static let all: [GPT2ModelName] = [
        GPT2ModelName(huggingFace: "gpt2", openAI: "gpt2-124M", config: .gpt2),
        GPT2ModelName(huggingFace: "gpt2-medium", openAI: "gpt2-355M", config: .gpt2Medium),
        GPT2ModelName(huggingFace: "gpt2-large", openAI: "gpt2-774M", config: .gpt2Large),
        GPT2ModelName(huggingFace: "gpt2-xl", openAI: "gpt2-1558M", config: .gpt2XL),
    ]

    /// Accepts `gpt2`, `gpt2-medium`, `124M`, `gpt2-124M`, `355M`, ... (case-insensitive).
    public init?(_ name: String) {
        let key = name.lowercased()
        guard let found = Self.all.first(where: { size in
            let bare = String(size.openAI.dropFirst("gpt2-".count)).lowercased()
            return [size.huggingFace, size.openAI.lowercased(), bare].contains(key)
        }) else { return nil }
        self = found
    }

    private init(huggingFace: String, openAI: String, config: GPT2Config) {
        self.huggingFace = huggingFace
        self.openAI = openAI
        self.config = config
    }

    /// Every accepted spelling, for messages.
    public static var knownNames: [String] {
        all.flatMap { [$0.huggingFace, String($0.openAI.dropFirst("gpt2-".count))] }
    }
}
