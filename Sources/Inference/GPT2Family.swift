// GPT-2 in every size, from Hugging Face's or OpenAI's files.
import Backbones
import Common
import Foundation
import Store
import Tokenizers

/// GPT-2: gpt2 … gpt2-xl by name (or their OpenAI sizes, 124M …), or a directory in either layout.
struct GPT2Family: BackboneFamily {
    var displayName: String { "GPT-2" }
    var names: [String] { GPT2ModelName.all.map(\.huggingFace) }
    func knows(_ name: String) -> Bool { GPT2ModelName(name) != nil }
    func recognizes(directory: URL) -> Bool {
        GPT2WeightLayout.detect(in: directory) != nil && modelType(in: directory).map { $0 == "gpt2" } ?? true
    }

    func pretrained(_ name: String, store: Store, dropout: Float) throws -> any Backbone {
        do { return try GPT2Model.pretrained(name, store: store, dropout: dropout) } catch let error as GPT2WeightsNotFound {
            throw WeightsUnavailable(name: name, error: error,
                                     summary: error.failures.first.map(WeightsUnavailable.summary) ?? "no layout could be had")
        }
    }

    func directory(_ url: URL, store: Store, dropout: Float) throws -> any Backbone {
        try GPT2Model.load(directory: url, store: store, dropout: dropout)
    }

    func random(_ name: String, seed: UInt64, store: Store, dropout: Float) throws -> any Backbone {
        guard var config = GPT2Config.named(name) else { throw InvalidInput("\(name) is not a GPT-2 size") }
        try config.setDropout(DropoutRates(dropout))
        return try GPT2Model.randomlyInitialized(config: config, seed: seed, tokenizer: GPT2Tokenizer.pretrained("gpt2", store: store),
                                                 store: store, name: name)
    }
}
