import Foundation

/// The tokenizer families textclf implements.
public enum TokenizerKind: String, Sendable, CaseIterable {
    /// GPT-2's byte-level BPE (`GPT2Tokenizer`).
    case gpt2BytePair = "gpt2-bpe"
    /// BERT's WordPiece (`BertTokenizer`).
    case wordPiece = "wordpiece"

    /// Which tokenizer a model directory needs, decided as transformers' `AutoTokenizer` would:
    /// by `tokenizer_config.json`'s `tokenizer_class` if it names a known one, else by
    /// `tokenizer.json`'s model type, else by the vocabulary files present (`vocab.txt` for
    /// WordPiece; `encoder.json` + `vocab.bpe`, `vocab.json` + `merges.txt` or `gpt2.tiktoken`
    /// for GPT-2).
    public static func detect(in directory: URL) throws -> TokenizerKind {
        if let config = try JSONFile(directory.appendingPathComponent("tokenizer_config.json")),
           var className = try config.string("tokenizer_class") {
            if className.hasSuffix("Fast") { className.removeLast(4) }
            if BertTokenizerConfiguration.bertClassNames.contains(className) { return .wordPiece }
            if className == "GPT2Tokenizer" { return .gpt2BytePair }
            if !BertTokenizerConfiguration.genericClassNames.contains(className) {
                throw TokenizerFileError(file: config.file, "tokenizer_class \(className) is not one textclf implements (BERT WordPiece or GPT-2 BPE)")
            }
        }
        if let tokenizerJSON = try JSONFile(directory.appendingPathComponent("tokenizer.json")),
           let type = try tokenizerJSON.object("model")?.string("type") {
            switch type {
            case "WordPiece": return .wordPiece
            case "BPE" where BytePairVocabulary.Layout.detect(in: directory) != nil: return .gpt2BytePair
            default: throw tokenizerJSON.error("model type \(type) is not one textclf implements here (WordPiece, or BPE with GPT-2's vocabulary files)")
            }
        }
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("vocab.txt").path) { return .wordPiece }
        if BytePairVocabulary.Layout.detect(in: directory) != nil { return .gpt2BytePair }
        let gpt2Files = BytePairVocabulary.Layout.allCases.map(\.rawValue).joined(separator: ", ")
        throw TokenizerFileError(file: directory.path, "no tokenizer files here (looked for tokenizer_config.json, tokenizer.json, vocab.txt, \(gpt2Files))")
    }
}

/// Loads whichever tokenizer a model directory needs.
///
///     let tokenizer = try TokenizerLoader.load(directory: URL(fileURLWithPath: "models/all-MiniLM-L6-v2"))
///     tokenizer.encodeForModel("Hello", maxLength: 128).ids   // [101, 7592, 102]
public enum TokenizerLoader {
    public static func load(directory: URL) throws -> any Tokenizer {
        switch try TokenizerKind.detect(in: directory) {
        case .gpt2BytePair: try GPT2Tokenizer.load(directory: directory)
        case .wordPiece: try BertTokenizer.load(directory: directory)
        }
    }
}
