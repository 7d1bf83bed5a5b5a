import Foundation

extension RoBERTaTokenizer {
    /// Loads from a Hugging Face RoBERTa directory, as `AutoTokenizer.from_pretrained` does:
    /// - the vocabulary and merges from `vocab.json` + `merges.txt`, else from `tokenizer.json`'s
    ///   `model.vocab` and `model.merges`;
    /// - the special tokens (with their `lstrip` / `rstrip`) from `tokenizer.json`'s
    ///   `added_tokens`, `<s>` / `</s>` from its `RobertaProcessing` post-processor; without
    ///   `tokenizer.json` (or added tokens in it), RoBERTa's own: `<s>`, `<pad>`, `</s>`, `<unk>`, and `<mask>` taking the
    ///   spaces before it, with their ids in `vocab.json`;
    /// - the pad token and `model_max_length` from `tokenizer_config.json`.
    public static func load(directory: URL) throws -> RoBERTaTokenizer {
        let tokenizerJSON = try JSONFile(directory.appendingPathComponent("tokenizer.json"))
        let config = try JSONFile(directory.appendingPathComponent("tokenizer_config.json"))
        let vocabFile = directory.appendingPathComponent("vocab.json"), mergesFile = directory.appendingPathComponent("merges.txt")
        let fm = FileManager.default

        var vocabulary: [(bytes: [UInt8], id: Int)]
        var merges: [(left: [UInt8], right: [UInt8])]
        let source: String
        if fm.fileExists(atPath: vocabFile.path), fm.fileExists(atPath: mergesFile.path) {
            vocabulary = try VocabularyFileParsers.parseEncoderJSON(try BytePairVocabulary.readFile(vocabFile), file: vocabFile.path)
            merges = try VocabularyFileParsers.parseMerges(try BytePairVocabulary.readFile(mergesFile), file: mergesFile.path)
                .map { ($0.left, $0.right) }
            source = "\(vocabFile.path) + merges.txt"
        } else if let tokenizerJSON, let model = try tokenizerJSON.object("model") {
            (vocabulary, merges) = try bytePairModel(model)
            source = tokenizerJSON.file
        } else {
            throw TokenizerFileError(file: directory.path, "no RoBERTa vocabulary here (looked for vocab.json + merges.txt, tokenizer.json)")
        }

        func id(of token: String) throws -> Int {
            guard let entry = vocabulary.first(where: { $0.bytes == Array(token.utf8) }) else {
                throw TokenizerFileError(file: source, "has no \(token) token")
            }
            return entry.id
        }
        var added: [AddedToken] = []
        var cls: Int?, sep: Int?
        if let tokenizerJSON {
            for (index, item) in (try tokenizerJSON.array("added_tokens") ?? []).enumerated() {
                guard case .object(let object) = item, case .string(let content)? = object["content"], let id = object["id"]?.int, id >= 0 else {
                    throw tokenizerJSON.error("added_tokens[\(index)] is not a token with a content and an id")
                }
                if case .bool(true)? = object["single_word"] {
                    throw tokenizerJSON.error("added_tokens[\(index)] (\(content)) matches single words only, which textclf does not support")
                }
                func flag(_ key: String) -> Bool { if case .bool(true)? = object[key] { true } else { false } }
                added.append(AddedToken(content: content, id: id, lstrip: flag("lstrip"), rstrip: flag("rstrip")))
            }
            if let processor = try tokenizerJSON.object("post_processor") {
                guard try processor.string("type") == "RobertaProcessing" else {
                    throw tokenizerJSON.error("post_processor \(try processor.string("type") ?? "?") is not RobertaProcessing")
                }
                func pair(_ key: String) throws -> Int {
                    guard let pair = try processor.array(key), pair.count == 2, pair[0].string != nil, let id = pair[1].int, id >= 0 else {
                        throw tokenizerJSON.error("post_processor.\(key) is not [token, id]")
                    }
                    return id
                }
                (cls, sep) = (try pair("cls"), try pair("sep"))
            }
        }
        if added.isEmpty {
            added = try ["<s>", "<pad>", "</s>", "<unk>", "<mask>"].map { AddedToken(content: $0, id: try id(of: $0), lstrip: $0 == "<mask>") }
        }
        let padName = try config?.tokenName("pad_token") ?? "<pad>"
        let pad = try added.first(where: { $0.content == padName })?.id ?? id(of: padName)
        var maxLength: Int?
        if let length = try config?.number("model_max_length"), length >= 1, length < 1e15 { maxLength = Int(length) }
        return try RoBERTaTokenizer(vocabulary: vocabulary, merges: merges, added: added,
                                    clsTokenID: cls ?? added.first(where: { $0.content == "<s>" })?.id ?? id(of: "<s>"),
                                    sepTokenID: sep ?? added.first(where: { $0.content == "</s>" })?.id ?? id(of: "</s>"),
                                    padTokenID: pad, modelMaxLength: maxLength, source: source)
    }

    /// tokenizer.json's BPE `model`: `vocab` (spelling → id) and `merges` ("a b" strings or
    /// ["a", "b"] pairs), spellings in GPT-2's byte alphabet.
    private static func bytePairModel(_ model: JSONFile) throws -> ([(bytes: [UInt8], id: Int)], [(left: [UInt8], right: [UInt8])]) {
        guard try model.string("type") == "BPE" else { throw model.error("model.type is not BPE") }
        guard let vocab = try model.object("vocab"), let mergeList = try model.array("merges") else {
            throw model.error("model has no vocab or merges")
        }
        func bytes(_ spelling: String) throws -> [UInt8] {
            do { return try VocabularyFileParsers.alphabetBytes(ArraySlice(spelling.utf8), file: model.file, line: 0) } catch let error as TokenizerFileError {
                throw model.error("model: token \(spelling.debugDescription): \(error.reason)")
            }
        }
        let vocabulary = try vocab.dictionary.map { spelling, value -> (bytes: [UInt8], id: Int) in
            guard let id = value.int else { throw model.error("model.vocab: token \(spelling.debugDescription) has no whole-number id") }
            return (try bytes(spelling), id)
        }
        let merges = try mergeList.enumerated().map { index, item -> (left: [UInt8], right: [UInt8]) in
            let parts: [String]
            switch item {
            case .string(let merge): parts = merge.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            case .array(let pair): parts = pair.compactMap(\.string)
            default: parts = []
            }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw model.error("model.merges[\(index)] is not a pair of tokens") }
            return (try bytes(parts[0]), try bytes(parts[1]))
        }
        return (vocabulary, merges)
    }
}
