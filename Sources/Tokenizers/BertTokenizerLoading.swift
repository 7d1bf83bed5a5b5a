import Common
import Foundation

extension BertTokenizer {
    /// Loads a BERT tokenizer from a Hugging Face model directory: the vocabulary from
    /// `tokenizer.json` (its `model.vocab`) or `vocab.txt`, the settings from
    /// `tokenizer_config.json`, `special_tokens_map.json` and `tokenizer.json`, with the precedence
    /// transformers gives them (see `BertTokenizerConfiguration.load(directory:)`).
    public static func load(directory: URL) throws -> BertTokenizer {
        let (configuration, vocabulary) = try BertTokenizerConfiguration.load(directory: directory)
        return try BertTokenizer(vocabulary: vocabulary, configuration: configuration)
    }
}

extension BertTokenizerConfiguration {
    /// Tokenizer classes of transformers that are BERT's tokenizer under another name.
    static let bertClassNames: Set<String> = [
        "BertTokenizer", "DistilBertTokenizer", "ElectraTokenizer", "MobileBertTokenizer", "SqueezeBertTokenizer",
        "ConvBertTokenizer", "LayoutLMTokenizer", "RetriBertTokenizer", "LxmertTokenizer",
        "DPRContextEncoderTokenizer", "DPRQuestionEncoderTokenizer", "DPRReaderTokenizer",
    ]
    /// Classes that run `tokenizer.json` as it is.
    static let genericClassNames: Set<String> = ["PreTrainedTokenizerFast", "TokenizersBackend"]

    /// Reads a model directory's tokenizer settings and vocabulary as transformers'
    /// `AutoTokenizer.from_pretrained` does for a BERT tokenizer:
    ///
    /// - With `tokenizer_config.json` (a BERT class, or none named): `do_lower_case`,
    ///   `strip_accents`, `tokenize_chinese_chars` come from it (else the defaults true, nil,
    ///   true), and [CLS] … [SEP] is added; `tokenizer.json` then only supplies the vocabulary.
    /// - Without it, or when it names `PreTrainedTokenizerFast`: `tokenizer.json` is run as it is;
    ///   its normalizer must be `BertNormalizer`, its pre-tokenizer `BertPreTokenizer`, its model
    ///   `WordPiece` and its post-processor [CLS] $A [SEP].
    /// - Special tokens: `tokenizer_config.json`'s `added_tokens_decoder` if it has one; otherwise
    ///   `special_tokens_map.json` overrides its token names and `tokenizer.json`'s `added_tokens`
    ///   are added.
    /// - The vocabulary: `tokenizer.json`'s `model.vocab`, else `vocab.txt`.
    ///
    /// Truncation and padding settings in `tokenizer.json` are ignored, as a call of the Hugging
    /// Face tokenizer overrides them too. Added tokens that strip spaces around them, match single
    /// words only or are matched after normalization are not supported (an error says so).
    public static func load(directory: URL) throws -> (BertTokenizerConfiguration, WordPieceVocabulary) {
        let configFile = directory.appendingPathComponent("tokenizer_config.json")
        let mapFile = directory.appendingPathComponent("special_tokens_map.json")
        let tokenizerFile = directory.appendingPathComponent("tokenizer.json")
        let vocabFile = directory.appendingPathComponent("vocab.txt")
        let config = try JSONFile(configFile)
        let tokenizerJSON = try JSONFile(tokenizerFile)
        guard config != nil || tokenizerJSON != nil || FileManager.default.fileExists(atPath: vocabFile.path) else {
            throw TokenizerFileError(file: directory.path, "no BERT tokenizer here (looked for vocab.txt, tokenizer.json, tokenizer_config.json)")
        }

        var configuration = BertTokenizerConfiguration()
        var addedFromTokenizerJSON = true
        let className = try config?.string("tokenizer_class").map { $0.hasSuffix("Fast") ? String($0.dropLast(4)) : $0 }
        let runsTokenizerJSON = tokenizerJSON != nil && (config == nil || className.map(genericClassNames.contains) == true)
        if let className, !bertClassNames.contains(className), !runsTokenizerJSON {
            throw TokenizerFileError(file: configFile.path, "tokenizer_class \(className) is not a BERT (WordPiece) tokenizer")
        }

        if let config {
            configuration.doLowerCase = try config.bool("do_lower_case") ?? true
            configuration.stripAccents = try config.bool("strip_accents")
            configuration.tokenizeChineseChars = try config.bool("tokenize_chinese_chars") ?? true
            configuration.splitSpecialTokens = try config.bool("split_special_tokens") ?? false
            configuration.cleanUpTokenizationSpaces = try config.bool("clean_up_tokenization_spaces") ?? false
            if let length = try config.number("model_max_length"), length >= 1, length < 1e15 {
                configuration.modelMaxLength = Int(length)
            }
            try configuration.readTokenNames(config)
            if let decoder = try config.object("added_tokens_decoder") {
                addedFromTokenizerJSON = false
                for key in decoder.dictionary.keys.sorted(by: { (Int($0) ?? 0) < (Int($1) ?? 0) }) {
                    guard let entry = try decoder.object(key) else { continue }
                    try configuration.add(entry, what: "added_tokens_decoder[\(key)]")
                }
            }
        }
        if addedFromTokenizerJSON, let map = try JSONFile(mapFile) {
            try configuration.readTokenNames(map)
        }

        var vocabularyPrefix = "##"
        if let tokenizerJSON {
            if addedFromTokenizerJSON, let added = try tokenizerJSON.array("added_tokens") {
                for (index, item) in added.enumerated() {
                    guard case .object(let entry) = item else { throw tokenizerJSON.error("added_tokens[\(index)] is not an object") }
                    try configuration.add(JSONFile(entry, file: tokenizerJSON.file), what: "added_tokens[\(index)]")
                }
            }
            if runsTokenizerJSON {
                try configuration.readPipeline(tokenizerJSON)
                vocabularyPrefix = configuration.continuingSubwordPrefix
            }
        }

        let vocabulary: WordPieceVocabulary
        if let tokenizerJSON, let model = try tokenizerJSON.object("model"), let vocab = try model.object("vocab") {
            if let type = try model.string("type"), type != "WordPiece" {
                throw tokenizerJSON.error("model type is \(type), not WordPiece")
            }
            vocabulary = try WordPieceVocabulary(tokens: tokensByID(vocab.dictionary, file: tokenizerFile.path),
                                                 continuingSubwordPrefix: vocabularyPrefix, source: tokenizerFile.path)
        } else if FileManager.default.fileExists(atPath: vocabFile.path) {
            vocabulary = try WordPieceVocabulary.load(vocabFile: vocabFile, continuingSubwordPrefix: vocabularyPrefix)
        } else {
            throw TokenizerFileError(file: directory.path, "no WordPiece vocabulary here (vocab.txt, or tokenizer.json with model.vocab)")
        }
        return (configuration, vocabulary)
    }

    /// `unk_token`, `cls_token`, ... and `additional_special_tokens` of a config or special tokens map.
    private mutating func readTokenNames(_ json: JSONFile) throws {
        if let name = try json.tokenName("unk_token") { unkToken = name }
        if let name = try json.tokenName("cls_token") { clsToken = name }
        if let name = try json.tokenName("sep_token") { sepToken = name }
        if let name = try json.tokenName("pad_token") { padToken = name }
        if let name = try json.tokenName("mask_token") { maskToken = name }
        for key in ["additional_special_tokens", "extra_special_tokens"] {
            guard let list = try json.array(key) else { continue }
            for (index, item) in list.enumerated() {
                let name = try json.tokenName(item, what: "\(key)[\(index)]")
                if !additionalSpecialTokens.contains(name) { additionalSpecialTokens.append(name) }
            }
        }
    }

    /// One added token (`{"content": ..., "special": ..., "lstrip": ..., ...}`).
    private mutating func add(_ entry: JSONFile, what: String) throws {
        guard let content = try entry.string("content") else { throw entry.error("\(what) has no content") }
        for flag in ["lstrip", "rstrip", "single_word"] where try entry.bool(flag) == true {
            throw entry.error("\(what) (\(content)) sets \(flag), which textclf does not support")
        }
        let special = try entry.bool("special") ?? false
        if try entry.bool("normalized") ?? !special {
            throw entry.error("\(what) (\(content)) is matched after normalization, which textclf does not support")
        }
        if special {
            if !additionalSpecialTokens.contains(content) { additionalSpecialTokens.append(content) }
        } else if !addedTokens.contains(content) {
            addedTokens.append(content)
        }
    }

    /// The normalizer, pre-tokenizer, model and post-processor sections of `tokenizer.json`.
    private mutating func readPipeline(_ json: JSONFile) throws {
        if let normalizer = try json.object("normalizer") {
            guard try normalizer.string("type") == "BertNormalizer" else {
                throw json.error("normalizer \(try normalizer.string("type") ?? "?") is not supported (BertNormalizer is)")
            }
            cleanText = try normalizer.bool("clean_text") ?? true
            tokenizeChineseChars = try normalizer.bool("handle_chinese_chars") ?? true
            doLowerCase = try normalizer.bool("lowercase") ?? true
            stripAccents = try normalizer.bool("strip_accents")
        } else {
            cleanText = false
            tokenizeChineseChars = false
            doLowerCase = false
            stripAccents = false
        }
        let preTokenizer = try json.object("pre_tokenizer")
        guard try preTokenizer?.string("type") == "BertPreTokenizer" else {
            throw json.error("pre_tokenizer \(try preTokenizer?.string("type") ?? "null") is not supported (BertPreTokenizer is)")
        }
        if let model = try json.object("model") {
            if let name = try model.string("unk_token") { unkToken = name }
            if let prefix = try model.string("continuing_subword_prefix") { continuingSubwordPrefix = prefix }
            if let limit = try model.number("max_input_chars_per_word") { maxInputCharsPerWord = Int(limit) }
        }
        guard let processor = try json.object("post_processor") else {
            throw json.error("has no post_processor; textclf needs one that adds [CLS] and [SEP]")
        }
        switch try processor.string("type") {
        case "BertProcessing":
            func pair(_ key: String) throws -> (String, Int) {
                guard let pair = try processor.array(key), pair.count == 2, let token = pair[0].string,
                      let id = pair[1].int, id >= 0 else {
                    throw json.error("post_processor.\(key) is not [token, id]")
                }
                return (token, id)
            }
            (clsToken, clsTokenID) = try pair("cls")
            (sepToken, sepTokenID) = try pair("sep")
        case "TemplateProcessing":
            let single = try processor.array("single") ?? []
            let shape = single.map { item -> String in
                guard case .object(let item) = item else { return "?" }
                if case .object(let special)? = item["SpecialToken"] { return special["id"]?.string ?? "?" }
                return item["Sequence"] != nil ? "$A" : "?"
            }
            let specials = try processor.object("special_tokens")
            guard shape.count == 3, shape[1] == "$A", let specials,
                  let cls = try specials.object(shape[0]), let sep = try specials.object(shape[2]),
                  let clsIDs = try cls.array("ids"), let sepIDs = try sep.array("ids"), clsIDs.count == 1, sepIDs.count == 1,
                  let clsID = clsIDs[0].int, let sepID = sepIDs[0].int,
                  clsID >= 0, sepID >= 0 else {
                throw json.error("post_processor template \(shape.joined(separator: " ")) is not supported ([CLS] $A [SEP] is)")
            }
            clsToken = shape[0]
            sepToken = shape[2]
            clsTokenID = clsID
            sepTokenID = sepID
        case let other:
            throw json.error("post_processor \(other ?? "?") is not supported (BertProcessing and TemplateProcessing are)")
        }
    }
}

/// tokenizer.json's `model.vocab` (spelling → id) as spellings by id; ids must run from 0 without gaps.
private func tokensByID(_ vocab: [String: JSONValue], file: String) throws -> [String] {
    var tokens = [String?](repeating: nil, count: vocab.count)
    for (token, value) in vocab {
        guard let id = value.int, id >= 0, id < vocab.count else {
            throw TokenizerFileError(file: file, "model.vocab: token \(token.debugDescription) has id \(value), outside 0..<\(vocab.count)")
        }
        if let other = tokens[id] {
            throw TokenizerFileError(file: file, "model.vocab: id \(id) is given to both \(other.debugDescription) and \(token.debugDescription)")
        }
        tokens[id] = token
    }
    return tokens.map { $0 ?? "" }  // no gaps: n distinct ids below n
}
