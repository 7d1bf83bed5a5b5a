import ArgumentParser
import Backbones
import Foundation
import Tokenizers

/// `--model DIR` (alias `--vocab`) of the commands that use GPT-2's tokenizer.
struct GPT2VocabularyOptions: ParsableArguments {
    @Option(name: [.customLong("model"), .customLong("vocab")],
            help: ArgumentHelp("Directory holding the GPT-2 vocabulary files (default: the gpt2 model's, via the Store).", valueName: "dir"))
    var model: String?

    /// That directory's files as they are (any supported layout, no manifest check, so custom
    /// vocabularies work), else the `gpt2` model's through the Store, configured from the environment.
    func load() throws -> BytePairVocabulary {
        if let model { return try BytePairVocabulary.load(directory: URL(fileURLWithPath: model)) }
        return try BytePairVocabulary.pretrained("gpt2")
    }
}
