import Foundation

/// A WordPiece vocabulary: token strings by id (`vocab.txt`: line n is id n), and the greedy
/// longest-match-first split of a word into pieces, `##` marking pieces that continue a word:
/// "unaffable" → "una", "##ffa", "##ble".
public struct WordPieceVocabulary: Sendable {
    /// Spelling of each id, as the vocabulary file has it ("the", "##ing", "[CLS]").
    public let tokens: [String]
    /// Prefix of pieces that continue a word (Hugging Face's `continuing_subword_prefix`).
    public let continuingSubwordPrefix: String
    /// Which file this came from, for messages.
    public let source: String

    /// Every token as spelled → id (a word's first piece is looked up here).
    private var wordStarts = ByteStringMap(minimumCapacity: 32_768)
    private var wordStartIDs: [Int32] = []
    /// Tokens that begin with the prefix, without it → id (later pieces are looked up here).
    private var continuations = ByteStringMap(minimumCapacity: 8192)
    private var continuationIDs: [Int32] = []
    /// Longest key (in UTF-8 bytes) of each map: a piece is never longer, so the search for the
    /// longest match can start there instead of at the end of a long word.
    private var longestWordStart = 0
    private var longestContinuation = 0

    /// When a spelling appears twice, the later id wins, as in Hugging Face's loaders (a Python
    /// dict / Rust HashMap filled line by line); `tokens` still holds both for decoding.
    public init(tokens: [String], continuingSubwordPrefix: String = "##", source: String) throws {
        guard !tokens.isEmpty else { throw TokenizerFileError(file: source, "holds no tokens") }
        guard tokens.count < Int(Int32.max) else { throw TokenizerFileError(file: source, "has too many tokens") }
        self.tokens = tokens
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.source = source
        let prefix = Array(continuingSubwordPrefix.utf8)
        for (id, token) in tokens.enumerated() {
            var bytes = Array(token.utf8)
            Self.insert(bytes, id: id, into: &wordStarts, ids: &wordStartIDs, longest: &longestWordStart)
            if !prefix.isEmpty, bytes.count > prefix.count, bytes.starts(with: prefix) {
                bytes.removeFirst(prefix.count)
                Self.insert(bytes, id: id, into: &continuations, ids: &continuationIDs, longest: &longestContinuation)
            }
        }
    }

    private static func insert(_ key: [UInt8], id: Int, into map: inout ByteStringMap, ids: inout [Int32], longest: inout Int) {
        key.withUnsafeBufferPointer { key in
            if let entry = map.index(of: key) {
                ids[entry] = Int32(id)
            } else {
                map.insert(key)
                ids.append(Int32(id))
            }
        }
        longest = max(longest, key.count)
    }

    public var count: Int { tokens.count }

    /// The id of a token spelled exactly so ("[CLS]", "##ing"), or nil.
    public func id(of token: String) -> Int? {
        var token = token
        return token.withUTF8 { bytes in wordStarts.index(of: bytes).map { Int(wordStartIDs[$0]) } }
    }

    /// Appends the pieces of one word (UTF-8, `scalarCount` Unicode scalars) to `ids`: greedy
    /// longest match from the left, each later piece looked up with the prefix. A word with more
    /// than `maxInputCharsPerWord` scalars, or with a stretch no token matches, becomes `unknownID`
    /// as a whole, as in Hugging Face's WordPiece model. (A cache of multi-piece words, as GPT-2's
    /// encoder has, did not pay here: most words are one lookup, and the rest short.)
    @inline(__always)
    func appendPieces(of word: UnsafeBufferPointer<UInt8>, scalarCount: Int, maxInputCharsPerWord: Int,
                      unknownID: Int, to ids: inout [Int]) {
        if scalarCount > maxInputCharsPerWord {
            ids.append(unknownID)
            return
        }
        split(word, unknownID: unknownID, to: &ids)
    }

    private func split(_ word: UnsafeBufferPointer<UInt8>, unknownID: Int, to ids: inout [Int]) {
        let firstPiece = ids.count
        var start = 0
        let n = word.count
        while start < n {
            let isFirst = start == 0
            var end = min(n, start + (isFirst ? longestWordStart : longestContinuation))
            while end > start && end < n && word[end] & 0xC0 == 0x80 { end -= 1 }  // a scalar boundary
            var found = -1
            while end > start {
                let piece = UnsafeBufferPointer(rebasing: word[start ..< end])
                if isFirst {
                    if let entry = wordStarts.index(of: piece) { found = Int(wordStartIDs[entry]); break }
                } else if let entry = continuations.index(of: piece) {
                    found = Int(continuationIDs[entry])
                    break
                }
                end -= 1
                while end > start && word[end] & 0xC0 == 0x80 { end -= 1 }
            }
            if found < 0 {
                ids.removeSubrange(firstPiece...)
                ids.append(unknownID)
                return
            }
            ids.append(found)
            start = end
        }
    }
}

extension WordPieceVocabulary {
    /// Reads `vocab.txt`: one token per line, the line number (from 0) its id. As Hugging Face's
    /// Rust loader does, a trailing `\r` and trailing whitespace are dropped from each line and
    /// a final newline ends the last line rather than starting an empty one.
    public static func load(vocabFile url: URL, continuingSubwordPrefix: String = "##") throws -> WordPieceVocabulary {
        try parse(vocabText: BytePairVocabulary.readFile(url), file: url.path, continuingSubwordPrefix: continuingSubwordPrefix)
    }

    /// `vocab.txt`'s bytes, read as `load(vocabFile:)` reads them; `file` names them in errors.
    static func parse(vocabText data: [UInt8], file: String, continuingSubwordPrefix: String = "##") throws -> WordPieceVocabulary {
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var tokens: [String] = []
        tokens.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            guard var token = String(validating: line, as: UTF8.self) else {
                throw TokenizerFileError(file: file, line: index + 1, "invalid UTF-8")
            }
            if let last = line.last, last >= 0x80 || BertCharacterClass.isWhitespace(UInt32(last)) {
                while let scalar = token.unicodeScalars.last, BertCharacterClass.isWhitespace(scalar.value) {
                    token.unicodeScalars.removeLast()
                }
            }
            tokens.append(token)
        }
        return try WordPieceVocabulary(tokens: tokens, continuingSubwordPrefix: continuingSubwordPrefix, source: file)
    }
}
