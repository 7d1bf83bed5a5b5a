import Foundation
import Tokenizers
import XCTest

final class VocabularyLoadingTests: XCTestCase {
    /// OpenAI's files, Hugging Face's names for them, and tiktoken's file give one vocabulary.
    func testAllThreeLayoutsGiveTheSameVocabulary() throws {
        let mirror = try Mirror.gpt2Directory()
        let openAI = try BytePairVocabulary.load(encoderJSON: mirror.appendingPathComponent("encoder.json"),
                                                 merges: mirror.appendingPathComponent("vocab.bpe"))
        let tiktoken = try BytePairVocabulary.load(tiktoken: mirror.appendingPathComponent("gpt2.tiktoken"))
        let hf = try temporaryDirectory(self)
        try FileManager.default.copyItem(at: mirror.appendingPathComponent("encoder.json"), to: hf.appendingPathComponent("vocab.json"))
        try FileManager.default.copyItem(at: mirror.appendingPathComponent("vocab.bpe"), to: hf.appendingPathComponent("merges.txt"))
        XCTAssertEqual(BytePairVocabulary.Layout.detect(in: hf), .huggingFace)
        XCTAssertEqual(BytePairVocabulary.Layout.detect(in: mirror), .openAI)
        let huggingFace = try BytePairVocabulary.load(directory: hf)

        XCTAssertEqual(openAI.tokens.count, 50256)
        XCTAssertEqual(openAI.specialTokens, ["<|endoftext|>": 50256])
        for other in [tiktoken, huggingFace] {
            XCTAssertEqual(other.tokens, openAI.tokens)
            XCTAssertEqual(other.specialTokens, openAI.specialTokens)
            XCTAssertEqual(other.size, 50257)
        }
        let tiktokenOnly = try temporaryDirectory(self)
        try FileManager.default.copyItem(at: mirror.appendingPathComponent("gpt2.tiktoken"), to: tiktokenOnly.appendingPathComponent("gpt2.tiktoken"))
        XCTAssertEqual(try GPT2Tokenizer.load(directory: tiktokenOnly).encode("Hello world"), [15496, 995])
    }

    // MARK: Broken files (written by the tests; no mirror needed)

    /// A valid miniature in OpenAI's layout: the 256 byte tokens plus "ab" (256) and "abc" (257).
    private func writeMiniOpenAIVocabulary(in directory: URL, merges: String = "#version: 0.2\na b\nab c\n",
                                           extraEntries: String = "") throws {
        var entries: [String] = []
        for (id, spelling) in byteSpellings().enumerated() { entries.append("\(jsonString(spelling)): \(id)") }
        entries += ["\"ab\": 256", "\"abc\": 257", "\"<|endoftext|>\": 258"]
        let json = "{" + entries.joined(separator: ", ") + extraEntries + "}"
        try json.write(to: directory.appendingPathComponent("encoder.json"), atomically: true, encoding: .utf8)
        try merges.write(to: directory.appendingPathComponent("vocab.bpe"), atomically: true, encoding: .utf8)
    }

    /// GPT-2's byte alphabet, spelled out independently of the library.
    private func byteSpellings() -> [String] {
        let printable = Array(0x21 ... 0x7E) + Array(0xA1 ... 0xAC) + Array(0xAE ... 0xFF)
        var next = 0x100
        return (0 ..< 256).map { b in
            if printable.contains(b) { return String(Unicode.Scalar(UInt8(b))) }
            defer { next += 1 }
            return String(Unicode.Scalar(UInt32(next))!)
        }
    }

    private func jsonString(_ s: String) -> String {
        String(data: try! JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed]), encoding: .utf8)!
            .dropFirst().dropLast().description
    }

    func testMiniatureVocabularyLoadsAndMerges() throws {
        let directory = try temporaryDirectory(self)
        try writeMiniOpenAIVocabulary(in: directory)
        let tokenizer = try GPT2Tokenizer.load(directory: directory)
        XCTAssertEqual(tokenizer.vocabularySize, 259)
        // Ids here are byte values; " abc" is no token, so BPE gives " " + "abc".
        XCTAssertEqual(tokenizer.encode("abc abcd ab"), [257, 32, 257, 100, 32, 256])
        XCTAssertEqual(tokenizer.token(for: 32), "Ġ")
        XCTAssertEqual(tokenizer.token(for: 257), "abc")
    }

    func testBrokenEncoderJSONNamesTheFileAndPlace() throws {
        let directory = try temporaryDirectory(self)
        try writeMiniOpenAIVocabulary(in: directory)
        let file = directory.appendingPathComponent("encoder.json")
        let good = try Data(contentsOf: file)
        let broken: [(Data, String)] = [
            (good.prefix(good.count / 2), "truncated"),
            (Data("{\"a\": 1".utf8), "truncated"),
            (Data("{\"a\\q\": 1}".utf8), "unknown escape"),
            (Data("{\"a\": -1}".utf8), "integer"),
            (Data("[1, 2]".utf8), "expected '{'"),
            (Data("{\"\u{4E2D}\": 0}".utf8), "U+4E2D"),
            (Data([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x30, 0x7D]), "invalid UTF-8"),
            (Data("{}".utf8), "no tokens"),
        ]
        for (data, reason) in broken {
            try data.write(to: file)
            XCTAssertThrowsError(try GPT2Tokenizer.load(directory: directory), reason) { error in
                XCTAssertTrue(error is TokenizerFileError, "\(error)")
                XCTAssertTrue("\(error)".contains("encoder.json"), "\(error)")
                XCTAssertTrue("\(error)".contains(reason), "\(error) should mention \(reason)")
            }
        }
    }

    func testInconsistentVocabularyIsRejected() throws {
        let cases: [(merges: String, extra: String, expected: String)] = [
            ("#version: 0.2\na b\nab d\n", "", "line 3"),              // merge makes "abd", token 257 is "abc"
            ("#version: 0.2\na b\n", "", "1 merges"),                   // a merge missing
            ("#version: 0.2\na b\nabc\n", "", "line 3"),               // not a pair
            ("#version: 0.2\na b\nab c\n", ", \"xyz\": 0", "id 0"),     // two tokens share id 0
            ("#version: 0.2\na b\nab c\n", ", \"zz\": 300", "300"),     // id outside the range
        ]
        for (merges, extra, expected) in cases {
            let directory = try temporaryDirectory(self)
            try writeMiniOpenAIVocabulary(in: directory, merges: merges, extraEntries: extra)
            XCTAssertThrowsError(try GPT2Tokenizer.load(directory: directory)) { error in
                XCTAssertTrue(error is TokenizerFileError, "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(error) should mention \(expected)")
            }
        }
    }

    func testBrokenTiktokenFileIsRejected() throws {
        let directory = try temporaryDirectory(self)
        let file = directory.appendingPathComponent("gpt2.tiktoken")
        let bytes = (0 ..< 256).map { "\(Data([UInt8($0)]).base64EncodedString()) \($0)" }
        let cases: [(String, String)] = [
            ((bytes + ["YWI= 256", "YWI= 257"]).joined(separator: "\n"), "appears twice"),       // same bytes twice
            ((bytes + ["YWI= 255"]).joined(separator: "\n"), "line 257: rank 255 appears twice"),
            ((bytes + ["Y!I= 256"]).joined(separator: "\n"), "line 257"),                      // bad base64
            ((bytes + ["YWI= 258"]).joined(separator: "\n"), "rank 256"),                      // gap
            (bytes.dropFirst().joined(separator: "\n"), "rank 0"),
            (Array(bytes.prefix(255)).joined(separator: "\n"), "byte 0xff"),                   // byte without token
            ("", "no tokens"),
        ]
        for (text, expected) in cases {
            try text.write(to: file, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try GPT2Tokenizer.load(directory: directory)) { error in
                XCTAssertTrue(error is TokenizerFileError, "\(error)")
                XCTAssertTrue("\(error)".contains("gpt2.tiktoken"), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(error) should mention \(expected)")
            }
        }
    }

    func testDirectoryWithoutVocabularyIsAnInputError() throws {
        let directory = try temporaryDirectory(self)
        try "{}".write(to: directory.appendingPathComponent("encoder.json"), atomically: true, encoding: .utf8)  // no vocab.bpe
        XCTAssertNil(BytePairVocabulary.Layout.detect(in: directory))
        XCTAssertThrowsError(try GPT2Tokenizer.load(directory: directory)) { error in
            XCTAssertTrue("\(error)".contains(directory.path), "\(error)")
            XCTAssertTrue("\(error)".contains("vocab.bpe"), "\(error)")
        }
        XCTAssertThrowsError(try BytePairVocabulary.load(tiktoken: directory.appendingPathComponent("missing.tiktoken"))) { error in
            XCTAssertTrue("\(error)".contains("missing.tiktoken"), "\(error)")
        }
    }
}
