import Foundation
import Tokenizers
import XCTest
import TestRequirements

/// One fixture line: a text and the ids tiktoken gives it (scripts/make_gpt2_tokenizer_fixture.py).
struct EncodingCase: Decodable {
    var name: String?
    var text: String
    var ids: [Int]
    var allowedSpecial: Bool?

    enum CodingKeys: String, CodingKey {
        case name, text, ids
        case allowedSpecial = "allowed_special"
    }
}

enum Fixtures {
    static func url(_ name: String) throws -> URL {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        guard let url = Bundle.module.url(forResource: parts[0], withExtension: parts[1], subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/\(name) (not in the test bundle)"])
        }
        return url
    }

    static func cases(_ name: String) throws -> [EncodingCase] {
        let data = try Data(contentsOf: url(name))
        let decoder = JSONDecoder()
        return try data.split(separator: 0x0A).map { try decoder.decode(EncodingCase.self, from: Data($0)) }
    }
}

/// The read-only mirror: $TEXTCLF_MIRROR's directories, else ../shared/mirror beside the package.
enum Mirror {
    /// `relativePath` in the first mirror directory that has it; skips the test when none does.
    static func file(_ relativePath: String) throws -> URL {
        var roots = (ProcessInfo.processInfo.environment["TEXTCLF_MIRROR"] ?? "").split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        roots.append(packageRoot.deletingLastPathComponent().appendingPathComponent("shared/mirror"))
        for root in roots {
            let candidate = root.appendingPathComponent(relativePath)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        throw missingPrerequisite("\(relativePath) not found in the mirror (set TEXTCLF_MIRROR to the shared mirror)")
    }

    static func gpt2Directory() throws -> URL {
        try file("models/gpt2/encoder.json").deletingLastPathComponent()
    }

    /// Loaded once: every test that needs GPT-2's vocabulary shares it.
    private static let shared = LoadedOnce {
        try GPT2Tokenizer(vocabulary: .load(encoderJSON: gpt2Directory().appendingPathComponent("encoder.json"),
                                            merges: gpt2Directory().appendingPathComponent("vocab.bpe")))
    }

    static func gpt2() throws -> GPT2Tokenizer { try shared.get() }
}

/// A value loaded on first use and then shared by every test; a failed load is tried again.
final class LoadedOnce<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value?
    private let load: @Sendable () throws -> Value

    init(_ load: @escaping @Sendable () throws -> Value) { self.load = load }

    func get() throws -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let value { return value }
        let loaded = try load()
        value = loaded
        return loaded
    }
}

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-tok-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}
