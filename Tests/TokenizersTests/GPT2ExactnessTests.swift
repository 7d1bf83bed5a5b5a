import Foundation
import Tokenizers
import XCTest

/// Ids must equal tiktoken's GPT-2 encoding (fixtures from scripts/make_gpt2_tokenizer_fixture.py).
final class GPT2ExactnessTests: XCTestCase {
    func testHardCasesMatchTiktoken() throws {
        try assertMatches(Fixtures.cases("gpt2_cases.jsonl"), tokenizer: Mirror.gpt2())
    }

    /// A made-up vocabulary whose merge priorities ignore token length, with pieces long enough
    /// to take the heap-based merge path (> 128 bytes) as well as the linear one. Needs no mirror.
    func testTinyVocabularyMergeOrderMatchesTiktoken() throws {
        let tokenizer = try GPT2Tokenizer(vocabulary: .load(tiktoken: Fixtures.url("tiny_bpe.tiktoken")))
        let cases = try Fixtures.cases("tiny_bpe_cases.jsonl")
        XCTAssertTrue(cases.contains { $0.text.utf8.count > 1000 && !$0.text.contains(" ") })
        try assertMatches(cases, tokenizer: tokenizer)
    }

    func testBatchEncodingMatchesOneByOne() throws {
        let tokenizer = try Mirror.gpt2()
        let cases = try Fixtures.cases("gpt2_cases.jsonl").filter { $0.allowedSpecial != true }
        let texts = Array(repeating: cases.map(\.text), count: 4).flatMap { $0 }
        let batch = tokenizer.encodeBatch(texts)
        XCTAssertEqual(batch.count, texts.count)
        for (i, ids) in batch.enumerated() { XCTAssertEqual(ids, cases[i % cases.count].ids, "text \(i)") }
    }

    private func assertMatches(_ cases: [EncodingCase], tokenizer: GPT2Tokenizer, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertFalse(cases.isEmpty, file: file, line: line)
        var failures = 0
        for (i, testCase) in cases.enumerated() {
            let ids = testCase.allowedSpecial == true
                ? tokenizer.encode(testCase.text, allowedSpecial: [BytePairVocabulary.endOfText])
                : tokenizer.encode(testCase.text)
            if ids != testCase.ids {
                failures += 1
                if failures <= 10 {
                    XCTFail("case \(testCase.name ?? String(i)) \(testCase.text.debugDescription.prefix(80)): got \(ids.prefix(30)), tiktoken \(testCase.ids.prefix(30))", file: file, line: line)
                }
            }
        }
        XCTAssertEqual(failures, 0, "\(failures) of \(cases.count) cases differ from tiktoken", file: file, line: line)
    }
}
