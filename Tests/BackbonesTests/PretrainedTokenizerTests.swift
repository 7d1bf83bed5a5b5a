import Backbones
import Foundation
import Store
import Tokenizers
import XCTest
import TestRequirements

/// `GPT2Tokenizer.pretrained`: the vocabulary of a manifest model found through the Store. Uses the
/// committed tiny-gpt2 vocabulary (Fixtures/tiny-gpt2, made up, not OpenAI's) in a temporary
/// mirror, offline, so only the last test needs the shared mirror.
final class PretrainedTokenizerTests: XCTestCase {
    private let tiny = EntryRef.model("tiny-gpt2")

    /// A temporary mirror holding `files` (mirror name → fixture path under tiny-gpt2/), and a
    /// Store whose manifest lists `listed` (name → fixture path, for size and sha256).
    private func store(listed: [String: String], mirrored: [String: String]) throws -> (Store, URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-backbones-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let mirror = root.appendingPathComponent("mirror"), modelDir = mirror.appendingPathComponent(tiny.relativePath)
        try FileManager.default.createDirectory(at: modelDir, withIntermediateDirectories: true)
        for (name, fixturePath) in mirrored {
            try FileManager.default.copyItem(at: fixture(fixturePath), to: modelDir.appendingPathComponent(name))
        }
        let files = try listed.keys.sorted().map { name -> ManifestFile in
            let bytes = try Data(contentsOf: fixture(listed[name]!))
            return ManifestFile(name: name, urls: [], size: Int64(bytes.count), sha256: SHA256.hash(bytes).hex)
        }
        let configuration = StoreConfiguration(cacheDirectory: root.appendingPathComponent("cache"), mirrors: [mirror],
                                               offline: true, showProgress: false, log: { _ in })
        let manifest = Manifest(entries: [ManifestEntry(kind: .model, name: tiny.name, files: files)])
        return (try Store(configuration: configuration, manifest: manifest), modelDir)
    }

    private let openAI = ["encoder.json": "openai/encoder.json", "vocab.bpe": "openai/vocab.bpe"]
    private let huggingFace = ["vocab.json": "hf/vocab.json", "merges.txt": "hf/merges.txt"]

    func testFindsTheVocabularyInAMirror() throws {
        let (store, modelDir) = try store(listed: openAI, mirrored: openAI)
        let tokenizer = try GPT2Tokenizer.pretrained(tiny.name, store: store)
        let direct = try GPT2Tokenizer.load(directory: fixture("openai"))
        XCTAssertTrue(tokenizer.source.hasPrefix(modelDir.appendingPathComponent("encoder.json").path), tokenizer.source)
        XCTAssertEqual(tokenizer.vocabularySize, 300)
        let text = "The fox and the dog ran."
        XCTAssertEqual(tokenizer.encode(text), direct.encode(text))
        XCTAssertLessThan(tokenizer.encode(text).count, text.utf8.count, "merges were applied")
    }

    /// The manifest prefers OpenAI's files; a mirror that has only Hugging Face's still serves.
    func testFallsBackToTheNextLayoutTheManifestLists() throws {
        let (store, modelDir) = try store(listed: openAI.merging(huggingFace) { a, _ in a }, mirrored: huggingFace)
        let vocabulary = try BytePairVocabulary.pretrained(tiny.name, store: store)
        XCTAssertEqual(vocabulary.source, modelDir.appendingPathComponent("vocab.json").path + " + merges.txt")
        XCTAssertEqual(vocabulary.tokens, try BytePairVocabulary.load(directory: fixture("openai")).tokens)
    }

    /// A file that fails its checksum is not used; the error lists where the Store looked.
    func testAlteredFileIsRefusedWithTheStoresReasons() throws {
        let (store, modelDir) = try store(listed: openAI, mirrored: openAI)
        let vocab = modelDir.appendingPathComponent("vocab.bpe")
        var bytes = try Data(contentsOf: vocab)
        bytes[bytes.count - 2] ^= 0x01
        try bytes.write(to: vocab)
        XCTAssertThrowsError(try GPT2Tokenizer.pretrained(tiny.name, store: store)) { error in
            guard let error = error as? ResolutionError else { return XCTFail("expected a ResolutionError, got \(error)") }
            XCTAssertEqual(error.file, "vocab.bpe")
            XCTAssertTrue(error.description.contains("has sha256"), error.description)
        }
    }

    func testModelWithoutVocabularyFilesOrUnknownNameIsAnInputError() throws {
        let (store, _) = try store(listed: ["config.json": "hf/config.json"], mirrored: [:])
        XCTAssertThrowsError(try GPT2Tokenizer.pretrained(tiny.name, store: store)) { error in
            XCTAssertTrue(error is UnknownEntryError, "\(error)")
            XCTAssertTrue("\(error)".contains("no GPT-2 vocabulary files"), "\(error)")
        }
        XCTAssertThrowsError(try GPT2Tokenizer.pretrained("no-such-model", store: store)) { error in
            XCTAssertTrue(error is UnknownEntryError, "\(error)")
        }
    }

    /// An offline Store over the shared mirror, with an empty temporary cache.
    private func sharedMirrorStore() throws -> (Store, mirror: URL) {
        let mirror = try sharedMirror()
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-backbones-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: cache) }
        let store = try Store(configuration: StoreConfiguration(cacheDirectory: cache, mirrors: [mirror], offline: true,
                                                                showProgress: false, log: { _ in }))
        return (store, mirror)
    }

    /// The real thing: the built-in manifest's gpt2 through the shared mirror.
    func testGPT2FromTheSharedMirror() throws {
        let (store, mirror) = try sharedMirrorStore()
        let tokenizer = try GPT2Tokenizer.pretrained(store: store)
        XCTAssertEqual(tokenizer.encode("Hello world"), [15496, 995])
        XCTAssertTrue(tokenizer.source.hasPrefix(mirror.appendingPathComponent("models/gpt2/encoder.json").path), tokenizer.source)
    }

    /// MiniLM's WordPiece through the Store: only the tokenizer files are resolved (the cache
    /// stays empty: the mirror holds them all), and the ids are Hugging Face's.
    func testBertTokenizerFromTheSharedMirror() throws {
        let (store, _) = try sharedMirrorStore()
        let tokenizer = try BertTokenizer.pretrained("all-MiniLM-L6-v2", store: store)
        // transformers: BertTokenizerFast.from_pretrained(<mirror>/models/all-MiniLM-L6-v2)("Unaffable café!")
        XCTAssertEqual(tokenizer.encodeForModel("Unaffable café!", maxLength: 128).ids, [101, 14477, 20961, 3468, 7668, 999, 102])
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.cacheDirectory(for: .model("all-MiniLM-L6-v2")).path),
                       "nothing copied into the cache")
        XCTAssertThrowsError(try BertTokenizer.pretrained("gpt2", store: store)) { error in
            XCTAssertTrue("\(error)".contains("no WordPiece vocabulary"), "\(error)")
        }
    }
}

/// A file of the tiny-gpt2 fixture.
func fixture(_ path: String) throws -> URL {
    guard let root = Bundle.module.url(forResource: "Fixtures/tiny-gpt2", withExtension: nil) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/tiny-gpt2 (not in the test bundle)"])
    }
    return root.appendingPathComponent(path)
}

/// The shared read-only mirror: `$TEXTCLF_MIRROR` (first existing entry), else `<package>/../shared/mirror`.
func sharedMirror() throws -> URL {
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let candidates = (ProcessInfo.processInfo.environment["TEXTCLF_MIRROR"] ?? "").split(separator: ":").map(String.init)
        + [packageRoot.deletingLastPathComponent().appendingPathComponent("shared/mirror").path]
    guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
        throw missingPrerequisite("the shared mirror is absent (set TEXTCLF_MIRROR)")
    }
    return URL(fileURLWithPath: found, isDirectory: true)
}
