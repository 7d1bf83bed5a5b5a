import Backbones
import Common
import Foundation
import Store
import Tokenizers

/// A family of BERT-shaped encoders (`BERTLayout`): the encoders the manifest knows by name, or
/// any directory in its Hugging Face layout (config.json with its model_type, model.safetensors,
/// the tokenizer files). `.bert` knows all-MiniLM-L6-v2; RoBERTa and DistilBERT
/// (RoBERTaFamily.swift, DistilBERTFamily.swift) are read from directories.
struct BERTFamily: BackboneFamily {
    let layout: BERTLayout
    /// Manifest models of this family.
    let names: [String]
    /// The files a random instance needs: the architecture and the tokenizer, not the weights.
    let architectureFiles: [String]
    /// The tokenizer files a directory must hold (any one of them).
    let tokenizerFiles: [String]

    static let bert = BERTFamily(
        layout: .bert, names: ["all-MiniLM-L6-v2"],
        architectureFiles: ["config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"],
        tokenizerFiles: ["vocab.txt"])

    var displayName: String { layout.displayName }
    func knows(_ name: String) -> Bool { names.contains(name) }
    func recognizes(directory: URL) -> Bool {
        modelType(in: directory) == layout.modelType
            && tokenizerFiles.contains { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
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
        let directory = try store.resolveDirectory(.model(name), files: architectureFiles)
        var config = try BERTConfig.load(from: directory.appendingPathComponent("config.json"))
        try config.setDropout(DropoutRates(dropout))
        return try BERTModel.randomlyInitialized(config: config, seed: seed, tokenizer: TokenizerLoader.load(directory: directory), name: name)
    }
}
