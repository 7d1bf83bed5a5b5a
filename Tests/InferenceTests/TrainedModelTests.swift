import Backbones
import Common
import Foundation
import Heads
import Inference
import Store
import TensorEngine
import XCTest
import TestRequirements

/// A classifier saved on the tiny GPT-2 fixture loads back through `TrainedModel` and predicts
/// as the classifier itself did; broken directories are one-line errors naming the file.
final class TrainedModelTests: XCTestCase {
    /// The tiny GPT-2 of BackbonesTests (2 blocks, width 32), read in place.
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("BackbonesTests/Fixtures/tiny-gpt2/hf")
    let texts = ["the storm was loud", "a calm and quiet day", "sun", "warm bright clear sun and a very dry day it felt"]

    override func setUpWithError() throws {
        do { try BLAS.ensureLoaded() } catch { throw missingPrerequisite("OpenBLAS not available: \(error)") }
    }

    func temporaryDirectory(_ name: String = #function) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-inference-tests-\(getpid())-\(name.filter(\.isLetter))")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Offline, with a private cache: loading a directory-backed model needs neither.
    func offlineStore() throws -> Store {
        try Store(configuration: StoreConfiguration(cacheDirectory: try temporaryDirectory("cache"), offline: true,
                                                    showProgress: false, log: { _ in }))
    }

    /// A seeded classifier on the fixture, its last block trained as a run would leave it, saved
    /// as a run directory's model/. Returns the classifier and the run directory.
    func savedRun(_ name: String = #function, pooling: Pooling = .mean) throws -> (Classifier, URL) {
        let backbone = try GPT2Model.load(directory: fixture, dropout: 0)
        let classifier = try Classifier(backbone: backbone, labels: ["calm", "storm", "sun"], pooling: pooling, maxLength: 8, seed: 7)
        classifier.apply(.lastBlock)
        // Move the trained tensors off their loaded values, as training does.
        for parameter in classifier.trainableParameters {
            let values = parameter.value.mutablePointer
            for i in 0..<parameter.value.count { values[i] += 0.01 * Float(i % 5) }
        }
        let run = try temporaryDirectory(name)
        try ClassifierCheckpoint.save(classifier, source: BackboneSource(name: "tiny-gpt2", weights: .directory, path: fixture.path),
                                      policy: .lastBlock, to: run.appendingPathComponent("model"))
        return (classifier, run)
    }

    func testLoadsARunAndPredictsAsTheClassifierDid() throws {
        let (classifier, run) = try savedRun()
        let expected = try classifier.predict(texts, batchSize: 3)

        let store = try offlineStore()
        let model = try TrainedModel.load(run, store: store)
        let predictions = try model.predict(texts, batchSize: 3)

        XCTAssertEqual(predictions, expected)
        XCTAssertEqual(model.labels, ["calm", "storm", "sun"])
        XCTAssertEqual(model.pooling, .mean)
        XCTAssertEqual(model.maxLength, 8)
        XCTAssertEqual(model.tokenizer.encode("the storm"), classifier.tokenizer.encode("the storm"))
        XCTAssertEqual(model.source, BackboneSource(name: "tiny-gpt2", weights: .directory, path: fixture.path))
        XCTAssertEqual(model.directory.lastPathComponent, "model")
        XCTAssertTrue(predictions.contains { $0.truncated }, "the longest text is cut to max length 8")
    }

    /// README, "Using the library", as written there (with an offline store).
    func testTheREADMEExample() throws {
        let (classifier, run) = try savedRun()
        let model = try TrainedModel.load(URL(fileURLWithPath: run.path), store: try offlineStore())
        let predictions = try model.predict(["WINNER! Claim your prize now", "See you at 6?"])
        print(predictions.map(\.label), predictions[0].probabilities)
        XCTAssertEqual(predictions, try classifier.predict(["WINNER! Claim your prize now", "See you at 6?"]))
    }

    func testLoadsTheModelDirectoryItself() throws {
        let (classifier, run) = try savedRun(pooling: .last)
        let model = try TrainedModel.load(run.appendingPathComponent("model"), store: try offlineStore())
        XCTAssertEqual(try model.predict(texts), try classifier.predict(texts))
    }

    func testAProgramRegistersItsOwnFamily() throws {
        let (classifier, run) = try savedRun()
        // The same checkpoint, recorded as a seeded random "tiny" backbone that only a registered family builds.
        let config = run.appendingPathComponent("model/classifier.json")
        var configuration = try ClassifierCheckpoint.readConfiguration(config.deletingLastPathComponent())
        configuration.backbone.source = BackboneSource(name: "tiny", weights: .random, seed: 1)
        try JSONFiles.pretty(configuration).write(to: config)

        XCTAssertThrowsError(try TrainedModel.load(run, store: try offlineStore())) {
            XCTAssertTrue("\($0)".contains("unknown backbone \"tiny\" (known: gpt2, gpt2-medium, gpt2-large, gpt2-xl, all-MiniLM-L6-v2"), "\($0)")
        }
        var families = BackboneFamilies.builtIn
        families.register(TinyFamily(directory: fixture))
        let model = try TrainedModel.load(run, store: try offlineStore(), families: families)
        XCTAssertEqual(try model.predict(texts), try classifier.predict(texts))
    }

    func testMissingOrBrokenDirectoriesAreOneLineErrors() throws {
        let store = try offlineStore()
        let empty = try temporaryDirectory("empty")
        XCTAssertThrowsError(try TrainedModel.load(empty, store: store)) {
            XCTAssertTrue($0 is InputError)
            XCTAssertEqual("\($0)", "\(empty.path): no classifier.json here: not a textclf model directory (a run directory holds one in model/)")
        }

        let (_, run) = try savedRun()
        let config = run.appendingPathComponent("model/classifier.json")
        try Data("{\"format\": 1}".utf8).write(to: config)
        XCTAssertThrowsError(try TrainedModel.load(run, store: store)) {
            XCTAssertTrue($0 is InputError)
            XCTAssertTrue("\($0)".hasPrefix("\(config.path): not a valid classifier config: "), "\($0)")
            XCTAssertFalse("\($0)".contains("\n"))
        }
    }

    func testAMissingBackboneDirectorySaysTheClassifierWasTrainedThere() throws {
        let (_, run) = try savedRun()
        let config = run.appendingPathComponent("model/classifier.json")
        var configuration = try ClassifierCheckpoint.readConfiguration(config.deletingLastPathComponent())
        let gone = run.appendingPathComponent("gone")
        configuration.backbone.source.path = gone.path
        try JSONFiles.pretty(configuration).write(to: config)
        XCTAssertThrowsError(try TrainedModel.load(run, store: try offlineStore())) {
            XCTAssertEqual("\($0)", "\(gone.path): no such model directory (the classifier was trained on the weights there)")
        }
    }
}

/// A family a program adds: "tiny" is the fixture GPT-2, whatever the seed.
struct TinyFamily: BackboneFamily {
    let directory: URL
    var displayName: String { "tiny" }
    var names: [String] { ["tiny"] }
    func knows(_ name: String) -> Bool { name == "tiny" }
    func recognizes(directory: URL) -> Bool { false }
    func pretrained(_ name: String, store: Store, dropout: Float) throws -> any Backbone { try GPT2Model.load(directory: directory, dropout: dropout) }
    func directory(_ url: URL, store: Store, dropout: Float) throws -> any Backbone { try GPT2Model.load(directory: url, dropout: dropout) }
    func random(_ name: String, seed: UInt64, store: Store, dropout: Float) throws -> any Backbone {
        try GPT2Model.load(directory: directory, dropout: dropout)
    }
}

/// RoBERTa and DistilBERT directories are told apart by config.json's model_type, with their own
/// tokenizers, and a classifier trained on one loads back and predicts as it did.
final class EncoderFamilyDetectionTests: XCTestCase {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("BackbonesTests/Fixtures")

    override func setUpWithError() throws {
        do { try BLAS.ensureLoaded() } catch { throw missingPrerequisite("OpenBLAS not available: \(error)") }
    }

    private func store() throws -> Store {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-encoder-detection-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: cache) }
        return try Store(configuration: StoreConfiguration(cacheDirectory: cache, offline: true, showProgress: false, log: { _ in }))
    }

    private func copy(_ fixture: String, files: [String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-\(fixture)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        for file in files {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent(fixture).appendingPathComponent(file),
                                             to: directory.appendingPathComponent(file))
        }
        return directory
    }

    func testDirectoriesAreDetectedByModelType() throws {
        let store = try store()
        for (fixture, layout, tokenizer) in [("tiny-bert", BERTLayout.bert, "BertTokenizer"), ("tiny-roberta", .roberta, "RoBERTaTokenizer"),
                                             ("tiny-distilbert", .distilBERT, "BertTokenizer")] {
            let backbone = try BackboneFamilies.builtIn.load(directory: fixtures.appendingPathComponent(fixture), store: store, dropout: 0)
            let model = try XCTUnwrap(backbone as? BERTModel)
            XCTAssertEqual(model.config.layout, layout)
            XCTAssertEqual("\(type(of: model.tokenizer))", tokenizer)
        }
        // A RoBERTa directory with only vocab.json + merges.txt (no tokenizer.json or
        // tokenizer_config.json) still gets RoBERTa's tokenizer, not GPT-2's.
        let bare = try copy("tiny-roberta", files: ["config.json", "model.safetensors", "vocab.json", "merges.txt"])
        let model = try XCTUnwrap(try BackboneFamilies.builtIn.load(directory: bare, store: store, dropout: 0) as? BERTModel)
        XCTAssertEqual(model.tokenizer.encodeForModel("a <mask>", maxLength: 64).ids, [0, 318, 319, 2])
        XCTAssertEqual(model.tokenizer.padTokenID, 1)
        // Without any vocabulary: one line naming what is missing.
        let noVocabulary = try copy("tiny-roberta", files: ["config.json", "model.safetensors"])
        XCTAssertThrowsError(try BackboneFamilies.builtIn.load(directory: noVocabulary, store: store, dropout: 0)) {
            XCTAssertEqual("\($0)", "\(noVocabulary.path): no vocab.json or tokenizer.json in the model directory (RoBERTa's byte-level BPE vocabulary, beside config.json)")
        }
    }

    func testAClassifierOnEachFamilySavesAndLoads() throws {
        for fixture in ["tiny-roberta", "tiny-distilbert"] {
            let directory = fixtures.appendingPathComponent(fixture)
            let backbone = try BackboneFamilies.builtIn.load(directory: directory, store: try store(), dropout: 0)
            let classifier = try Classifier(backbone: backbone, labels: ["a", "b", "c"], pooling: .first, maxLength: 16, seed: 3)
            classifier.apply(.lastBlock)
            for parameter in classifier.trainableParameters {
                let values = parameter.value.mutablePointer
                for i in 0..<parameter.value.count { values[i] += 0.01 * Float(i % 5) }
            }
            let run = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-\(fixture)-run-\(UUID().uuidString)")
            addTeardownBlock { try? FileManager.default.removeItem(at: run) }
            try ClassifierCheckpoint.save(classifier, source: BackboneSource(name: fixture, weights: .directory, path: directory.path),
                                          policy: .lastBlock, to: run.appendingPathComponent("model"))
            let texts = ["Free prize! Call now", "see you at lunch", "Hi"]
            let loaded = try TrainedModel.load(run, store: try store())
            XCTAssertEqual(try loaded.predict(texts), try classifier.predict(texts), fixture)
        }
    }
}
