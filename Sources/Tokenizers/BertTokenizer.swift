import Foundation

/// BERT's WordPiece tokenizer, id for id the same as Hugging Face's `BertTokenizer` /
/// `BertTokenizerFast` (the `tokenizers` library) for the same files.
///
/// Encoding normalizes and splits the text into words (`BertWordScanner`: special tokens,
/// cleaning, CJK, accents, lowercase, whitespace and punctuation), then splits each word into
/// the longest vocabulary pieces from the left (`WordPieceVocabulary`).
///
///     let tokenizer = try BertTokenizer.load(directory: URL(fileURLWithPath: "models/all-MiniLM-L6-v2"))
///     tokenizer.encode("Hello, World!")                      // [7592, 1010, 2088, 999]
///     tokenizer.encodeForModel("Hello", maxLength: 128).ids  // [101, 7592, 102]: [CLS] hello [SEP]
///     tokenizer.tokenize("unaffable")                        // ["una", "##ffa", "##ble"]
///
/// Safe to share between threads; each call borrows its own working memory.
public struct BertTokenizer: Tokenizer {
    public let configuration: BertTokenizerConfiguration
    public let vocabulary: WordPieceVocabulary
    public let unkTokenID: Int
    public let clsTokenID: Int
    public let sepTokenID: Int
    public let padTokenID: Int
    public let maskTokenID: Int
    /// Ids of all special tokens (named and additional).
    public let specialTokenIDs: Set<Int>
    public let vocabularySize: Int

    private let scanner: BertWordScanner
    /// Id of each of `scanner.specials`, in its order.
    private let scannerSpecialIDs: [Int]
    /// Special tokens whose id lies beyond the vocabulary (added, as Hugging Face adds a special
    /// token the vocabulary lacks).
    private let addedTokens: [Int: String]
    private let scratchPool = ReusablePool { BertScratch() }

    /// Resolves the ids of the special and added tokens: the vocabulary's, and for a token the
    /// vocabulary lacks the next free id, as Hugging Face's `add_tokens` does.
    public init(vocabulary: WordPieceVocabulary, configuration: BertTokenizerConfiguration = .init()) throws {
        guard configuration.maxInputCharsPerWord >= 0 else {
            throw TokenizerFileError(file: vocabulary.source, "max_input_chars_per_word must not be negative")
        }
        self.vocabulary = vocabulary
        self.configuration = configuration
        var ids: [String: Int] = [:]
        var added: [Int: String] = [:]
        let named = [configuration.unkToken, configuration.sepToken, configuration.padToken,
                     configuration.clsToken, configuration.maskToken]
        for name in configuration.additionalSpecialTokens + configuration.addedTokens + named where ids[name] == nil {
            if let id = vocabulary.id(of: name) {
                ids[name] = id
            } else {
                let id = vocabulary.count + added.count
                ids[name] = id
                added[id] = name
            }
        }
        func id(_ name: String) -> Int { ids[name] ?? vocabulary.count }  // every name has one by now
        unkTokenID = id(configuration.unkToken)
        padTokenID = id(configuration.padToken)
        maskTokenID = id(configuration.maskToken)
        clsTokenID = configuration.clsTokenID ?? id(configuration.clsToken)
        sepTokenID = configuration.sepTokenID ?? id(configuration.sepToken)
        addedTokens = added
        specialTokenIDs = Set(configuration.specialTokens.map(id)).union([clsTokenID, sepTokenID])
        vocabularySize = max(vocabulary.count + added.count, clsTokenID + 1, sepTokenID + 1)
        let recognised = configuration.splitSpecialTokens ? [] : configuration.specialTokens + configuration.addedTokens
        scanner = BertWordScanner(cleanText: configuration.cleanText,
                                  tokenizeChineseChars: configuration.tokenizeChineseChars,
                                  stripAccents: configuration.stripsAccents,
                                  lowercase: configuration.doLowerCase,
                                  specials: recognised)
        scannerSpecialIDs = scanner.specials.map { id(String(decoding: $0, as: UTF8.self)) }
    }

    public var modelMaxLength: Int? { configuration.modelMaxLength }

    // MARK: Encoding

    /// Text to ordinary ids: no [CLS]/[SEP] added. Special tokens written in the text ("[SEP]")
    /// are recognised as in Hugging Face, unless `splitSpecialTokens` is set.
    public func encode(_ text: String) -> [Int] {
        var text = text
        let scratch = scratchPool.take()
        var sink = WordPieceSink(vocabulary: vocabulary, specialIDs: scannerSpecialIDs, unknownID: unkTokenID,
                                 maxInputCharsPerWord: configuration.maxInputCharsPerWord)
        sink.ids.reserveCapacity(text.utf8.count / 4 + 8)
        text.withUTF8 { scanner.scan($0, scratch: scratch, sink: &sink) }
        scratchPool.giveBack(scratch)
        return sink.ids
    }

    /// `[CLS] ids [SEP]`, the ids cut so that the whole is at most `maxLength` long (Hugging
    /// Face's `truncation=True, max_length=maxLength`); [SEP] is kept when the text is cut.
    public var specialTokenFrame: SpecialTokenFrame { SpecialTokenFrame(prefix: [clsTokenID], suffix: [sepTokenID]) }

    public func encodeForModel(_ text: String, maxLength: Int) -> (ids: [Int], truncated: Bool) {
        let ids = encode(text)
        let room = max(0, maxLength - 2)
        var model = [clsTokenID]
        model.reserveCapacity(min(ids.count, room) + 2)
        model += ids.prefix(room)
        model.append(sepTokenID)
        if model.count > maxLength { model = Array(model.prefix(max(0, maxLength))) }
        return (model, ids.count > room || maxLength < 2)
    }

    /// The tokens of `text` as the vocabulary spells them (Hugging Face's `tokenize`).
    public func tokenize(_ text: String) -> [String] {
        encode(text).map { token(for: $0) ?? configuration.unkToken }
    }

    /// The words the basic tokenizer cuts `text` into before WordPiece: normalized (cleaned,
    /// lowercased, accents stripped as configured) and split on whitespace and punctuation;
    /// special tokens kept whole. Useful to see why a text encodes the way it does.
    public func basicTokens(of text: String) -> [String] {
        var text = text
        var sink = WordListSink(specials: scanner.specials)
        let scratch = scratchPool.take()
        text.withUTF8 { scanner.scan($0, scratch: scratch, sink: &sink) }
        scratchPool.giveBack(scratch)
        return sink.words
    }

    // MARK: Decoding

    /// Tokens joined as Hugging Face's WordPiece decoder does: a space before each token except
    /// `##` continuations, no space before . ? ! , — so "[CLS] hello, world [SEP]". Unknown ids
    /// become U+FFFD.
    public func decode(_ ids: [Int]) -> String {
        decode(ids, skipSpecialTokens: false)
    }

    /// `decode`, leaving out special tokens ([CLS], [SEP], [PAD], ...) if asked.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        let prefix = Array(configuration.continuingSubwordPrefix.utf8)
        var text: [UInt8] = []
        var first = true
        for id in ids {
            if skipSpecialTokens && specialTokenIDs.contains(id) { continue }
            var piece = Array((token(for: id) ?? "\u{FFFD}").utf8)
            if !first {
                if !prefix.isEmpty && piece.starts(with: prefix) {
                    piece.removeFirst(prefix.count)
                } else {
                    piece.insert(0x20, at: 0)
                    // The `tokenizers` WordPiece decoder's `cleanup`, on each piece with its space.
                    for (dirty, clean) in Self.pieceCleanup { piece = Self.replacing(dirty, with: clean, in: piece) }
                }
            }
            first = false
            text += piece
        }
        if configuration.cleanUpTokenizationSpaces {
            for (dirty, clean) in Self.textCleanup { text = Self.replacing(dirty, with: clean, in: text) }
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static let pieceCleanup = cleanupPairs([(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"),
                                                    (" n't", "n't"), (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"),
                                                    (" 've", "'ve"), (" 're", "'re")])
    /// transformers' `clean_up_tokenization`, applied to the whole text when configured.
    private static let textCleanup = cleanupPairs([(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"),
                                                   (" n't", "n't"), (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")])

    private static func cleanupPairs(_ pairs: [(String, String)]) -> [([UInt8], [UInt8])] {
        pairs.map { (Array($0.0.utf8), Array($0.1.utf8)) }
    }

    /// Replaces every occurrence, left to right, comparing bytes (as Rust's and Python's
    /// `replace` do; Foundation's would compare canonically equivalent characters).
    private static func replacing(_ dirty: [UInt8], with clean: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= dirty.count else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if i + dirty.count <= bytes.count && bytes[i] == dirty[0] && bytes[i ..< i + dirty.count].elementsEqual(dirty) {
                out += clean
                i += dirty.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// The vocabulary's spelling of `id` ("hello", "##ing", "[CLS]"), or nil for an unknown id.
    public func token(for id: Int) -> String? {
        if id >= 0 && id < vocabulary.count { return vocabulary.tokens[id] }
        return addedTokens[id]
    }
}

/// Collects ids: WordPiece for each word, the id of each special token.
private struct WordPieceSink: BertWordSink {
    let vocabulary: WordPieceVocabulary
    let specialIDs: [Int]
    let unknownID: Int
    let maxInputCharsPerWord: Int
    var ids: [Int] = []

    mutating func word(_ bytes: UnsafeBufferPointer<UInt8>, scalarCount: Int) {
        vocabulary.appendPieces(of: bytes, scalarCount: scalarCount, maxInputCharsPerWord: maxInputCharsPerWord,
                                unknownID: unknownID, to: &ids)
    }

    mutating func special(_ index: Int) { ids.append(specialIDs[index]) }
}

/// Collects the words as strings.
private struct WordListSink: BertWordSink {
    let specials: [[UInt8]]
    var words: [String] = []

    mutating func word(_ bytes: UnsafeBufferPointer<UInt8>, scalarCount: Int) {
        words.append(String(decoding: bytes, as: UTF8.self))
    }

    mutating func special(_ index: Int) { words.append(String(decoding: specials[index], as: UTF8.self)) }
}
