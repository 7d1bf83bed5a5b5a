import Common
import DataIO
import Foundation
import Tokenizers
import XCTest

/// Every text of the mirror's SMS spam, SST-2 and IMDB corpora encodes to tiktoken's ids. The
/// fixture (scripts/make_gpt2_corpus_digests.py) holds no text, only per-block token counts and
/// FNV-1a 64 digests of tiktoken's ids; the texts are read here with DataIO exactly as the script
/// reads them with Python's csv module.
final class GPT2CorpusDigestTests: XCTestCase {
    func testSMSSpamMatchesTiktoken() throws {
        var format = CSVFormat.tsv
        format.hasHeader = false
        format.quoting = .none
        try check("SMSSpamCollection", format: format, column: 1, texts: 5_574)
    }

    func testSST2MatchesTiktoken() throws {
        var format = CSVFormat.tsv
        format.quoting = .none  // the texts hold raw quotes; the header names column 1 differently per split
        try check("train.tsv", format: format, column: 1, texts: 67_349)
        try check("dev.tsv", format: format, column: 1, texts: 872)
        try check("test.tsv", format: format, column: 1, texts: 1_821)
    }

    func testIMDBMatchesTiktoken() throws {
        try check("imdb_train.csv", format: .csv, column: "text", texts: 25_000)
        try check("imdb_test.csv", format: .csv, column: "text", texts: 25_000)
    }

    /// The digest itself, on ids worked out by hand, so the check above cannot pass vacuously.
    func testDigestDefinition() {
        var empty = CorpusDigest()
        empty.add([])
        // FNV-1a 64 of FF FF FF FF.
        XCTAssertEqual(empty.hex, Self.fnv1a64([0xFF, 0xFF, 0xFF, 0xFF]))
        var two = CorpusDigest()
        two.add([1, 0x0102_0304])
        two.add([50256])
        XCTAssertEqual(two.hex, Self.fnv1a64([1, 0, 0, 0, 4, 3, 2, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x50, 0xC4, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]))
        XCTAssertEqual(two.tokens, 3)
        var moved = CorpusDigest()
        moved.add([1])
        moved.add([0x0102_0304, 50256])
        XCTAssertNotEqual(moved.hex, two.hex, "where one text ends is part of the digest")
    }

    /// Byte-at-a-time FNV-1a 64, the textbook form, for checking `CorpusDigest`.
    private static func fnv1a64(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return String(format: "%016llx", h)
    }

    // MARK: - The check

    private func check(_ member: String, format: CSVFormat, column: CSVColumn, texts expectedTexts: Int,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try CorpusDigests.load()
        guard let spec = fixture.files.first(where: { $0.member == member }) else {
            return XCTFail("no digests for \(member) in the fixture", file: file, line: line)
        }
        let archive = try Mirror.file("datasets/" + spec.archive)
        let tokenizer = try Mirror.gpt2()
        let texts = try CSVReader(path: archive.path, member: member, format: format, columns: [column]).readAll().map { $0[0] }
        XCTAssertEqual(texts.count, expectedTexts, "\(member): texts read", file: file, line: line)
        XCTAssertEqual(texts.count, spec.texts, "\(member): texts in the fixture", file: file, line: line)

        var blocks: [CorpusDigest] = []
        var roundTripFailures: [Int] = []
        for start in stride(from: 0, to: texts.count, by: fixture.blockTexts) {
            let block = Array(texts[start ..< min(texts.count, start + fixture.blockTexts)])
            var digest = CorpusDigest()
            for (offset, ids) in tokenizer.encodeBatch(block).enumerated() {
                digest.add(ids)
                if (try? tokenizer.decodeBytes(ids)) != Array(block[offset].utf8) { roundTripFailures.append(start + offset) }
            }
            blocks.append(digest)
        }
        XCTAssertEqual(roundTripFailures.prefix(10), [], "\(member): texts (0-based) whose ids do not decode to their bytes",
                       file: file, line: line)
        XCTAssertEqual(blocks.count, spec.blocks.count, "\(member): blocks", file: file, line: line)
        for (index, (ours, theirs)) in zip(blocks, spec.blocks).enumerated() where ours.hex != theirs.fnv1a64 || ours.tokens != theirs.tokens {
            let first = index * fixture.blockTexts, last = min(texts.count, first + fixture.blockTexts) - 1
            return XCTFail("""
                \(spec.archive) \(member): block \(index) (texts \(first)...\(last), 0-based, in file order) differs from \
                tiktoken: \(ours.tokens) tokens, digest \(ours.hex); tiktoken \(theirs.tokens) tokens, digest \(theirs.fnv1a64). \
                scripts/check_gpt2_tokenizer.py shows the texts that differ.
                """, file: file, line: line)
        }
        XCTAssertEqual(blocks.reduce(0) { $0 + $1.tokens }, spec.tokens, "\(member): tokens", file: file, line: line)
    }
}

/// Fixtures/gpt2_corpus_digests.json.
private struct CorpusDigests: Decodable {
    struct File: Decodable {
        struct Block: Decodable {
            let tokens: Int
            let fnv1a64: String
        }

        let archive, member: String
        let texts, tokens: Int
        let blocks: [Block]
    }

    let blockTexts: Int
    let files: [File]

    enum CodingKeys: String, CodingKey {
        case blockTexts = "block_texts"
        case files
    }

    private static let shared = LoadedOnce {
        try JSONDecoder().decode(CorpusDigests.self, from: Data(contentsOf: Fixtures.url("gpt2_corpus_digests.json")))
    }

    static func load() throws -> CorpusDigests { try shared.get() }
}

/// FNV-1a 64 over each id as 4 bytes little-endian, then FF FF FF FF after each text (as the
/// script defines it), and the number of ids.
private struct CorpusDigest {
    private(set) var state: UInt64 = 0xCBF2_9CE4_8422_2325
    private(set) var tokens = 0

    mutating func add(_ ids: [Int]) {
        var h = state
        for id in ids {
            let word = UInt32(truncatingIfNeeded: id)
            for shift in stride(from: 0, to: 32, by: 8) { h = (h ^ UInt64((word >> UInt32(shift)) & 0xFF)) &* 0x100_0000_01B3 }
        }
        for _ in 0 ..< 4 { h = (h ^ 0xFF) &* 0x100_0000_01B3 }
        state = h
        tokens += ids.count
    }

    var hex: String { String(format: "%016llx", state) }
}
