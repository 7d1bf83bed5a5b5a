import Foundation
import Store
import Tokenizers

// As for GPT-2 (GPT2PretrainedTokenizer.swift): the Store seam lives with the backbones, so
// Tokenizers knows nothing about caches or downloads.

extension BertTokenizer {
    /// The files a WordPiece tokenizer may read from a Hugging Face directory (vocab.txt is the
    /// one it needs).
    static let fileNames: Set<String> = ["vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"]

    /// The WordPiece tokenizer of the manifest model `name`, only its tokenizer files found by
    /// the Store (cache, mirror, or a verified download), not the weights; like Hugging Face's
    /// `AutoTokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")`.
    ///
    ///     let tokenizer = try BertTokenizer.pretrained("all-MiniLM-L6-v2")
    ///     tokenizer.encodeForModel("Hello", maxLength: 128).ids   // [101, 7592, 102]
    public static func pretrained(_ name: String = "all-MiniLM-L6-v2", store: Store? = nil) throws -> BertTokenizer {
        let store = try store ?? Store()
        let ref = EntryRef.model(name)
        let files = try store.manifest.require(ref).files.map(\.name).filter(fileNames.contains)
        guard files.contains("vocab.txt") else {
            throw UnknownEntryError(description: "\(ref) lists no WordPiece vocabulary (vocab.txt) in the manifest")
        }
        return try load(directory: store.resolveDirectory(ref, files: files))
    }
}
