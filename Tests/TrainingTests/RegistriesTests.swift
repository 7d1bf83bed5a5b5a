import Datasets
import Foundation
import Store
import Tasks
import Training
import XCTest

/// A Swift program registers its own dataset adapter and fine-tunes on it: the registries are
/// values passed to the run, not built-ins wired in.
final class RegistriesTests: XCTestCase {
    override func setUpWithError() throws { try requireBLAS() }

    struct Weather: DatasetAdapter {
        let name = "weather"
        let summary = "invented weather sentences"
        var source: DatasetSource { .files([]) }
        var defaultSplitPolicy: SplitPolicy { .ratios(train: 0.6, validation: 0.2, test: 0.2, seed: 1, stratify: true) }

        func load(using store: Store) throws -> RawDataset {
            try RawDataset(name: name, labels: LabelSet(["calm", "storm", "sun"]),
                           sources: [SourceSplit(name: "all", location: "memory", examples: syntheticExamples(count: 60, seed: 3))])
        }
    }

    func testARunTrainsOnARegisteredSwiftAdapter() throws {
        var task = ClassificationTask.forDataset("weather")
        task.backbone = tinyGPT2Directory.appendingPathComponent("hf").path
        task.fallbacks = []
        task.training.epochs = 1
        task.training.batchSize = 4
        let store = try Store(configuration: StoreConfiguration(cacheDirectory: try temporaryDirectory("cache"), mirrors: [], offline: true,
                                                                showProgress: false, log: { _ in }))
        XCTAssertThrowsError(try FineTuneRun.start(task, output: try temporaryDirectory("unregistered"), store: store)) {
            XCTAssertTrue("\($0)".contains("no dataset named \"weather\""), "\($0)")
        }
        var registries = Registries.builtIn
        try registries.datasets.register(Weather())
        let output = try temporaryDirectory("registered")
        do {
            let run = try FineTuneRun.start(task, output: output, store: store, registries: registries)
            let result = try run.run()
            XCTAssertEqual(result.final.map(\.split), ["train", "validation", "test"])
            XCTAssertEqual(try FineTuneRun.readConfiguration(output).task.dataset, "weather")
        }
        // A resume needs the same registries: its dataset is found again by name.
        XCTAssertNoThrow(try FineTuneRun.resume(output, store: store, registries: registries))
        XCTAssertThrowsError(try FineTuneRun.resume(output, store: store)) { XCTAssertTrue("\($0)".contains("weather"), "\($0)") }
    }
}
