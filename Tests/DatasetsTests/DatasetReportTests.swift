import Datasets
import XCTest

final class DatasetReportTests: XCTestCase {
    private func raw() throws -> RawDataset {
        let train = examples([(0, "a b"), (1, "c d e"), (0, "a b"), (1, "a b"), (0, "f"), (1, "g h i j")])
        let test = examples([(0, "f"), (1, "k l"), (0, "m")])
        var skipped = SkipReport()
        skipped.add(SkipReport.Row(location: "train.csv", line: 9, row: 8, reason: SkipReport.Reason.emptyText, detail: "empty text"))
        return try RawDataset(name: "tiny", labels: LabelSet(["x", "y"]), sources: [
            SourceSplit(name: "train", location: "train.csv", examples: train),
            SourceSplit(name: "test", location: "test.csv", examples: test),
        ], skipped: skipped)
    }

    func testCountsDuplicatesOverlapsAndLengths() throws {
        let report = try DatasetReport(raw: raw(), policy: .sourceSplits(validation: nil), tokenizer: WordTokenizer())
        XCTAssertEqual(report.sources.map(\.examples), [6, 3])
        XCTAssertEqual(report.sources[0].labelCounts, [3, 3])
        XCTAssertEqual(report.splits.map(\.name), ["train", "validation", "test"])
        XCTAssertEqual(report.splits.map(\.examples), [6, 0, 3])
        // "a b" three times (two labels), "f" twice (train and test).
        XCTAssertEqual(report.duplicates.texts, 2)
        XCTAssertEqual(report.duplicates.extraRows, 3)
        XCTAssertEqual(report.duplicates.conflictingLabels, 1)
        XCTAssertEqual(report.duplicates.samples.first, "3× a b")
        let trainTest = report.overlaps.first { $0.first == "train" && $0.second == "test" }
        XCTAssertEqual(trainTest?.texts, 1)
        XCTAssertEqual(trainTest?.rows, 1)
        XCTAssertEqual(trainTest?.samples, ["f"])
        XCTAssertEqual(report.emptyTexts, 1, "the skipped empty text")
        XCTAssertEqual(report.skipped.count, 1)
        // Train lengths 2, 3, 2, 2, 1, 4: min 1, median 2, p95 = 6th smallest = 4, max 4.
        let train = report.tokenLengths.first { $0.split == "train" }
        XCTAssertEqual(train?.min, 1)
        XCTAssertEqual(train?.median, 2)
        XCTAssertEqual(train?.p95, 4)
        XCTAssertEqual(train?.max, 4)
        XCTAssertEqual(train?.total, 14)
        // Test lengths 1, 2, 1: median 1.
        XCTAssertEqual(report.tokenLengths.first { $0.split == "test" }?.median, 1)
        XCTAssertNil(report.tokenLengths.first { $0.split == "validation" }, "no figures for an empty split")
    }

    func testWithoutATokenizerThereAreNoLengths() throws {
        XCTAssertTrue(try DatasetReport(raw: raw(), policy: .sourceSplits(validation: nil)).tokenLengths.isEmpty)
    }

    func testEvenCountMedianIsTheMeanOfTheMiddlePair() throws {
        let data = try RawDataset(name: "even", labels: LabelSet(["x", "y"]), sources: [
            SourceSplit(name: "train", location: "m", examples: examples([(0, "a"), (1, "a b c d")])),
            SourceSplit(name: "test", location: "m", examples: examples([(0, "a"), (1, "b")])),
        ])
        let report = try DatasetReport(raw: data, policy: .sourceSplits(validation: nil), tokenizer: WordTokenizer())
        XCTAssertEqual(report.tokenLengths.first?.median, 2.5)
    }
}
