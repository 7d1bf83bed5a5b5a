import Foundation
import Heads
import Tasks
import Training
import XCTest

/// The spam example's config.json is the built-in `spam` task; task files name what they
/// change and bad ones are errors naming the key.
final class TaskTests: XCTestCase {
    static let exampleConfig = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples/spam/config.json")

    func testExampleConfigIsTheBuiltInSpamTask() throws {
        var builtIn = BuiltInTasks.spam
        let example = try ClassificationTask.load(from: Self.exampleConfig)
        // The file names the pooling GPT-2 uses by default; the built-in leaves it to the backbone.
        builtIn.pooling = .last
        XCTAssertEqual(example, builtIn)
        // The recipe's numbers.
        XCTAssertEqual(example.dataset, "sms-spam")
        XCTAssertEqual(example.training.batchSize, 8)
        XCTAssertEqual(example.training.epochs, 5)
        XCTAssertEqual(example.training.optimizer, .adamW(learningRate: 5e-5, weightDecay: 0.1))
        XCTAssertEqual(example.training.trainable, .lastBlock)
        XCTAssertEqual(example.training.evalEvery, 50)
        XCTAssertEqual(example.training.evalBatches, 5)
    }

    func testTaskFileDefaultsAndRoundTrip() throws {
        let minimal = try JSONDecoder().decode(ClassificationTask.self, from: Data(#"{"dataset": "bbc-news", "training": {"epochs": 2}}"#.utf8))
        XCTAssertEqual(minimal.name, "bbc-news")
        XCTAssertEqual(minimal.backbone, "gpt2")
        XCTAssertEqual(minimal.training.epochs, 2)
        XCTAssertEqual(minimal.training.batchSize, 8)
        XCTAssertEqual(try JSONDecoder().decode(ClassificationTask.self, from: minimal.jsonData()), minimal)
    }

    func testBadTaskFileNamesTheKey() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-task-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        for (text, key) in [(#"{"dataset": "sms-spam", "training": {"trainable": "everything"}}"#, "training.trainable"),
                            (#"{"dataset": "sms-spam", "training": {"optimizer": {"kind": "adam", "lr": 1}}}"#, "training.optimizer.kind"),
                            (#"{"name": "x"}"#, "dataset")] {
            try Data(text.utf8).write(to: url)
            XCTAssertThrowsError(try ClassificationTask.load(from: url)) { error in
                XCTAssertTrue("\(error)".contains(url.path) && "\(error)".contains(key), "\(error)")
            }
        }
    }

    func testUnknownKeyInTaskFileIsAnError() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-task-unknown-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(#"{"dataset": "sms-spam", "epochs": 3}"#.utf8).write(to: url)
        XCTAssertThrowsError(try ClassificationTask.load(from: url)) { error in
            XCTAssertTrue("\(error)".contains("'epochs'") && "\(error)".contains("unknown key"), "\(error)")
        }
    }

    func testBuiltInTasks() throws {
        XCTAssertEqual(BuiltInTasks.all.map(\.name), ["spam", "sentiment", "topic", "intent", "tags"])
        XCTAssertEqual(BuiltInTasks.named("sentiment")?.dataset, "sst2")
        XCTAssertEqual(BuiltInTasks.named("topic")?.dataset, "ag-news")
        XCTAssertEqual(BuiltInTasks.named("intent")?.dataset, "banking77")
        XCTAssertNil(BuiltInTasks.named("nope"))
        for task in BuiltInTasks.all {
            XCTAssertEqual(task.backbone, "gpt2", task.name)
            XCTAssertEqual(task.fallbacks, BackboneFallback.localDefaults, task.name)
            XCTAssertNoThrow(try task.training.validate(), task.name)
            // Task files round-trip, fallbacks and labels included.
            var labelled = task
            labelled.labels = ["b", "a"]
            XCTAssertEqual(try JSONDecoder().decode(ClassificationTask.self, from: labelled.jsonData()), labelled)
        }
    }

    /// Gradual unfreezing and layer-wise decay are task-file keys like any other.
    func testUnfreezingKeysInTaskFiles() throws {
        let task = try JSONDecoder().decode(ClassificationTask.self, from: Data(
            #"{"dataset": "sms-spam", "training": {"trainable": "all", "unfreeze": "gradual:2", "layer_lr_decay": 0.8}}"#.utf8))
        XCTAssertEqual(task.training.unfreeze, .gradual(epochs: 2))
        XCTAssertEqual(task.training.layerLearningRateDecay, 0.8)
        XCTAssertEqual(try JSONDecoder().decode(ClassificationTask.self, from: task.jsonData()), task)
        XCTAssertEqual(try JSONDecoder().decode(ClassificationTask.self, from: Data(#"{"dataset": "x", "training": {"unfreeze": "gradual"}}"#.utf8)).training.unfreeze,
                       .gradual(epochs: 1))
        XCTAssertEqual(BuiltInTasks.spam.training.unfreeze, UnfreezeSchedule.none)
        for bad in [#""gradual:0""#, #""gradual:x""#, #""slowly""#] {
            XCTAssertThrowsError(try JSONDecoder().decode(ClassificationTask.self, from: Data(#"{"dataset": "x", "training": {"unfreeze": \#(bad)}}"#.utf8)), bad)
        }
        var training = TrainingConfiguration()
        training.layerLearningRateDecay = 1.5
        XCTAssertThrowsError(try training.validate())
    }

    func testTaskFileFindsItsDatasetSpecBesideIt() throws {
        let url = Self.exampleConfig.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("custom-dataset/task.json")
        let task = try ClassificationTask.load(from: url)
        XCTAssertEqual(task.dataset, url.deletingLastPathComponent().appendingPathComponent("tickets.json").path)
        XCTAssertTrue(FileManager.default.fileExists(atPath: task.dataset))
        XCTAssertEqual(task.labels, ["question", "bug", "billing"])
        XCTAssertEqual(task.training.trainable, .lastBlocks(2))
    }
}
