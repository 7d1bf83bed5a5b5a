import Foundation
import Tokenizers
import XCTest

final class GPT2TokenizerTests: XCTestCase {
    func testDecodeBytesInvertsEncodeExactly() throws {
        let tokenizer = try Mirror.gpt2()
        // (GPT2CorpusDigestTests checks the same on every text of the mirror's corpora.)
        let texts = try Fixtures.cases("gpt2_cases.jsonl").map(\.text)
        for text in texts {
            let ids = tokenizer.encode(text)
            XCTAssertEqual(try tokenizer.decodeBytes(ids), Array(text.utf8), text.debugDescription)
            XCTAssertEqual(tokenizer.decode(ids), text)
        }
    }

    func testEndOfTextIsSpecialOnlyWhenAllowed() throws {
        let tokenizer = try Mirror.gpt2()
        let text = "Hello<|endoftext|>"
        XCTAssertEqual(tokenizer.endOfTextID, 50256)
        XCTAssertEqual(tokenizer.encode(text), [15496, 27, 91, 437, 1659, 5239, 91, 29])
        XCTAssertFalse(tokenizer.encode(text).contains(50256))
        XCTAssertEqual(tokenizer.encode(text, allowedSpecial: []), tokenizer.encode(text))
        XCTAssertEqual(tokenizer.encode(text, allowedSpecial: ["<|notatoken|>"]), tokenizer.encode(text))
        XCTAssertEqual(tokenizer.encode(text, allowedSpecial: [BytePairVocabulary.endOfText]), [15496, 50256])
        XCTAssertEqual(tokenizer.encodeBatch([text]), [tokenizer.encode(text)])
        let many = Array(repeating: text, count: 100)
        XCTAssertEqual(tokenizer.encodeBatch(many, allowedSpecial: [BytePairVocabulary.endOfText]), Array(repeating: [15496, 50256], count: 100))
        XCTAssertEqual(tokenizer.decode([15496, 50256]), text)
        XCTAssertEqual(try tokenizer.decodeBytes([50256]), Array("<|endoftext|>".utf8))
    }

    func testModelEncodingTruncatesWithoutSpecials() throws {
        let tokenizer = try Mirror.gpt2()
        let ids = tokenizer.encode("one two three four five")
        XCTAssertEqual(ids.count, 5)
        XCTAssertTrue(tokenizer.encodeForModel("one two three four five", maxLength: 5) == (ids, false))
        XCTAssertTrue(tokenizer.encodeForModel("one two three four five", maxLength: 3) == (Array(ids.prefix(3)), true))
        XCTAssertTrue(tokenizer.encodeForModel("one", maxLength: 0) == ([], true))
        let batch = tokenizer.encodeBatchForModel(["one two three four five", "one"], maxLength: 2)
        XCTAssertEqual(batch.map(\.ids), [Array(ids.prefix(2)), tokenizer.encode("one")])
        XCTAssertEqual(batch.map(\.truncated), [true, false])
        XCTAssertEqual(tokenizer.padTokenID, 50256)
        XCTAssertEqual(tokenizer.vocabularySize, 50257)
    }

    func testTokenSpellingAndBytes() throws {
        let tokenizer = try Mirror.gpt2()
        XCTAssertEqual(tokenizer.token(for: 995), "Ġworld")
        XCTAssertEqual(tokenizer.token(for: 198), "Ċ")
        XCTAssertEqual(tokenizer.token(for: 50256), "<|endoftext|>")
        XCTAssertEqual(tokenizer.tokenBytes(for: 995), Array(" world".utf8))
        XCTAssertEqual(tokenizer.tokenBytes(for: 0), Array("!".utf8))
        for id in [-1, 50257, Int.max] {
            XCTAssertNil(tokenizer.token(for: id))
            XCTAssertNil(tokenizer.tokenBytes(for: id))
        }
    }

    func testUnknownIDsThrowInExactDecodeAndBecomeReplacementInLossyDecode() throws {
        let tokenizer = try Mirror.gpt2()
        XCTAssertThrowsError(try tokenizer.decodeBytes([15496, 50257])) { error in
            XCTAssertTrue("\(error)".contains("50257"), "\(error)")
        }
        XCTAssertEqual(tokenizer.decode([15496, -3]), "Hello\u{FFFD}")
        // A token that is half of a UTF-8 character decodes lossily on its own.
        let robot = tokenizer.encode("🤖")
        XCTAssertGreaterThan(robot.count, 1)
        XCTAssertEqual(tokenizer.decode(Array(robot.prefix(1))), "\u{FFFD}")
        XCTAssertEqual(tokenizer.decode(robot), "🤖")
    }

    /// Pre-tokenisation, piece by piece, for the rules that are easy to get wrong.
    func testPiecesFollowOpenAIsRegex() throws {
        let tokenizer = try GPT2Tokenizer(vocabulary: .load(tiktoken: Fixtures.url("tiny_bpe.tiktoken")))
        let expectations: [(String, [String])] = [
            ("Hello world", ["Hello", " world"]),
            ("   a", ["  ", " a"]),                    // whitespace gives its last space to the word
            ("a   ", ["a", "   "]),                    // ... but keeps it at the end of the text
            ("\ta", ["\t", "a"]),                      // a single non-space char cannot be given back
            ("\t\ta", ["\t", "\t", "a"]),
            (" \ta", [" ", "\t", "a"]),
            ("\n\n\nb", ["\n\n", "\n", "b"]),
            ("a\u{A0}b", ["a", "\u{A0}", "b"]),        // only U+0020 joins the next word
            ("it's", ["it", "'s"]),
            ("IT'S", ["IT", "'", "S"]),                // contractions are lowercase only
            (" 's", [" '", "s"]),
            ("!!'s", ["!!'", "s"]),
            ("they'll've", ["they", "'ll", "'ve"]),
            ("x1y2", ["x", "1", "y", "2"]),
            (" 42 ½Ⅻ", [" 42", " ½Ⅻ"]),
            ("café", ["café"]),
            ("cafe\u{301}", ["cafe", "\u{301}"]),      // a combining mark is not a letter
            ("hi🤖 👍🏽", ["hi", "🤖", " 👍🏽"]),
            ("a\u{200B}b", ["a", "\u{200B}", "b"]),    // zero-width space is not White_Space
            ("a\u{1C}b", ["a", "\u{1C}", "b"]),        // nor are the information separators
            ("a\u{3000}\u{3000}b", ["a", "\u{3000}", "\u{3000}", "b"]),
            // Letters new in Unicode 17 are unassigned to tiktoken's Unicode 16 tables.
            ("a\u{88F}b \u{A7CE}x \u{10940}", ["a", "\u{88F}", "b", " \u{A7CE}", "x", " \u{10940}"]),
            ("a\u{1C89}b", ["a\u{1C89}b"]),          // ... while Unicode 16's are letters
            ("", []),
        ]
        for (text, pieces) in expectations {
            XCTAssertEqual(tokenizer.pieces(of: text), pieces, text.debugDescription)
        }
    }

    func testPiecesCoverTheText() throws {
        let tokenizer = try GPT2Tokenizer(vocabulary: .load(tiktoken: Fixtures.url("tiny_bpe.tiktoken")))
        for testCase in try Fixtures.cases("gpt2_cases.jsonl") {
            let pieces = tokenizer.pieces(of: testCase.text)
            XCTAssertEqual(pieces.joined(), testCase.text)
            XCTAssertFalse(pieces.contains(""))
        }
    }

    /// Many threads encoding at once share one tokenizer (and its scratch pool) safely.
    func testConcurrentEncodingGivesTheSameIDs() throws {
        let tokenizer = try Mirror.gpt2()
        let cases = try Fixtures.cases("gpt2_cases.jsonl").filter { $0.allowedSpecial != true }
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 64) { round in
            for testCase in cases.shuffled() where tokenizer.encode(testCase.text) != testCase.ids {
                failures.add("round \(round): \(testCase.name ?? "")")
            }
        }
        XCTAssertEqual(failures.all, [])
    }
}

private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ failure: String) { lock.lock(); list.append(failure); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
