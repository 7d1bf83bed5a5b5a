import Foundation

/// One tokenizer implementation, and how a model directory says it needs it.
public struct TokenizerEntry: Sendable {
    /// A short name for messages, e.g. "BERT WordPiece".
    public let name: String
    /// `tokenizer_config.json` `tokenizer_class` values it implements (without a "Fast" suffix).
    public let classNames: Set<String>
    /// Whether it reads a `tokenizer.json` whose model has this type, given the directory.
    public let readsModelType: @Sendable (_ type: String, _ directory: URL) -> Bool
    /// Whether the directory holds its vocabulary files (the last resort of detection).
    public let hasFiles: @Sendable (URL) -> Bool
    public let load: @Sendable (URL) throws -> any Tokenizer

    public init(name: String, classNames: Set<String>, readsModelType: @escaping @Sendable (String, URL) -> Bool,
                hasFiles: @escaping @Sendable (URL) -> Bool, load: @escaping @Sendable (URL) throws -> any Tokenizer) {
        self.name = name
        self.classNames = classNames
        self.readsModelType = readsModelType
        self.hasFiles = hasFiles
        self.load = load
    }

    /// BERT's WordPiece (`BertTokenizer`): `vocab.txt`, or a `tokenizer.json` with a WordPiece model.
    public static let wordPiece = TokenizerEntry(
        name: "BERT WordPiece", classNames: BertTokenizerConfiguration.bertClassNames,
        readsModelType: { type, _ in type == "WordPiece" },
        hasFiles: { FileManager.default.fileExists(atPath: $0.appendingPathComponent("vocab.txt").path) },
        load: { try BertTokenizer.load(directory: $0) })

    /// GPT-2's byte-level BPE (`GPT2Tokenizer`): `encoder.json` + `vocab.bpe`, `vocab.json` +
    /// `merges.txt`, or `gpt2.tiktoken`.
    public static let gpt2BytePair = TokenizerEntry(
        name: "GPT-2 BPE", classNames: ["GPT2Tokenizer"],
        readsModelType: { type, directory in type == "BPE" && BytePairVocabulary.Layout.detect(in: directory) != nil },
        hasFiles: { BytePairVocabulary.Layout.detect(in: $0) != nil },
        load: { try GPT2Tokenizer.load(directory: $0) })

    /// RoBERTa's byte-level BPE (`RobertaTokenizer`): GPT-2's algorithm with RoBERTa's ids and
    /// `<s> … </s>`; a `tokenizer.json` whose post-processor is `RobertaProcessing`.
    public static let robertaBytePair = TokenizerEntry(
        name: "RoBERTa BPE", classNames: ["RobertaTokenizer"],
        readsModelType: { type, directory in type == "BPE" && postProcessorType(in: directory) == "RobertaProcessing" },
        hasFiles: { directory in  // vocab.json + merges.txt are RoBERTa's when config.json says so, as AutoTokenizer decides
            BytePairVocabulary.Layout.detect(in: directory) == .huggingFace
                && (try? JSONFile(directory.appendingPathComponent("config.json")))??.dictionary["model_type"]?.string == "roberta"
        },
        load: { try RoBERTaTokenizer.load(directory: $0) })
}

/// tokenizer.json's `post_processor.type`, if it has a readable one.
private func postProcessorType(in directory: URL) -> String? {
    guard let json = try? JSONFile(directory.appendingPathComponent("tokenizer.json")),
          let processor = try? json.object("post_processor") else { return nil }
    return try? processor.string("type")
}

/// The tokenizers textclf can load, chosen for a model directory as transformers'
/// `AutoTokenizer` chooses: by `tokenizer_config.json`'s `tokenizer_class`, else by
/// `tokenizer.json`'s model type, else by the vocabulary files present. A new family's
/// tokenizer is one more entry (`register`).
///
///     let tokenizer = try TokenizerTable.builtIn.load(directory: URL(fileURLWithPath: "models/all-MiniLM-L6-v2"))
///     tokenizer.encodeForModel("Hello", maxLength: 128).ids   // [101, 7592, 102]
public struct TokenizerTable: Sendable {
    public private(set) var entries: [TokenizerEntry]

    public init(_ entries: [TokenizerEntry]) { self.entries = entries }

    public static let builtIn = TokenizerTable([.wordPiece, .robertaBytePair, .gpt2BytePair])

    public mutating func register(_ entry: TokenizerEntry) { entries.append(entry) }

    /// The entry `directory` needs.
    public func entry(for directory: URL) throws -> TokenizerEntry {
        if let config = try JSONFile(directory.appendingPathComponent("tokenizer_config.json")),
           var className = try config.string("tokenizer_class") {
            if className.hasSuffix("Fast") { className.removeLast(4) }
            if let entry = entries.first(where: { $0.classNames.contains(className) }) { return entry }
            if !BertTokenizerConfiguration.genericClassNames.contains(className) {
                throw TokenizerFileError(file: config.file, "tokenizer_class \(className) is not one textclf implements (\(names))")
            }
        }
        if let tokenizerJSON = try JSONFile(directory.appendingPathComponent("tokenizer.json")),
           let type = try tokenizerJSON.object("model")?.string("type") {
            if let entry = entries.first(where: { $0.readsModelType(type, directory) }) { return entry }
            throw tokenizerJSON.error("model type \(type) is not one textclf implements here (WordPiece, or BPE with GPT-2's vocabulary files or RoBERTa's post-processor)")
        }
        if let entry = entries.first(where: { $0.hasFiles(directory) }) { return entry }
        let gpt2Files = BytePairVocabulary.Layout.allCases.map(\.rawValue).joined(separator: ", ")
        throw TokenizerFileError(file: directory.path, "no tokenizer files here (looked for tokenizer_config.json, tokenizer.json, vocab.txt, \(gpt2Files))")
    }

    public func load(directory: URL) throws -> any Tokenizer {
        try entry(for: directory).load(directory)
    }

    private var names: String { entries.map(\.name).joined(separator: " or ") }
}

/// Loads whichever built-in tokenizer a model directory needs (`TokenizerTable.builtIn`).
public enum TokenizerLoader {
    public static func load(directory: URL) throws -> any Tokenizer {
        try TokenizerTable.builtIn.load(directory: directory)
    }
}
