import Backbones
import Common
import Foundation
import Heads
import Inference
import TensorEngine
import Training
import XCTest

final class CheckpointTests: XCTestCase {
    override func setUpWithError() throws { try requireBLAS() }

    func loadTiny(_ source: BackboneSource) throws -> any Backbone { try tinyGPT2() }

    /// Trains briefly, then loads model/ in a fresh classifier: identical logits. Both the
    /// trainable-only file (the default) and the full one.
    func testSavedModelPredictsLikeTheTrainedOne() throws {
        for full in [false, true] {
            var c = TrainingConfiguration()
            c.epochs = 1
            c.batchSize = 4
            c.restoreBest = false
            c.fullCheckpoint = full
            let directory = try temporaryDirectory("roundtrip\(full)")
            let classifier = try tinyClassifier(head: .mlp(hiddenSize: 16, activation: .tanh))
            _ = try Trainer(classifier: classifier, data: syntheticData(for: classifier), configuration: c, source: tinySource,
                            runDirectory: directory).train()
            let loaded = try ClassifierCheckpoint.load(directory, makeBackbone: loadTiny)
            XCTAssertEqual(loaded.configuration.labels, ["calm", "storm", "sun"])
            XCTAssertEqual(loaded.configuration.head, .mlp(hiddenSize: 16, activation: .tanh))
            XCTAssertEqual(loaded.configuration.tensors.content, full ? .full : .trainable)
            XCTAssertEqual(loaded.configuration.tensors.count, full ? 32 : 18)
            XCTAssertEqual(loaded.configuration.trainable, .lastBlock)
            XCTAssertEqual(loaded.configuration.step, 12)
            let texts = syntheticExamples(count: 7, seed: 4).map(\.text)
            XCTAssertEqual(try loaded.classifier.predict(texts).map(\.probabilities), try classifier.predict(texts).map(\.probabilities))
        }
    }

    func savedModel(_ name: String = #function) throws -> (URL, Classifier) {
        let directory = try temporaryDirectory(name)
        let classifier = try tinyClassifier()
        classifier.apply(.lastBlock)
        try ClassifierCheckpoint.save(classifier, source: tinySource, policy: .lastBlock, to: directory)
        return (directory, classifier)
    }

    /// A tensor of the wrong shape is an error naming it (and the file).
    func testWrongShapeNamesTheTensor() throws {
        let (directory, classifier) = try savedModel()
        let file = directory.appendingPathComponent(ClassifierCheckpoint.tensorFile)
        var writer = SafeTensorsWriter()
        for (name, parameter) in classifier.namedParameters where parameter.requiresGrad {
            let shape = name == "h.1.mlp.c_fc.weight" ? [128, 32] : parameter.shape
            try writer.add(name, shape: shape, values: parameter.value.scalars)
        }
        try writer.write(to: file)
        XCTAssertThrowsError(try ClassifierCheckpoint.load(directory, makeBackbone: loadTiny)) { error in
            XCTAssertTrue(error is InputError)
            XCTAssertTrue("\(error)".contains("'h.1.mlp.c_fc.weight' has shape [128, 32], expected [32, 128]"), "\(error)")
            XCTAssertTrue("\(error)".contains(file.path), "\(error)")
        }
    }

    /// A missing trainable tensor and an unknown one are named too.
    func testMissingAndUnknownTensorsAreNamed() throws {
        let (directory, classifier) = try savedModel()
        let file = directory.appendingPathComponent(ClassifierCheckpoint.tensorFile)
        var writer = SafeTensorsWriter()
        for (name, parameter) in classifier.namedParameters where parameter.requiresGrad && name != "ln_f.bias" {
            try writer.add(name, shape: parameter.shape, values: parameter.value.scalars)
        }
        try writer.write(to: file)
        XCTAssertThrowsError(try ClassifierCheckpoint.load(directory, makeBackbone: loadTiny)) {
            XCTAssertTrue("\($0)".contains("'ln_f.bias'"), "\($0)")
        }
        try writer.add("head.extra", shape: [1], values: [0])
        try writer.write(to: file)
        XCTAssertThrowsError(try ClassifierCheckpoint.load(directory, makeBackbone: loadTiny)) {
            XCTAssertTrue("\($0)".contains("'head.extra' is not a parameter"), "\($0)")
        }
    }

    /// Loading onto a backbone whose frozen weights differ from those trained on is refused.
    func testOtherBackboneWeightsAreRefused() throws {
        let (directory, _) = try savedModel()
        let tiny = try tinyGPT2()
        let other = try GPT2Model.randomlyInitialized(config: tiny.config, seed: 3, tokenizer: tiny.gpt2Tokenizer)
        XCTAssertThrowsError(try ClassifierCheckpoint.load(directory) { _ in other }) {
            XCTAssertTrue("\($0)".contains("frozen weights"), "\($0)")
        }
        // The recorded checksum is of the frozen parameters and does not change when saving again.
        let first = try ClassifierCheckpoint.readConfiguration(directory).backbone.frozenParametersSHA256
        XCTAssertEqual(first.count, 64)
        let (again, _) = try savedModel("testOtherBackboneWeightsAreRefusedAgain")
        XCTAssertEqual(try ClassifierCheckpoint.readConfiguration(again).backbone.frozenParametersSHA256, first)
    }

    /// A save that fails while writing (here: the file-size limit is hit, as on a full disk)
    /// leaves the previous checkpoint complete and loadable.
    func testExistingCheckpointSurvivesAFailedWrite() throws {
        let (directory, classifier) = try savedModel()
        let before = try Data(contentsOf: directory.appendingPathComponent(ClassifierCheckpoint.tensorFile))
        let configBefore = try Data(contentsOf: directory.appendingPathComponent(ClassifierCheckpoint.configFile))
        XCTAssertGreaterThan(before.count, 40_000)
        classifier.apply(.all)  // a bigger checkpoint this time
        for parameter in classifier.trainableParameters { parameter.value.fill(0.5) }

        var limit = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit)
        let saved = limit
        let previousHandler = signal(SIGXFSZ, SIG_IGN)  // make the write fail with EFBIG instead of killing us
        limit.rlim_cur = 16_384
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit), 0)
        var failure: Error?
        do { try ClassifierCheckpoint.save(classifier, source: tinySource, policy: .all, to: directory, content: .full) } catch { failure = error }
        var restore = saved
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &restore)
        signal(SIGXFSZ, previousHandler)

        XCTAssertNotNil(failure, "the write should have failed")
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent(ClassifierCheckpoint.tensorFile)), before)
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent(ClassifierCheckpoint.configFile)), configBefore)
        XCTAssertNoThrow(try ClassifierCheckpoint.load(directory, makeBackbone: loadTiny))
        // No staging leftovers beside it.
        let siblings = try FileManager.default.contentsOfDirectory(atPath: directory.deletingLastPathComponent().path)
        XCTAssertFalse(siblings.contains { $0.contains(".partial-") }, "\(siblings)")
    }

    func testNotAModelDirectory() throws {
        let directory = try temporaryDirectory()
        XCTAssertThrowsError(try ClassifierCheckpoint.load(directory, makeBackbone: loadTiny)) {
            XCTAssertTrue("\($0)".contains("classifier.json"), "\($0)")
        }
    }
}
