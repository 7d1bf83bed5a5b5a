import Foundation

/// RoBERTa's tokenizer (Hugging Face's `RobertaTokenizer`): GPT-2's byte-level BPE, with ids
/// taken from RoBERTa's own `vocab.json` and `<s> … </s>` around each text.
///
/// BPE runs on merge ranks (`merges.txt`'s order) with GPT-2's encoder; each resulting token is
/// then looked up in `vocab.json`, whose ids need not follow the ranks (RoBERTa's do not). Special
/// tokens in the text (`<s>`, `</s>`, `<pad>`, `<unk>`, `<mask>`) become their ids, stripping
/// whitespace around them where `tokenizer.json` says (roberta-base's `<mask>` takes the spaces
/// before it), as Hugging Face's fast tokenizer does.
///
///     let tokenizer = try RoBERTaTokenizer.load(directory: URL(fileURLWithPath: "models/distilroberta-base"))
///     tokenizer.encodeForModel("Hello world", maxLength: 512).ids   // [0, 31414, 232, 2]
public struct RoBERTaTokenizer: Tokenizer {
    /// Where the vocabulary came from.
    public let source: String
    public let vocabularySize: Int
    public let padTokenID: Int
    /// `<s>` and `</s>` as the post-processor adds them.
    public let clsTokenID: Int
    public let sepTokenID: Int
    public let modelMaxLength: Int?
    private let encoder: BytePairEncoder
    private let idOfRank: [Int]
    private let bytesOfID: [[UInt8]?]
    private let splitter: SpecialTokenSplitter
    private let specialTextByID: [Int: String]
    private let scratchPool = ScratchPool()

    /// A special token as tokenizer.json's `added_tokens` list it.
    public struct AddedToken: Sendable, Equatable {
        public var content: String
        public var id: Int
        public var lstrip = false
        public var rstrip = false

        public init(content: String, id: Int, lstrip: Bool = false, rstrip: Bool = false) {
            self.content = content
            self.id = id
            self.lstrip = lstrip
            self.rstrip = rstrip
        }
    }

    /// `vocabulary`: every token's bytes with its id (`vocab.json`); `merges`: the merge list in
    /// rank order (`merges.txt`), each pair's bytes; `added`: the special tokens. Every single byte
    /// and every merge's result must have an id; `cls`, `sep` and `pad` name ids.
    public init(vocabulary: [(bytes: [UInt8], id: Int)], merges: [(left: [UInt8], right: [UInt8])], added: [AddedToken],
                clsTokenID: Int, sepTokenID: Int, padTokenID: Int, modelMaxLength: Int? = nil, source: String) throws {
        let idLimit = 10_000_000  // far beyond any vocabulary; keeps a broken file from sizing tables
        if let bad = added.first(where: { !(0 ..< idLimit).contains($0.id) }) {
            throw TokenizerFileError(file: source, "special token \(bad.content) has id \(bad.id)")
        }
        let addedIDs = Set(added.map(\.id))
        var idOfBytes: [[UInt8]: Int] = [:]
        var maxID = added.map(\.id).max() ?? -1
        for (bytes, id) in vocabulary {
            guard id >= 0, id < idLimit else { throw TokenizerFileError(file: source, "token \(ByteLevelAlphabet.spelling(of: bytes)) has id \(id)") }
            maxID = max(maxID, id)
            if !addedIDs.contains(id) { idOfBytes[bytes] = id }
        }
        // Ranks: the 256 bytes, then each merge's result in merge order, as BPE ranks them.
        let rankTokens = (0 ... 255).map { [UInt8($0)] } + merges.map { $0.left + $0.right }
        let ranked = try BytePairVocabulary(tokens: rankTokens, specialTokens: [:], source: source)
        idOfRank = try rankTokens.enumerated().map { rank, bytes in
            guard let id = idOfBytes[bytes] else {
                let what = rank < 256 ? "byte 0x\(String(rank, radix: 16))" : "merge \(rank - 255)"
                throw TokenizerFileError(file: source, "\(what) makes token \(ByteLevelAlphabet.spelling(of: bytes)), which has no id in the vocabulary")
            }
            return id
        }
        var bytesOfID = [[UInt8]?](repeating: nil, count: maxID + 1)
        for (bytes, id) in idOfBytes { bytesOfID[id] = bytes }
        for (name, id) in [("cls", clsTokenID), ("sep", sepTokenID), ("pad", padTokenID)] where !(0 ... maxID).contains(id) {
            throw TokenizerFileError(file: source, "the \(name) token's id \(id) is not in the vocabulary")
        }
        self.source = source
        self.vocabularySize = maxID + 1
        self.clsTokenID = clsTokenID
        self.sepTokenID = sepTokenID
        self.padTokenID = padTokenID
        self.modelMaxLength = modelMaxLength
        self.bytesOfID = bytesOfID
        encoder = BytePairEncoder(tokens: ranked.tokens)
        splitter = SpecialTokenSplitter(added.map { .init(bytes: Array($0.content.utf8), id: $0.id, lstrip: $0.lstrip, rstrip: $0.rstrip) })
        specialTextByID = Dictionary(added.map { ($0.id, $0.content) }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: Encoding

    /// Text to ids, special tokens in it recognised (Hugging Face's `split_special_tokens=False`),
    /// none added.
    public func encode(_ text: String) -> [Int] {
        var text = text
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 4 + 8)
        var scratch = scratchPool.take()
        text.withUTF8 { utf8 in
            splitter.split(utf8, ordinary: { range in
                let first = ids.count
                encoder.encodeOrdinary(UnsafeBufferPointer(rebasing: utf8[range]), scratch: &scratch, into: &ids)
                for i in first ..< ids.count { ids[i] = idOfRank[ids[i]] }
            }, special: { ids.append($0) })
        }
        scratchPool.giveBack(scratch)
        return ids
    }

    /// `<s>` + the text's ids (cut to `maxLength - 2`) + `</s>`, as `tokenizer(text, truncation=True,
    /// max_length=maxLength)` gives them.
    public var specialTokenFrame: SpecialTokenFrame { SpecialTokenFrame(prefix: [clsTokenID], suffix: [sepTokenID]) }

    public func encodeForModel(_ text: String, maxLength: Int) -> (ids: [Int], truncated: Bool) {
        let ids = encode(text)
        let room = max(0, maxLength - 2)
        let kept = [clsTokenID] + ids.prefix(room) + [sepTokenID]
        let limit = max(0, maxLength)
        return (Array(kept.prefix(limit)), ids.count > room || kept.count > limit)
    }

    // MARK: Decoding

    /// Bytes that are not valid UTF-8, and unknown ids, become U+FFFD; special tokens their text.
    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            if let special = specialTextByID[id] {
                bytes.append(contentsOf: special.utf8)
            } else if id >= 0, id < bytesOfID.count, let token = bytesOfID[id] {
                bytes.append(contentsOf: token)
            } else {
                bytes.append(contentsOf: [0xEF, 0xBF, 0xBD])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The spelling in `vocab.json` ("Ġworld"), or a special token's text.
    public func token(for id: Int) -> String? {
        if let special = specialTextByID[id] { return special }
        guard id >= 0, id < bytesOfID.count, let bytes = bytesOfID[id] else { return nil }
        return ByteLevelAlphabet.spelling(of: bytes)
    }
}
