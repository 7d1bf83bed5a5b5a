import Foundation
import Tokenizers
import XCTest

/// Ids must equal Hugging Face's BertTokenizer (fixtures from scripts/make_wordpiece_fixture.py).
final class WordPieceExactnessTests: XCTestCase {
    func testHardCasesMatchHuggingFace() throws {
        let tokenizer = try Mirror.miniLM()
        let cases = try WordPieceFixtures.cases("wordpiece_cases.jsonl")
        XCTAssertGreaterThan(cases.count, 100)
        var failures = 0
        for testCase in cases {
            let label = "\(testCase.name) \(testCase.text.debugDescription.prefix(60))"
            var ok = true
            ok = check(tokenizer.encodeForModel(testCase.text, maxLength: noTruncation).ids, testCase.ids, "ids of \(label)") && ok
            ok = check(tokenizer.encode(testCase.text), Array(testCase.ids.dropFirst().dropLast()), "encode of \(label)") && ok
            if let ids16 = testCase.ids16 {
                ok = check(tokenizer.encodeForModel(testCase.text, maxLength: 16).ids, ids16, "ids_16 of \(label)") && ok
                XCTAssertEqual(tokenizer.encodeForModel(testCase.text, maxLength: 16).truncated, testCase.ids.count > 16, label)
            }
            if let words = testCase.words { ok = check(tokenizer.basicTokens(of: testCase.text).map(exactly), words.map(exactly), "words of \(label)") && ok }
            if let decoded = testCase.decoded { ok = check(exactly(tokenizer.decode(testCase.ids)), exactly(decoded), "decode of \(label)") && ok }
            if let decoded = testCase.decodedSkip {
                ok = check(exactly(tokenizer.decode(testCase.ids, skipSpecialTokens: true)), exactly(decoded), "decode (skip specials) of \(label)") && ok
            }
            if !ok { failures += 1 }
        }
        XCTAssertEqual(failures, 0, "\(failures) of \(cases.count) cases differ from Hugging Face")
    }

    /// The made-up vocabulary under each setting: vocab.txt alone, tokenizer_config.json flags,
    /// special_tokens_map.json, added_tokens_decoder, and a tokenizer.json run as it is.
    func testTinyVocabularyVariantsMatchHuggingFace() throws {
        let variants = try WordPieceFixtures.variants()
        let cases = try WordPieceFixtures.cases("wordpiece_tiny_cases.jsonl")
        XCTAssertGreaterThanOrEqual(variants.count, 10)
        for variant in variants {
            let directory = try WordPieceFixtures.directory(for: variant, in: self)
            let tokenizer = try BertTokenizer.load(directory: directory)
            let viaLoader = try TokenizerLoader.load(directory: directory)
            XCTAssertTrue(viaLoader is BertTokenizer, variant.name)
            let variantCases = cases.filter { $0.variant == variant.name }
            XCTAssertGreaterThan(variantCases.count, 100, variant.name)
            var failures = 0
            for testCase in variantCases {
                let label = "\(variant.name): \(testCase.name) \(testCase.text.debugDescription.prefix(60))"
                var ok = check(tokenizer.encodeForModel(testCase.text, maxLength: noTruncation).ids, testCase.ids, label)
                ok = check(viaLoader.encodeForModel(testCase.text, maxLength: noTruncation).ids, testCase.ids, "loader, " + label) && ok
                if let decoded = testCase.decodedSkip {
                    ok = check(exactly(tokenizer.decode(testCase.ids, skipSpecialTokens: true)), exactly(decoded), "decode of " + label) && ok
                }
                if !ok { failures += 1 }
            }
            XCTAssertEqual(failures, 0, "\(variant.name): \(failures) of \(variantCases.count) cases differ from Hugging Face")
        }
    }

    func testBatchEncodingMatchesOneByOne() throws {
        let tokenizer = try Mirror.miniLM()
        let cases = try WordPieceFixtures.cases("wordpiece_cases.jsonl")
        let texts = Array(repeating: cases.map(\.text), count: 4).flatMap { $0 }
        let batch = tokenizer.encodeBatch(texts)
        XCTAssertEqual(batch.count, texts.count)
        for (i, ids) in batch.enumerated() {
            XCTAssertEqual(ids, Array(cases[i % cases.count].ids.dropFirst().dropLast()), "text \(i)")
        }
        let model = tokenizer.encodeBatchForModel(texts, maxLength: 16)
        for (i, encoded) in model.enumerated() { XCTAssertEqual(encoded.ids, cases[i % cases.count].ids16, "text \(i)") }
    }

    /// Reports the first few mismatches in full; returns whether `got` equals `want`.
    private func check<T: Equatable>(_ got: T, _ want: T, _ what: String, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        if got == want { return true }
        reported += 1
        if reported <= 15 { XCTFail("\(what): got \(got), Hugging Face \(want)", file: file, line: line) }
        return false
    }

    private var reported = 0
}
