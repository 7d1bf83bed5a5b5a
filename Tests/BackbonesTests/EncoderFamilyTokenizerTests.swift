import Backbones
import Foundation
import Tokenizers
import XCTest

/// The RoBERTa and DistilBERT fixtures' tokenizers, loaded as a model directory is
/// (`TokenizerLoader`, by tokenizer_config.json's class), against the ids Hugging Face's fast
/// tokenizers gave (tokenizer_reference.json, written by scripts/make_roberta_distilbert_fixtures.py):
/// with specials added, without, and truncated to 8 ids; texts with specials, Unicode and odd spacing.
final class EncoderFamilyTokenizerTests: XCTestCase {
    private func check(_ fixture: String, expectedType: Any.Type, file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = try fixtureDirectory(fixture)
        let tokenizer = try TokenizerLoader.load(directory: directory)
        XCTAssertTrue(type(of: tokenizer) == expectedType, "\(type(of: tokenizer))", file: file, line: line)
        let data = try Data(contentsOf: directory.appendingPathComponent("tokenizer_reference.json"))
        let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(reference["cases"] as? [[String: Any]])
        XCTAssertGreaterThan(cases.count, 10)
        for item in cases {
            let text = try XCTUnwrap(item["text"] as? String)
            XCTAssertEqual(tokenizer.encodeForModel(text, maxLength: 64).ids, item["ids"] as? [Int], text.debugDescription, file: file, line: line)
            XCTAssertEqual(tokenizer.encode(text), item["ordinary"] as? [Int], text.debugDescription, file: file, line: line)
            XCTAssertEqual(tokenizer.encodeForModel(text, maxLength: 8).ids, item["truncated_8"] as? [Int], text.debugDescription, file: file, line: line)
        }
    }

    func testRoBERTaIDsEqualHuggingFace() throws { try check("tiny-roberta", expectedType: RoBERTaTokenizer.self) }
    func testDistilBERTIDsEqualHuggingFace() throws { try check("tiny-distilbert", expectedType: BertTokenizer.self) }

    /// What the RoBERTa tokenizer reads from its files: <pad> 1 (the pad id), <s> 0 and </s> 2
    /// around each text, <mask> taking the spaces before it; decoding gives the text back.
    func testRoBERTaSpecialsAndDecoding() throws {
        let tokenizer = try RoBERTaTokenizer.load(directory: try fixtureDirectory("tiny-roberta"))
        XCTAssertEqual(tokenizer.padTokenID, 1)
        XCTAssertEqual(tokenizer.clsTokenID, 0)
        XCTAssertEqual(tokenizer.sepTokenID, 2)
        XCTAssertEqual(tokenizer.vocabularySize, 320)
        XCTAssertEqual(tokenizer.modelMaxLength, 64)
        XCTAssertEqual(tokenizer.encode("a <mask>"), tokenizer.encode("a<mask>"))
        XCTAssertEqual(tokenizer.token(for: 319), "<mask>")
        for text in ["Free prize! Call now to claim your cash.", "Naïve café — 日本語 🙂", "  spaces\tand\nlines "] {
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(text)), text)
        }
        // The same files without tokenizer.json: RoBERTa's specials from vocab.json, the same ids.
        let directory = try makeScratchDirectory()
        for file in ["vocab.json", "merges.txt", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: try fixtureDirectory("tiny-roberta").appendingPathComponent(file), to: directory.appendingPathComponent(file))
        }
        let fromVocabulary = try TokenizerLoader.load(directory: directory)
        for text in ["a <mask> in the middle", "<s>x</s> <pad>", "Hello world"] {
            XCTAssertEqual(fromVocabulary.encodeForModel(text, maxLength: 64).ids, tokenizer.encodeForModel(text, maxLength: 64).ids, text)
        }
    }

    /// Broken RoBERTa files fail with one line naming the file.
    func testBrokenRoBERTaFiles() throws {
        let source = try fixtureDirectory("tiny-roberta")
        let directory = try makeScratchDirectory()
        for file in ["vocab.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: directory.appendingPathComponent(file))
        }
        var merges = try String(contentsOf: source.appendingPathComponent("merges.txt"), encoding: .utf8)
        merges += "Ġ zq\n"
        try merges.write(to: directory.appendingPathComponent("merges.txt"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TokenizerLoader.load(directory: directory)) { error in
            XCTAssertTrue(error is TokenizerFileError, "\(error)")
            XCTAssertTrue("\(error)".contains("vocab.json") && "\(error)".contains("Ġzq"), "\(error)")
            XCTAssertFalse("\(error)".contains("\n"))
        }
        // tokenizer.json alone (no vocab.json + merges.txt), broken in two ways.
        let json = try String(contentsOf: source.appendingPathComponent("tokenizer.json"), encoding: .utf8)
        for (edit, message) in [(("\"id\": 319", "\"id\": 1000000000000"), "special token <mask> has id 1000000000000"),
                                (("\"Ġt\": ", "\"\\u0001t\": "), "model: token \"\\u{01}t\": character U+1")] {
            let broken = try makeScratchDirectory()
            try FileManager.default.copyItem(at: source.appendingPathComponent("tokenizer_config.json"), to: broken.appendingPathComponent("tokenizer_config.json"))
            XCTAssertTrue(json.contains(edit.0), edit.0)
            try json.replacingOccurrences(of: edit.0, with: edit.1).write(to: broken.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try TokenizerLoader.load(directory: broken)) { error in
                XCTAssertTrue(error is TokenizerFileError, "\(error)")
                XCTAssertTrue("\(error)".contains("tokenizer.json") && "\(error)".contains(message), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
    }
}
