import Foundation
import Tokenizers
import XCTest
import TestRequirements

/// One line of wordpiece_cases.jsonl / wordpiece_tiny_cases.jsonl (scripts/make_wordpiece_fixture.py):
/// a text and what Hugging Face's BertTokenizer makes of it.
struct WordPieceCase: Decodable {
    var name: String
    var text: String
    /// [CLS] … [SEP], not truncated.
    var ids: [Int]
    /// truncation=True, max_length=16.
    var ids16: [Int]?
    /// Normalizer + pre-tokenizer output (absent where the text holds special-token text).
    var words: [String]?
    var decoded: String?
    var decodedSkip: String?
    var variant: String?

    enum CodingKeys: String, CodingKey {
        case name, text, ids, words, decoded, variant
        case ids16 = "ids_16"
        case decodedSkip = "decoded_skip"
    }
}

/// A variant's description line in wordpiece_tiny_cases.jsonl: the files written beside vocab.txt.
struct WordPieceVariant {
    var name: String
    var files: [String: Any]
}

enum WordPieceFixtures {
    /// Read with JSONDecoder: JSONSerialization on Linux drops a byte-order mark that begins a string.
    static func cases(_ name: String) throws -> [WordPieceCase] {
        let data = try Data(contentsOf: Fixtures.url(name))
        struct Probe: Decodable { var text: String? }  // variant description lines have no text
        let decoder = JSONDecoder()
        return try data.split(separator: 0x0A).filter { try decoder.decode(Probe.self, from: Data($0)).text != nil }
            .map { try decoder.decode(WordPieceCase.self, from: Data($0)) }
    }

    static func variants() throws -> [WordPieceVariant] {
        try lines("wordpiece_tiny_cases.jsonl").compactMap { line in
            guard let files = line["files"] as? [String: Any], let name = line["variant"] as? String else { return nil }
            return WordPieceVariant(name: name, files: files)
        }
    }

    private static func lines(_ name: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: Fixtures.url(name))
        return try data.split(separator: 0x0A).map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]) }
    }

    /// A model directory holding the tiny vocabulary (unless the variant brings its own
    /// tokenizer.json) and the variant's files.
    static func directory(for variant: WordPieceVariant, in test: XCTestCase) throws -> URL {
        let directory = try temporaryDirectory(test)
        if variant.files["tokenizer.json"] == nil {
            try FileManager.default.copyItem(at: Fixtures.url("wordpiece_tiny_vocab.txt"), to: directory.appendingPathComponent("vocab.txt"))
        }
        for (file, content) in variant.files {
            try JSONSerialization.data(withJSONObject: content).write(to: directory.appendingPathComponent(file))
        }
        return directory
    }
}

extension Mirror {
    /// `models/NAME` in the first mirror directory holding `file` there: $TEXTCLF_MIRROR's, else
    /// ../shared/mirror beside the package.
    static func modelDirectory(_ name: String, containing file: String) throws -> URL {
        var roots = (ProcessInfo.processInfo.environment["TEXTCLF_MIRROR"] ?? "").split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        roots.append(packageRoot.deletingLastPathComponent().appendingPathComponent("shared/mirror"))
        for root in roots {
            let directory = root.appendingPathComponent("models").appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path) { return directory }
        }
        throw missingPrerequisite("models/\(name) not found (set TEXTCLF_MIRROR to the shared mirror)")
    }

    static func miniLMDirectory() throws -> URL {
        try modelDirectory("all-MiniLM-L6-v2", containing: "vocab.txt")
    }

    nonisolated(unsafe) private static var cachedMiniLM: BertTokenizer?
    private static let miniLMLock = NSLock()

    /// all-MiniLM-L6-v2's tokenizer, loaded once for all tests.
    static func miniLM() throws -> BertTokenizer {
        miniLMLock.lock()
        defer { miniLMLock.unlock() }
        if let cachedMiniLM { return cachedMiniLM }
        let tokenizer = try BertTokenizer.load(directory: miniLMDirectory())
        cachedMiniLM = tokenizer
        return tokenizer
    }
}

/// A length that truncates nothing.
let noTruncation = 1 << 30

/// A string compared by its scalars: Swift's `==` on strings holds canonically equivalent ones
/// equal ("e\u{301}" == "é", marks in either order), which would hide normalization differences.
struct ExactText: Equatable, CustomStringConvertible {
    let text: String
    static func == (a: ExactText, b: ExactText) -> Bool { a.text.unicodeScalars.elementsEqual(b.text.unicodeScalars) }
    var description: String { text.unicodeScalars.map { $0.isASCII ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined().debugDescription }
}

func exactly(_ text: String) -> ExactText { ExactText(text: text) }
