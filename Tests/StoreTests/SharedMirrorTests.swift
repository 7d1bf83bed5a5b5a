import Foundation
import Store
import XCTest

/// The real shared mirror (`$TEXTCLF_MIRROR`, else `../shared/mirror`), offline, with the
/// built-in manifest. Skipped when the mirror is absent.
final class SharedMirrorTests: XCTestCase {
    private func store() throws -> (Store, URL, URL) {
        let mirror = try sharedMirror()
        let cache = try makeTempDirectory(self)
        return (try Store(configuration: testConfiguration(cache: cache, mirrors: [mirror], offline: true)), mirror, cache)
    }

    func testSMSSpamResolvesFromTheMirrorAndItsMemberVerifies() throws {
        let (store, mirror, cache) = try store()
        let resolved = try store.locate(.dataset("sms-spam"), file: "sms+spam+collection.zip")
        XCTAssertEqual(resolved.url.path, mirror.appendingPathComponent("datasets/sms-spam/sms+spam+collection.zip").path)
        XCTAssertEqual(resolved.source, .mirror(mirror))
        XCTAssertEqual(resolved.status, .verified)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("datasets/sms-spam").path))
    }

    func testEveryMirrorDatasetVerifies() throws {
        let (store, _, _) = try store()
        for name in ["sst2", "imdb", "ag-news", "bbc-news", "banking77", "reuters-21578"] {
            let entry = try XCTUnwrap(store.manifest.entry(.dataset(name)))
            for file in entry.files {
                XCTAssertEqual(try store.locate(entry.ref, file: file.name).status, .verified, "\(name) \(file.name)")
            }
        }
    }

    func testMiniLMDirectoryIsTheMirrorDirectory() throws {
        let (store, mirror, _) = try store()
        let dir = try store.resolveDirectory(.model("all-MiniLM-L6-v2"))
        XCTAssertEqual(dir.standardizedFileURL.path, mirror.appendingPathComponent("models/all-MiniLM-L6-v2").standardizedFileURL.path)
    }

    func testGPT2TokenizerFilesComeFromTheMirrorButTheWeightsAreMissing() throws {
        let (store, mirror, cache) = try store()
        let dir = try store.resolveDirectory(.model("gpt2"), files: ["encoder.json", "vocab.bpe", "gpt2.tiktoken"])
        XCTAssertEqual(dir.standardizedFileURL.path, mirror.appendingPathComponent("models/gpt2").standardizedFileURL.path)

        XCTAssertThrowsError(try store.resolve(.model("gpt2"), file: "model.safetensors")) { error in
            guard let error = error as? ResolutionError else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(error.attempts.map(\.location), [
                cache.appendingPathComponent("models/gpt2/model.safetensors").path,
                mirror.appendingPathComponent("models/gpt2/model.safetensors").path,
                "https://huggingface.co/openai-community/gpt2/resolve/main/model.safetensors",
            ])
            XCTAssertTrue(error.fix.contains("textclf fetch gpt2"), error.fix)
        }
    }
}
