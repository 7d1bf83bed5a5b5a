import Common
import Foundation
import Tokenizers
import XCTest

final class BertTokenizerTests: XCTestCase {
    func testMiniLMSettingsAndSpecialTokens() throws {
        let tokenizer = try Mirror.miniLM()
        XCTAssertEqual(tokenizer.vocabularySize, 30522)
        XCTAssertEqual([tokenizer.padTokenID, tokenizer.unkTokenID, tokenizer.clsTokenID, tokenizer.sepTokenID, tokenizer.maskTokenID],
                       [0, 100, 101, 102, 103])
        XCTAssertEqual(tokenizer.specialTokenIDs, [0, 100, 101, 102, 103])
        XCTAssertEqual(tokenizer.modelMaxLength, 512)
        XCTAssertTrue(tokenizer.configuration.doLowerCase)
        XCTAssertNil(tokenizer.configuration.stripAccents)
        XCTAssertTrue(tokenizer.configuration.stripsAccents)
        XCTAssertEqual(tokenizer.token(for: 101), "[CLS]")
        XCTAssertEqual(tokenizer.token(for: 2088), "world")
        XCTAssertNil(tokenizer.token(for: -1))
        XCTAssertNil(tokenizer.token(for: 30522))
    }

    /// vocab.txt and tokenizer.json's model.vocab are the same vocabulary, read by two loaders.
    func testVocabTxtAndTokenizerJSONAgree() throws {
        let directory = try Mirror.miniLMDirectory()
        let fromText = try WordPieceVocabulary.load(vocabFile: directory.appendingPathComponent("vocab.txt"))
        let (_, fromJSON) = try BertTokenizerConfiguration.load(directory: directory)
        XCTAssertEqual(fromText.count, 30522)
        XCTAssertTrue(fromText.tokens.map(exactly) == fromJSON.tokens.map(exactly))
        XCTAssertEqual(fromJSON.id(of: "##ing"), 2075)
        XCTAssertEqual(fromJSON.id(of: "ing"), 13749)
    }

    func testModelEncodingKeepsClsAndSepWhenTruncating() throws {
        let tokenizer = try Mirror.miniLM()
        let ids = tokenizer.encode("one two three four five")
        XCTAssertEqual(ids.count, 5)
        XCTAssertTrue(tokenizer.encodeForModel("one two three four five", maxLength: 7) == ([101] + ids + [102], false))
        XCTAssertTrue(tokenizer.encodeForModel("one two three four five", maxLength: 4) == ([101] + ids.prefix(2) + [102], true))
        XCTAssertTrue(tokenizer.encodeForModel("one", maxLength: 2) == ([101, 102], true))
        XCTAssertTrue(tokenizer.encodeForModel("", maxLength: 2) == ([101, 102], false))
        XCTAssertTrue(tokenizer.encodeForModel("one", maxLength: 1) == ([101], true))
        XCTAssertTrue(tokenizer.encodeForModel("one", maxLength: 0) == ([], true))
    }

    func testModelInputsPadWithAttentionMask() throws {
        let tokenizer = try Mirror.miniLM()
        let texts = ["hello world, how are you", "hi", ""]
        let longest = tokenizer.modelInputs(texts, maxLength: 6)
        XCTAssertEqual(longest.inputIDs, [[101, 7592, 2088, 1010, 2129, 102], [101, 7632, 102, 0, 0, 0], [101, 102, 0, 0, 0, 0]])
        XCTAssertEqual(longest.attentionMask, [[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0]])
        XCTAssertEqual(longest.truncated, [true, false, false])
        XCTAssertEqual(longest.length, 6)
        XCTAssertEqual(longest.lengths, [6, 3, 2])
        let short = tokenizer.modelInputs(["hi", ""], maxLength: 8)
        XCTAssertEqual(short.length, 3)
        let fixed = tokenizer.modelInputs(["hi", ""], maxLength: 8, padding: .maxLength)
        XCTAssertEqual(fixed.inputIDs, [[101, 7632, 102, 0, 0, 0, 0, 0], [101, 102, 0, 0, 0, 0, 0, 0]])
        XCTAssertEqual(fixed.attentionMask.map { $0.reduce(0, +) }, [3, 2])
        XCTAssertEqual(tokenizer.modelInputs([], maxLength: 8), ModelInputs(inputIDs: [], attentionMask: [], truncated: []))
        // Any tokenizer: GPT-2 pads with <|endoftext|>.
        let gpt2 = try Mirror.gpt2()
        let inputs = gpt2.modelInputs(["Hello world", "Hello"], maxLength: 4)
        XCTAssertEqual(inputs.inputIDs, [[15496, 995], [15496, 50256]])
        XCTAssertEqual(inputs.attentionMask, [[1, 1], [1, 0]])
    }

    func testTokenizeAndDecode() throws {
        let tokenizer = try Mirror.miniLM()
        XCTAssertEqual(tokenizer.tokenize("unaffable GPUs"), ["una", "##ffa", "##ble", "gp", "##us"])
        let text = "Hello, World! It's a naïve test."
        XCTAssertEqual(tokenizer.decode(tokenizer.encodeForModel(text, maxLength: 64).ids), "[CLS] hello, world! it ' s a naive test. [SEP]")
        XCTAssertEqual(tokenizer.decode(tokenizer.encodeForModel(text, maxLength: 64).ids, skipSpecialTokens: true),
                       "hello, world! it ' s a naive test.")
        XCTAssertEqual(tokenizer.decode([7592, -5, 99_999, 2088]), "hello \u{FFFD} \u{FFFD} world")
        XCTAssertEqual(tokenizer.basicTokens(of: "Héllo, [SEP]wörld!"), ["hello", ",", "[SEP]", "world", "!"])
    }

    func testSettingsGivenInCode() throws {
        let vocabulary = try WordPieceVocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "Hello", "##s", "[", "]", "cl", "##s"],
                                                 source: "test")
        var configuration = BertTokenizerConfiguration()
        let uncased = try BertTokenizer(vocabulary: vocabulary, configuration: configuration)
        XCTAssertEqual(uncased.encode("Hellos [CLS]"), [5, 11, 2])  // "##s" twice in the list: the later id wins
        configuration.doLowerCase = false
        configuration.splitSpecialTokens = true
        configuration.maxInputCharsPerWord = 5
        let cased = try BertTokenizer(vocabulary: vocabulary, configuration: configuration)
        XCTAssertEqual(cased.encode("Hellos Hello [CLS]"), [1, 6, 8, 1, 9])
        XCTAssertEqual(cased.vocabularySize, 12)
        // A special token missing from the vocabulary gets the next id, as Hugging Face adds it.
        configuration.maskToken = "<mask>"
        let added = try BertTokenizer(vocabulary: vocabulary, configuration: configuration)
        XCTAssertEqual(added.maskTokenID, 12)
        XCTAssertEqual(added.vocabularySize, 13)
        XCTAssertEqual(added.token(for: 12), "<mask>")
    }

    func testVocabTxtIsReadLikeHuggingFace() throws {
        let directory = try temporaryDirectory(self)
        // CRLF line ends, trailing spaces and tabs dropped, a repeated token (the later id wins),
        // no final newline.
        try Data("[PAD]\r\n[UNK]  \n[CLS]\t\n[SEP]\n[MASK]\nhello\nhello\n##s\u{3000}\nworld".utf8)
            .write(to: directory.appendingPathComponent("vocab.txt"))
        let tokenizer = try BertTokenizer.load(directory: directory)
        XCTAssertEqual(tokenizer.vocabulary.count, 9)
        XCTAssertEqual(tokenizer.encodeForModel("Hellos world", maxLength: 16).ids, [2, 6, 7, 8, 3])
        XCTAssertEqual(tokenizer.unkTokenID, 1)
        XCTAssertEqual(tokenizer.decode([5, 6]), "hello hello")
    }

    /// The JSON reader keeps a byte-order mark that begins a string, reads escapes and surrogate
    /// pairs, and the tokenizer.json pipeline settings apply when there is no tokenizer_config.json.
    func testTokenizerJSONVocabularyAndPipeline() throws {
        let directory = try temporaryDirectory(self)
        let json = #"""
        {"added_tokens": [{"id": 0, "content": "[PAD]", "special": true, "normalized": false},
                          {"id": 6, "content": "<b>", "special": false, "normalized": false}],
         "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": false},
         "pre_tokenizer": {"type": "BertPreTokenizer"},
         "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
         "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "@@", "max_input_chars_per_word": 4,
                   "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "\#u{FEFF}x": 5, "<b>": 6, "\u00e9t\u00E9": 7,
                             "\ud83d\ude00": 8, "ab": 9, "@@cd": 10, "\"q\"\\\/": 11}}}
        """#
        try Data(json.utf8).write(to: directory.appendingPathComponent("tokenizer.json"))
        XCTAssertEqual(try TokenizerTable.builtIn.entry(for: directory).name, TokenizerEntry.wordPiece.name)
        let tokenizer = try BertTokenizer.load(directory: directory)
        XCTAssertEqual(tokenizer.vocabulary.id(of: "\u{FEFF}x"), 5)
        XCTAssertEqual(tokenizer.vocabulary.id(of: "été"), 7)
        XCTAssertEqual(tokenizer.vocabulary.id(of: "😀"), 8)
        XCTAssertEqual(tokenizer.vocabulary.id(of: "\"q\"\\/"), 11)
        XCTAssertFalse(tokenizer.configuration.doLowerCase)
        XCTAssertEqual(tokenizer.configuration.maxInputCharsPerWord, 4)
        XCTAssertEqual(tokenizer.encodeForModel("été abcd abcde a<b>b 😀", maxLength: 32).ids, [2, 7, 9, 10, 1, 1, 6, 1, 8, 3])
        XCTAssertEqual(tokenizer.decode([9, 10, 6], skipSpecialTokens: true), "abcd <b>")
    }

    func testTokenizerTableAndLoader() throws {
        let miniLM = try Mirror.miniLMDirectory()
        XCTAssertEqual(try TokenizerTable.builtIn.entry(for: miniLM).name, TokenizerEntry.wordPiece.name)
        XCTAssertTrue(try TokenizerLoader.load(directory: miniLM) is BertTokenizer)
        let gpt2 = try Mirror.gpt2Directory()
        XCTAssertEqual(try TokenizerTable.builtIn.entry(for: gpt2).name, TokenizerEntry.gpt2BytePair.name)
        let loaded = try TokenizerLoader.load(directory: gpt2)
        XCTAssertTrue(loaded is GPT2Tokenizer)
        XCTAssertEqual(loaded.encode("Hello world"), [15496, 995])
        XCTAssertNil(loaded.modelMaxLength)

        let empty = try temporaryDirectory(self)
        XCTAssertThrowsError(try TokenizerLoader.load(directory: empty)) { error in
            XCTAssertTrue(error is InputError, "\(error)")
            XCTAssertTrue("\(error)".contains(empty.path) && "\(error)".contains("vocab.txt"), "\(error)")
        }
        try Data(#"{"tokenizer_class": "XLMRobertaTokenizerFast"}"#.utf8).write(to: empty.appendingPathComponent("tokenizer_config.json"))
        XCTAssertThrowsError(try TokenizerTable.builtIn.entry(for: empty)) { error in
            XCTAssertTrue("\(error)".contains("tokenizer_config.json") && "\(error)".contains("XLMRobertaTokenizer"), "\(error)")
        }
        // A family's tokenizer is one more entry in the table, found by its class name.
        var table = TokenizerTable.builtIn
        table.register(TokenizerEntry(name: "XLM-R", classNames: ["XLMRobertaTokenizer"], readsModelType: { _, _ in false },
                                      hasFiles: { _ in false }, load: { _ in try TokenizerLoader.load(directory: miniLM) }))
        XCTAssertEqual(try table.entry(for: empty).name, "XLM-R")
        XCTAssertTrue(try table.load(directory: empty) is BertTokenizer)
    }

    /// Each broken file gives an input error that names the file and what is wrong with it.
    func testBrokenFilesNameTheFileAndProblem() throws {
        let vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n"
        let goodTokenizerJSON = #"{"model": {"type": "WordPiece", "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4}}, "#
            + #""normalizer": {"type": "BertNormalizer"}, "pre_tokenizer": {"type": "BertPreTokenizer"}, "#
            + #""post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]}}"#
        let cases: [(files: [String: Data], file: String, expected: String)] = [
            (["vocab.txt": Data(vocab.utf8), "tokenizer_config.json": Data("{\"do_lower_case\": tru".utf8)], "tokenizer_config.json", "not valid JSON"),
            (["vocab.txt": Data(vocab.utf8), "tokenizer_config.json": Data("{\"do_lower_case\": \"yes\"}".utf8)], "tokenizer_config.json", "do_lower_case is not true or false"),
            (["vocab.txt": Data(vocab.utf8), "tokenizer_config.json": Data("[1]".utf8)], "tokenizer_config.json", "not a JSON object"),
            (["vocab.txt": Data(vocab.utf8), "tokenizer_config.json": Data(#"{"tokenizer_class": "RobertaTokenizer"}"#.utf8)], "tokenizer_config.json", "not a BERT"),
            (["vocab.txt": Data(vocab.utf8), "special_tokens_map.json": Data(#"{"mask_token": {"content": "[MASK]", "lstrip": true}}"#.utf8)],
             "special_tokens_map.json", "mask_token is"),
            (["vocab.txt": Data(vocab.utf8), "tokenizer_config.json": Data(#"{"added_tokens_decoder": {"5": {"content": "hi", "lstrip": true, "special": true}}}"#.utf8)],
             "tokenizer_config.json", "lstrip"),
            (["vocab.txt": Data(vocab.utf8), "tokenizer_config.json": Data(#"{"added_tokens_decoder": {"5": {"content": "hi", "special": false}}}"#.utf8)],
             "tokenizer_config.json", "after normalization"),
            (["vocab.txt": Data([0x61, 0x0A, 0x62, 0x0A, 0xC3, 0x28, 0x0A])], "vocab.txt", "line 3: invalid UTF-8"),
            (["vocab.txt": Data()], "vocab.txt", "holds no tokens"),
            (["tokenizer.json": Data(goodTokenizerJSON.prefix(60).utf8)], "tokenizer.json", "truncated"),
            (["tokenizer.json": Data(goodTokenizerJSON.replacingOccurrences(of: "\"[MASK]\": 4", with: "\"[MASK]\": 5").utf8)], "tokenizer.json", "outside 0..<5"),
            (["tokenizer.json": Data(goodTokenizerJSON.replacingOccurrences(of: "\"[MASK]\": 4", with: "\"[MASK]\": 3").utf8)], "tokenizer.json", "id 3 is given to both"),
            (["tokenizer.json": Data(goodTokenizerJSON.replacingOccurrences(of: "\"BertNormalizer\"", with: "\"NFKC\"").utf8)], "tokenizer.json", "normalizer NFKC is not supported"),
            (["tokenizer.json": Data(goodTokenizerJSON.replacingOccurrences(of: "\"BertPreTokenizer\"", with: "\"Whitespace\"").utf8)], "tokenizer.json", "pre_tokenizer Whitespace"),
            (["tokenizer.json": Data(goodTokenizerJSON.replacingOccurrences(of: "\"BertProcessing\"", with: "\"ByteLevel\"").utf8)], "tokenizer.json", "post_processor ByteLevel"),
            (["tokenizer.json": Data(goodTokenizerJSON.replacingOccurrences(of: "\"type\": \"WordPiece\"", with: "\"type\": \"BPE\"").utf8)], "tokenizer.json", "model type is BPE"),
            (["tokenizer.json": Data(goodTokenizerJSON.replacingOccurrences(of: "\"[CLS]\", 2]", with: "\"[CLS]\"]").utf8)], "tokenizer.json", "post_processor.cls"),
            (["tokenizer.json": Data(goodTokenizerJSON.replacingOccurrences(of: "\"[PAD]\": 0", with: "\"\\uD800\": 0").utf8)], "tokenizer.json", "lone high surrogate"),
            (["tokenizer.json": Data(goodTokenizerJSON.replacingOccurrences(of: "\"[PAD]\": 0", with: "\"[PAD]\": 0 0").utf8)], "tokenizer.json", "expected ',' or '}'"),
        ]
        for (files, file, expected) in cases {
            let directory = try temporaryDirectory(self)
            for (name, data) in files { try data.write(to: directory.appendingPathComponent(name)) }
            XCTAssertThrowsError(try BertTokenizer.load(directory: directory), expected) { error in
                XCTAssertTrue(error is InputError, "\(error)")
                XCTAssertTrue("\(error)".contains(directory.appendingPathComponent(file).path), "\(error) should name \(file)")
                XCTAssertTrue("\(error)".contains(expected), "\(error) should mention \(expected)")
            }
        }
        // The good tokenizer.json itself loads.
        let directory = try temporaryDirectory(self)
        try Data(goodTokenizerJSON.utf8).write(to: directory.appendingPathComponent("tokenizer.json"))
        XCTAssertEqual(try BertTokenizer.load(directory: directory).encodeForModel("x", maxLength: 8).ids, [2, 1, 3])
    }
}
