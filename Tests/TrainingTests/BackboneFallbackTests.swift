import Backbones
import Foundation
import Inference
import Store
import Tasks
import Training
import XCTest
import TestRequirements

/// Where GPT-2's weights are missing (as on these machines), a task falls back to its
/// pretrained fallback (all-MiniLM-L6-v2 from the shared mirror), and only then to a random
/// GPT-2; never silently.
final class BackboneFallbackTests: XCTestCase {
    func offlineMirrorStore() throws -> Store {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var roots = (ProcessInfo.processInfo.environment["TEXTCLF_MIRROR"] ?? "").split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        roots.append(packageRoot.deletingLastPathComponent().appendingPathComponent("shared/mirror"))
        guard let mirror = roots.first(where: { FileManager.default.fileExists(atPath: $0.appendingPathComponent("models/all-MiniLM-L6-v2/model.safetensors").path) }) else {
            throw missingPrerequisite("all-MiniLM-L6-v2 is not in a mirror (set TEXTCLF_MIRROR)")
        }
        guard !FileManager.default.fileExists(atPath: mirror.appendingPathComponent("models/gpt2/model.safetensors").path) else {
            throw XCTSkip("GPT-2's weights are in the mirror: nothing falls back")
        }
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-fallback-cache-\(getpid())")
        addTeardownBlock { try? FileManager.default.removeItem(at: cache) }
        return try Store(configuration: StoreConfiguration(cacheDirectory: cache, mirrors: [mirror], offline: true,
                                                           showProgress: false, log: { _ in }))
    }

    func testMissingGPT2FallsBackToPretrainedMiniLM() throws {
        let store = try offlineMirrorStore()
        let choice = try BackboneCatalog.choose("gpt2", weights: .auto, fallbacks: BackboneFallback.localDefaults, seed: 1, dropout: 0, store: store)
        XCTAssertEqual(choice.source, BackboneSource(name: "all-MiniLM-L6-v2", weights: .pretrained))
        XCTAssertEqual(choice.fallback, BackboneFallback.localDefaults[0])
        XCTAssertEqual(choice.backbone.hiddenSize, 384)
        XCTAssertEqual(choice.backbone.defaultPooling, .mean)
        let warning = try XCTUnwrap(choice.warning)
        XCTAssertTrue(warning.contains("GPT-2 'gpt2' weights were not found") && warning.contains("PRETRAINED BERT model 'all-MiniLM-L6-v2'"), warning)
        XCTAssertEqual(BackboneCatalog.wouldUse(BuiltInTasks.spam, store: store).name, "all-MiniLM-L6-v2")
        // The fallback's dropout (0.1, as MiniLM trains in transformers) replaces the task's 0,
        // on both of BERT's dropouts, and is said; a dropout the user gave is kept.
        let bert = try XCTUnwrap(choice.backbone as? BERTModel)
        XCTAssertEqual([bert.dropout.residual, bert.dropout.attention], [0.1, 0.1])
        XCTAssertTrue(warning.contains("dropout 0.1"), warning)
        let kept = try BackboneCatalog.choose("gpt2", weights: .auto, fallbacks: BackboneFallback.localDefaults, seed: 1, dropout: 0,
                                              keepDropout: true, store: store)
        XCTAssertEqual(try XCTUnwrap(kept.backbone as? BERTModel).dropout.residual, 0)
    }

    func testWithoutUsableFallbackARandomGPT2IsUsedAndSaid() throws {
        let store = try offlineMirrorStore()
        let choice = try BackboneCatalog.choose("gpt2", weights: .auto, fallbacks: [BackboneFallback(backbone: "all-MiniLM-L6-v2")],
                                                seed: 1, dropout: 0, store: store.withoutMirrorEntry("all-MiniLM-L6-v2"))
        XCTAssertEqual(choice.source, BackboneSource(name: "gpt2", weights: .random, seed: 1))
        XCTAssertNil(choice.fallback)
        let warning = try XCTUnwrap(choice.warning)
        XCTAssertTrue(warning.contains("RANDOMLY INITIALISED") && warning.contains("fallbacks were not found either (all-MiniLM-L6-v2:"), warning)
    }

    func testPretrainedOnlyDoesNotFallBack() throws {
        let store = try offlineMirrorStore()
        XCTAssertThrowsError(try BackboneCatalog.choose("gpt2", weights: .pretrained, fallbacks: BackboneFallback.localDefaults, seed: 1,
                                                        dropout: 0, store: store))
    }
}

private extension Store {
    /// The same store with a manifest in which `name` has no files a mirror could hold (its
    /// file names changed), to play a machine without that model.
    func withoutMirrorEntry(_ name: String) throws -> Store {
        var entries = manifest.entries
        for index in entries.indices where entries[index].name == name {
            for file in entries[index].files.indices { entries[index].files[file].name = "absent-" + entries[index].files[file].name }
        }
        return try Store(configuration: configuration, manifest: Manifest(entries: entries))
    }
}
