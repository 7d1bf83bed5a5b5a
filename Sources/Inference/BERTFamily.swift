import Backbones
import Common
import Foundation
import Store
import Tokenizers

/// The BERT family: the encoders the manifest knows (all-MiniLM-L6-v2), or any directory in
/// Hugging Face's BERT layout (config.json with model_type "bert", model.safetensors, vocab.txt).
struct BERTFamily: BackboneFamily {
    static let names = ["all-MiniLM-L6-v2"]
    /// The files a random instance needs: the architecture and the tokenizer, not the weights.
    static let architectureFiles = ["config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"]

    var displayName: String { "BERT" }
    var names: [String] { Self.names }
    func knows(_ name: String) -> Bool { Self.names.contains(name) }
    func recognizes(directory: URL) -> Bool {
        modelType(in: directory) == "bert" && FileManager.default.fileExists(atPath: directory.appendingPathComponent("vocab.txt").path)
    }

    func pretrained(_ name: String, store: Store, dropout: Float) throws -> any Backbone {
        do { return try BERTModel.pretrained(name, store: store, dropout: dropout) } catch let error as ResolutionError {
            throw WeightsUnavailable(name: name, error: error, summary: WeightsUnavailable.summary(error))
        }
    }

    func directory(_ url: URL, store: Store, dropout: Float) throws -> any Backbone {
        try BERTModel.load(directory: url, dropout: dropout)
    }

    func random(_ name: String, seed: UInt64, store: Store, dropout: Float) throws -> any Backbone {
        let directory = try store.resolveDirectory(.model(name), files: Self.architectureFiles)
        var config = try BERTConfig.load(from: directory.appendingPathComponent("config.json"))
        try config.setDropout(DropoutRates(dropout))
        return try BERTModel.randomlyInitialized(config: config, seed: seed, tokenizer: TokenizerLoader.load(directory: directory), name: name)
    }
}
