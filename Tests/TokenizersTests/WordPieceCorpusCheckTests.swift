import Foundation
import Tokenizers
import XCTest

/// The full-corpus check against Hugging Face, driven by scripts/check_wordpiece_tokenizer.py:
/// the script writes the expected ids of every text of SMS spam, SST-2 and IMDB (and a sweep of
/// all code points) to a JSON-lines file and runs this test with TEXTCLF_WORDPIECE_EXPECTED
/// pointing to it (and TEXTCLF_WORDPIECE_MODEL to the model directory). Without the variable the
/// test is skipped.
final class WordPieceCorpusCheckTests: XCTestCase {
    struct Expected: Decodable {
        var corpus: String
        var `where`: String
        var text: String
        var ids: [Int]
        var ids128: [Int]
        var words: [String]?

        enum CodingKeys: String, CodingKey {
            case corpus, `where`, text, ids, words
            case ids128 = "ids_128"
        }
    }

    func testEveryCorpusTextMatchesHuggingFace() throws {
        guard let path = ProcessInfo.processInfo.environment["TEXTCLF_WORDPIECE_EXPECTED"] else {
            throw XCTSkip("set TEXTCLF_WORDPIECE_EXPECTED (scripts/check_wordpiece_tokenizer.py does)")
        }
        // The model directory the script used (it may have changed the settings), else the mirror's.
        let tokenizer = try ProcessInfo.processInfo.environment["TEXTCLF_WORDPIECE_MODEL"]
            .map { try BertTokenizer.load(directory: URL(fileURLWithPath: $0)) } ?? Mirror.miniLM()
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        let decoder = JSONDecoder()
        var rows: [Expected] = []
        for (number, line) in data.split(separator: 0x0A).enumerated() {
            do {
                rows.append(try decoder.decode(Expected.self, from: Data(line)))
            } catch {
                throw InvalidExpectation(description: "\(path), line \(number + 1): \(error)")
            }
        }
        XCTAssertFalse(rows.isEmpty, "\(path) holds no rows")
        var corpora: [String] = []
        for row in rows where !corpora.contains(row.corpus) { corpora.append(row.corpus) }

        var totalMismatches = 0
        for corpus in corpora {
            let expected = rows.filter { $0.corpus == corpus }
            let texts = expected.map(\.text)
            let full = tokenizer.encodeBatchForModel(texts, maxLength: noTruncation)
            let cut = tokenizer.encodeBatchForModel(texts, maxLength: 128)
            var mismatches = (ids: 0, ids128: 0, words: 0, batches: 0)
            var shown = 0
            func show(_ what: String, _ row: Expected, _ got: [Int], _ want: [Int]) {
                shown += 1
                guard shown <= 5 else { return }
                let at = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
                print("wordpiece-check   \(row.where) \(what): first difference at token \(at): textclf \(Array(got[max(0, at - 2) ..< min(got.count, at + 4)])) "
                      + "Hugging Face \(Array(want[max(0, at - 2) ..< min(want.count, at + 4)])) near \(tokenizer.decode(Array(want[max(0, at - 2) ..< min(want.count, at + 4)])).debugDescription)")
            }
            for (i, row) in expected.enumerated() {
                if full[i].ids != row.ids { mismatches.ids += 1; show("ids", row, full[i].ids, row.ids) }
                if cut[i].ids != row.ids128 { mismatches.ids128 += 1; show("ids_128", row, cut[i].ids, row.ids128) }
                XCTAssertEqual(cut[i].truncated, row.ids.count > 128, row.where)
                if let words = row.words.map({ $0.map(exactly) }), case let got = tokenizer.basicTokens(of: row.text).map(exactly), got != words {
                    mismatches.words += 1
                    shown += 1
                    let at = zip(got, words).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, words.count)
                    if shown <= 5 {
                        print("wordpiece-check   \(row.where) words: first difference at word \(at): textclf \(got[at ..< min(got.count, at + 3)]) "
                              + "Hugging Face \(words[at ..< min(words.count, at + 3)])")
                    }
                }
            }
            // Padded batches of 32, as a training loop would take them: HF's ids with [PAD] after.
            for start in stride(from: 0, to: expected.count, by: 32) {
                let batch = Array(expected[start ..< min(expected.count, start + 32)])
                let inputs = tokenizer.modelInputs(batch.map(\.text), maxLength: 128)
                let length = batch.map(\.ids128.count).max() ?? 0
                let wantIDs = batch.map { $0.ids128 + Array(repeating: tokenizer.padTokenID, count: length - $0.ids128.count) }
                let wantMask = batch.map { Array(repeating: 1, count: $0.ids128.count) + Array(repeating: 0, count: length - $0.ids128.count) }
                if inputs.inputIDs != wantIDs || inputs.attentionMask != wantMask { mismatches.batches += 1 }
            }
            let tokens = expected.reduce(0) { $0 + $1.ids.count }
            print("wordpiece-check \(corpus): \(expected.count) texts, \(tokens) tokens; mismatches: \(mismatches.ids) ids, "
                  + "\(mismatches.ids128) ids_128, \(mismatches.words) words, \(mismatches.batches) padded batches")
            totalMismatches += mismatches.ids + mismatches.ids128 + mismatches.words + mismatches.batches
        }
        XCTAssertEqual(totalMismatches, 0, "textclf differs from Hugging Face")
    }

    struct InvalidExpectation: Error, CustomStringConvertible {
        var description: String
    }
}
