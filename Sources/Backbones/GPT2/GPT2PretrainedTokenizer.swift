import Foundation
import Store
import Tokenizers

// The seam between the tokenizer and the Store lives here, with the backbones, rather than in
// Tokenizers: a model name ("gpt2", "gpt2-medium") names weights and vocabulary together, and
// the backbone that loads the weights from the Store loads its tokenizer the same way. Tokenizers
// stays a pure file-format-and-algorithm module that knows nothing about caches or downloads.

extension BytePairVocabulary {
    /// The vocabulary of the manifest model `name`, its files found by the Store (cache, mirror,
    /// or a verified download; see `Store.resolve`). The first vocabulary layout the manifest
    /// lists that can be had wins, in `Layout`'s order: OpenAI's encoder.json + vocab.bpe, Hugging
    /// Face's vocab.json + merges.txt, then gpt2.tiktoken.
    ///
    ///     let vocabulary = try BytePairVocabulary.pretrained("gpt2")
    ///
    /// Throws `UnknownEntryError` for a name the manifest lacks or a model without vocabulary
    /// files, and the preferred layout's `ResolutionError` (every place tried) when none is found.
    public static func pretrained(_ name: String = "gpt2", store: Store? = nil) throws -> BytePairVocabulary {
        let store = try store ?? Store()
        let ref = EntryRef.model(name)
        let listed = Set(try store.manifest.require(ref).files.map(\.name))
        let layouts = Layout.allCases.filter { $0.fileNames.allSatisfy(listed.contains) }
        guard !layouts.isEmpty else {
            let wanted = Layout.allCases.map(\.rawValue).joined(separator: ", or ")
            throw UnknownEntryError(description: "\(ref) lists no GPT-2 vocabulary files (\(wanted)) in the manifest")
        }
        var firstFailure: Error?
        for layout in layouts {
            do {
                return try load(layout, directory: store.resolveDirectory(ref, files: layout.fileNames))
            } catch let failure as ResolutionError {
                firstFailure = firstFailure ?? failure
            }
        }
        throw firstFailure!
    }
}

extension GPT2Tokenizer {
    /// GPT-2's tokenizer for the manifest model `name`, its vocabulary found by the Store (see
    /// `BytePairVocabulary.pretrained`); like Hugging Face's `AutoTokenizer.from_pretrained("gpt2")`.
    ///
    ///     let tokenizer = try GPT2Tokenizer.pretrained()
    ///     tokenizer.encode("Hello world")          // [15496, 995]
    public static func pretrained(_ name: String = "gpt2", store: Store? = nil) throws -> GPT2Tokenizer {
        try GPT2Tokenizer(vocabulary: .pretrained(name, store: store))
    }
}
