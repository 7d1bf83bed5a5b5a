import Foundation

/// A byte-level BPE vocabulary as tiktoken sees it: token byte strings in rank order (a token's
/// rank is its id and also its merge priority), plus special tokens that are never produced by
/// merging. Loaded from OpenAI's `encoder.json` + `vocab.bpe`, Hugging Face's `vocab.json` +
/// `merges.txt` (the same formats under other names), or a `.tiktoken` file.
public struct BytePairVocabulary: Sendable {
    /// Bytes of each ordinary token; the index is the token's id and rank.
    public let tokens: [[UInt8]]
    /// Special tokens by their text, e.g. `"<|endoftext|>": 50256`.
    public let specialTokens: [String: Int]
    /// Which files this came from, for messages.
    public let source: String

    /// Checks what the encoder relies on: unique token bytes, every single byte a token, special
    /// ids outside the ordinary range and distinct.
    public init(tokens: [[UInt8]], specialTokens: [String: Int], source: String) throws {
        guard tokens.count <= PairMergeTable.maximumID else {
            throw TokenizerFileError(file: source, "has \(tokens.count) tokens; at most \(PairMergeTable.maximumID) are supported")
        }
        var seen = Set<[UInt8]>(minimumCapacity: tokens.count)
        for (id, bytes) in tokens.enumerated() {
            if bytes.isEmpty { throw TokenizerFileError(file: source, "token \(id) is empty") }
            if !seen.insert(bytes).inserted {
                throw TokenizerFileError(file: source, "token \(id) (\(ByteLevelAlphabet.spelling(of: bytes))) appears twice")
            }
        }
        for b in 0 ... 255 where !seen.contains([UInt8(b)]) {
            throw TokenizerFileError(file: source, "byte 0x\(String(b, radix: 16)) has no token of its own, so some text could not be encoded")
        }
        var specialIDs = Set<Int>()
        for (text, id) in specialTokens {
            if id < tokens.count || !specialIDs.insert(id).inserted {
                throw TokenizerFileError(file: source, "special token \(text) has id \(id), which is already taken")
            }
        }
        self.tokens = tokens
        self.specialTokens = specialTokens
        self.source = source
    }

    /// Ordinary plus special tokens: the size of the model's embedding table.
    public var size: Int { max(tokens.count, (specialTokens.values.max() ?? -1) + 1) }
}

extension BytePairVocabulary {
    public static let endOfText = "<|endoftext|>"

    /// Which vocabulary files a directory holds, in the order `load(directory:)` prefers them:
    /// OpenAI's names, then Hugging Face's, then tiktoken's.
    public enum Layout: String, Sendable, CaseIterable {
        case openAI = "encoder.json + vocab.bpe"
        case huggingFace = "vocab.json + merges.txt"
        case tiktoken = "gpt2.tiktoken"

        /// The files of this layout, in the order `load(_:directory:)` reads them.
        public var fileNames: [String] {
            switch self {
            case .openAI: ["encoder.json", "vocab.bpe"]
            case .huggingFace: ["vocab.json", "merges.txt"]
            case .tiktoken: ["gpt2.tiktoken"]
            }
        }

        /// The first layout whose files are all present in `directory`.
        public static func detect(in directory: URL) -> Layout? {
            allCases.first { layout in
                layout.fileNames.allSatisfy { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
            }
        }
    }

    /// Loads GPT-2's vocabulary from whichever supported files `directory` holds.
    public static func load(directory: URL) throws -> BytePairVocabulary {
        guard let layout = Layout.detect(in: directory) else {
            let wanted = Layout.allCases.map(\.rawValue).joined(separator: ", or ")
            throw TokenizerFileError(file: directory.path, "no GPT-2 vocabulary here (looked for \(wanted))")
        }
        return try load(layout, directory: directory)
    }

    /// Loads the files of `layout` from `directory`, whatever else it holds.
    public static func load(_ layout: Layout, directory: URL) throws -> BytePairVocabulary {
        let files = layout.fileNames.map { directory.appendingPathComponent($0) }
        switch layout {
        case .openAI, .huggingFace: return try load(encoderJSON: files[0], merges: files[1])
        case .tiktoken: return try load(tiktoken: files[0])
        }
    }

    /// Loads `encoder.json` (token spelling → id) and checks it against `vocab.bpe` (the merges in
    /// rank order), as tiktoken does: merge i must produce exactly token 256 + i.
    public static func load(encoderJSON: URL, merges: URL) throws -> BytePairVocabulary {
        let entries = try VocabularyFileParsers.parseEncoderJSON(try readFile(encoderJSON), file: encoderJSON.path)
        var tokens = [[UInt8]?](repeating: nil, count: entries.count)
        var specials: [String: Int] = [:]
        let endOfTextBytes = Array(endOfText.utf8)
        for (bytes, id) in entries {
            if bytes == endOfTextBytes {
                specials[endOfText] = id
                continue
            }
            guard id >= 0, id < entries.count else {
                throw TokenizerFileError(file: encoderJSON.path, "token \(ByteLevelAlphabet.spelling(of: bytes)) has id \(id), outside 0..<\(entries.count)")
            }
            if tokens[id] != nil { throw TokenizerFileError(file: encoderJSON.path, "id \(id) is given to two tokens") }
            tokens[id] = bytes
        }
        let ordinaryCount = entries.count - specials.count
        var ordinary: [[UInt8]] = []
        ordinary.reserveCapacity(ordinaryCount)
        for id in 0 ..< ordinaryCount {
            guard let bytes = tokens[id] else {
                throw TokenizerFileError(file: encoderJSON.path, "no token has id \(id); ordinary ids must run from 0 without gaps")
            }
            ordinary.append(bytes)
        }
        let mergeList = try VocabularyFileParsers.parseMerges(try readFile(merges), file: merges.path)
        guard mergeList.count == ordinary.count - 256 else {
            throw TokenizerFileError(file: merges.path, "has \(mergeList.count) merges, but \(encoderJSON.lastPathComponent) has \(ordinary.count) tokens (256 bytes + merges expected)")
        }
        for (i, merge) in mergeList.enumerated() where merge.left + merge.right != ordinary[256 + i] {
            throw TokenizerFileError(file: merges.path, line: merge.line, "merge \"\(ByteLevelAlphabet.spelling(of: merge.left)) \(ByteLevelAlphabet.spelling(of: merge.right))\" does not make token \(256 + i) (\(ByteLevelAlphabet.spelling(of: ordinary[256 + i]))) of \(encoderJSON.lastPathComponent)")
        }
        return try BytePairVocabulary(tokens: ordinary, specialTokens: specials,
                                      source: "\(encoderJSON.path) + \(merges.lastPathComponent)")
    }

    /// Loads a `.tiktoken` file (base64 token bytes and rank per line). It holds no special
    /// tokens; GPT-2's `<|endoftext|>` gets the next id (50256), as tiktoken's gpt2 encoding does.
    public static func load(tiktoken file: URL) throws -> BytePairVocabulary {
        let tokens = try VocabularyFileParsers.parseTiktoken(try readFile(file), file: file.path)
        return try BytePairVocabulary(tokens: tokens, specialTokens: [endOfText: tokens.count], source: file.path)
    }

    static func readFile(_ url: URL) throws -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw TokenizerFileError(file: url.path, "cannot be read (\((error as NSError).localizedDescription))")
        }
    }
}
