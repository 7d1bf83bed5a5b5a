import Foundation

/// GPT-2's byte-level BPE tokenizer, id for id the same as tiktoken's "gpt2" encoding.
///
/// Encoding splits the text into pieces with OpenAI's pre-tokenisation regex (see
/// `GPT2PieceScanner`), looks each piece up as a whole token, and runs byte-pair merges on
/// the pieces that are not. Text is handled as UTF-8 bytes, so any string encodes and
/// `decodeBytes` gives back exactly those bytes.
///
///     let tokenizer = try GPT2Tokenizer.load(directory: URL(fileURLWithPath: "models/gpt2"))
///     tokenizer.encode("Hello world")          // [15496, 995]
///     tokenizer.decode([15496, 995])           // "Hello world"
///
/// Safe to share between threads; each call borrows its own working memory.
public struct GPT2Tokenizer: Tokenizer {
    /// Where the vocabulary came from.
    public let source: String
    /// `<|endoftext|>`'s id (50256): GPT-2's only special token, also used for padding.
    public let endOfTextID: Int
    public let vocabularySize: Int
    private let encoder: BytePairEncoder
    private let scratchPool = ScratchPool()
    private let specialTokens: [String: Int]
    private let specialTextByID: [Int: String]

    public init(vocabulary: BytePairVocabulary) throws {
        guard let endOfText = vocabulary.specialTokens[BytePairVocabulary.endOfText] else {
            throw TokenizerFileError(file: vocabulary.source, "has no \(BytePairVocabulary.endOfText) token")
        }
        source = vocabulary.source
        endOfTextID = endOfText
        vocabularySize = vocabulary.size
        encoder = BytePairEncoder(tokens: vocabulary.tokens)
        specialTokens = vocabulary.specialTokens
        specialTextByID = Dictionary(uniqueKeysWithValues: vocabulary.specialTokens.map { ($1, $0) })
    }

    /// Loads from a directory holding `encoder.json` + `vocab.bpe`, `vocab.json` + `merges.txt`,
    /// or `gpt2.tiktoken` (first found in that order).
    public static func load(directory: URL) throws -> GPT2Tokenizer {
        try GPT2Tokenizer(vocabulary: .load(directory: directory))
    }

    public var padTokenID: Int { endOfTextID }

    // MARK: Encoding

    /// Ordinary text to ids. `<|endoftext|>` in the text is just text here ("<|", "endoftext",
    /// "|>"), so user data cannot inject control tokens; see `encode(_:allowedSpecial:)`.
    public func encode(_ text: String) -> [Int] {
        var text = text
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 4 + 8)
        var scratch = scratchPool.take()
        text.withUTF8 { encoder.encodeOrdinary($0, scratch: &scratch, into: &ids) }
        scratchPool.giveBack(scratch)
        return ids
    }

    /// Like `encode`, but the special tokens named in `allowedSpecial` (e.g. `["<|endoftext|>"]`)
    /// become their ids where they occur; text between them is encoded on its own, as in
    /// tiktoken's `encode(text, allowed_special=...)`. Names that are not special tokens of this
    /// vocabulary are ignored.
    public func encode(_ text: String, allowedSpecial: Set<String>) -> [Int] {
        let allowed = allowedSpecial.compactMap { name in specialTokens[name].map { SpecialTokenSplitter.Special(bytes: Array(name.utf8), id: $0) } }
        if allowed.isEmpty { return encode(text) }
        var text = text
        var ids: [Int] = []
        var scratch = scratchPool.take()
        text.withUTF8 { utf8 in
            SpecialTokenSplitter(allowed).split(utf8, ordinary: { range in
                encoder.encodeOrdinary(UnsafeBufferPointer(rebasing: utf8[range]), scratch: &scratch, into: &ids)
            }, special: { ids.append($0) })
        }
        scratchPool.giveBack(scratch)
        return ids
    }

    /// `encode(_:allowedSpecial:)` for many texts, spread over all cores.
    public func encodeBatch(_ texts: [String], allowedSpecial: Set<String>) -> [[Int]] {
        concurrentMap(texts) { encode($0, allowedSpecial: allowedSpecial) }
    }

    /// GPT-2 adds no special tokens around a text; the ids are cut to `maxLength`.
    public func encodeForModel(_ text: String, maxLength: Int) -> (ids: [Int], truncated: Bool) {
        let ids = encode(text)
        let limit = max(0, maxLength)
        return ids.count > limit ? (Array(ids.prefix(limit)), true) : (ids, false)
    }

    /// The pieces pre-tokenisation cuts `text` into before BPE (a piece is one token or is
    /// merged into several). Useful to see why a text encodes the way it does.
    public func pieces(of text: String) -> [String] {
        var text = text
        var pieces: [String] = []
        text.withUTF8 { utf8 in
            var scanner = GPT2PieceScanner(utf8)
            while let range = scanner.next() { pieces.append(String(decoding: utf8[range], as: UTF8.self)) }
        }
        return pieces
    }

    // MARK: Decoding

    /// Exactly the bytes the ids stand for (`encode`'s input, byte for byte). Throws for ids
    /// outside the vocabulary.
    public func decodeBytes(_ ids: [Int]) throws -> [UInt8] {
        try bytes(of: ids) { throw UnknownTokenID(id: $0, vocabularySize: vocabularySize) }
    }

    /// Text of the ids. A token can end in the middle of a UTF-8 character, so bytes that do not
    /// form valid UTF-8 (and unknown ids) become U+FFFD, as in tiktoken's `decode(errors="replace")`.
    public func decode(_ ids: [Int]) -> String {
        String(decoding: bytes(of: ids) { _ in [0xEF, 0xBF, 0xBD] }, as: UTF8.self)
    }

    /// The ids' bytes, ordinary and special tokens alike; `unknown` says what an id outside the
    /// vocabulary becomes (or throws).
    private func bytes(of ids: [Int], unknown: (Int) throws -> [UInt8]) rethrows -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids {
            if let token = encoder.bytes(of: id) {
                bytes.append(contentsOf: token)
            } else if let special = specialTextByID[id] {
                bytes.append(contentsOf: special.utf8)
            } else {
                bytes.append(contentsOf: try unknown(id))
            }
        }
        return bytes
    }

    /// The token as GPT-2's vocabulary files spell it: bytes through the byte alphabet, so a
    /// leading space shows as "Ġ" ("Ġworld"); special tokens as their text.
    public func token(for id: Int) -> String? {
        if let bytes = encoder.bytes(of: id) { return ByteLevelAlphabet.spelling(of: bytes) }
        return specialTextByID[id]
    }

    /// The raw bytes of one token (not necessarily valid UTF-8 on its own).
    public func tokenBytes(for id: Int) -> [UInt8]? {
        if let bytes = encoder.bytes(of: id) { return Array(bytes) }
        return specialTextByID[id].map { Array($0.utf8) }
    }
}
