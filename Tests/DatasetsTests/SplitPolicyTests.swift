import Common
import Datasets
import Foundation
import XCTest

final class SplitPolicyTests: DatasetTestCase {
    /// The SMS recipe's arithmetic: 747 + 747 balanced → 1045 / 149 / 300.
    func testBalancedRatioSplitFollowsTheReferenceArithmetic() throws {
        let raw = try syntheticDataset([4827, 747])
        let splits = try raw.split(.ratios(train: 0.7, validation: 0.1, test: 0.2, seed: 123, balance: true))
        XCTAssertEqual([splits.train.count, splits.validation.count, splits.test.count], [1045, 149, 300])
        let all = splits.train + splits.validation + splits.test
        XCTAssertEqual(all.filter { $0.label == 0 }.count, 747, "ham undersampled to the spam count")
        XCTAssertEqual(all.filter { $0.label == 1 }.count, 747)
        XCTAssertEqual(Set(all.map(\.row)).count, 1494, "no example in two splits")
        XCTAssertEqual(splits.record.splits["train"]?.labelCounts.reduce(0, +), 1045)
    }

    func testUnbalancedRatioSplitUsesEveryExampleOnce() throws {
        let raw = try syntheticDataset([70, 30])
        let splits = try raw.split(.ratios(train: 0.6, validation: 0.2, test: 0.2, seed: 5))
        XCTAssertEqual([splits.train.count, splits.validation.count, splits.test.count], [60, 20, 20])
        XCTAssertEqual((splits.train + splits.validation + splits.test).map(\.row).sorted(), Array(1 ... 100))
    }

    func testStratifiedSplitKeepsClassProportions() throws {
        let raw = try syntheticDataset([510, 386, 417, 511, 401])
        let splits = try raw.split(.ratios(train: 0.7, validation: 0.1, test: 0.2, seed: 123, stratify: true))
        // Per class ⌊n·0.7⌋ / ⌊n·0.1⌋ / rest — 510·0.7 is 356.999… in binary and still gives 357.
        XCTAssertEqual(splits.labelCounts(.train), [357, 270, 291, 357, 280])
        XCTAssertEqual(splits.labelCounts(.validation), [51, 38, 41, 51, 40])
        XCTAssertEqual(splits.labelCounts(.test), [102, 78, 85, 103, 81])
        // Stratified splits are shuffled, not grouped by class.
        XCTAssertNotEqual(splits.train.map(\.label), splits.train.map(\.label).sorted())
    }

    func testValidationCarvedFromTrain() throws {
        let raw = try syntheticDataset([1900, 1900, 1900, 1900])
        let splits = try raw.split(.ratios(train: 0.8, validation: 0, test: 0.2, validationFromTrain: 0.1, stratify: true))
        XCTAssertEqual(splits.labelCounts(.train), [1368, 1368, 1368, 1368])
        XCTAssertEqual(splits.labelCounts(.validation), [152, 152, 152, 152])
        XCTAssertEqual(splits.labelCounts(.test), [380, 380, 380, 380])
        XCTAssertTrue(Set(splits.train.map(\.row)).isDisjoint(with: splits.validation.map(\.row)))
    }

    func testSourceSplitsWithValidationFromTrainAndBalance() throws {
        let train = examples((0 ..< 30).map { ($0 < 20 ? 0 : 1, "train \($0)") })
        let test = examples((0 ..< 10).map { ($0 < 8 ? 0 : 1, "test \($0)") })
        let raw = try RawDataset(name: "two-files", labels: LabelSet(["a", "b"]), sources: [
            SourceSplit(name: "train", location: "train.csv", examples: train),
            SourceSplit(name: "test", location: "test.csv", examples: test),
        ])
        let splits = try raw.split(.sourceSplits(validation: nil, test: "test", validationFromTrain: 0.2, balance: true))
        // Balance applies to the training split only: 10 + 10, then 20% (4) to validation.
        XCTAssertEqual(splits.train.count + splits.validation.count, 20)
        XCTAssertEqual(splits.validation.count, 4)
        XCTAssertEqual(splits.test, test, "evaluation splits stay as the source gives them")
        XCTAssertEqual(splits.train.map(\.row), splits.train.map(\.row).sorted(), "the source's train keeps its order")
    }

    func testCapTakesASeededSampleInOrder() throws {
        let raw = try syntheticDataset([600, 400])
        let splits = try raw.split(.ratios(train: 0.5, validation: 0.25, test: 0.25, stratify: true, maxExamples: 100))
        XCTAssertEqual([splits.train.count, splits.validation.count, splits.test.count], [100, 100, 100])
        XCTAssertEqual(splits.labelCounts(.train), [60, 40], "stratified cap keeps proportions")
        let uncapped = try raw.split(.ratios(train: 0.5, validation: 0.25, test: 0.25, stratify: true))
        // The cap draws from its own stream: the partition is the same, the cap a subsequence of it.
        let capRows = splits.train.map(\.row)
        let fullRows = uncapped.train.map(\.row).filter(Set(capRows).contains)
        XCTAssertEqual(capRows, fullRows)
    }

    func testSplitsAreDeterministicAndDependOnTheSeed() throws {
        let raw = try syntheticDataset([300, 200])
        let policy = SplitPolicy.ratios(train: 0.7, validation: 0.1, test: 0.2, seed: 7, balance: true)
        let a = try raw.split(policy), b = try raw.split(policy)
        XCTAssertEqual(a.train, b.train)
        XCTAssertEqual(a.record, b.record)
        var other = policy
        other.seed = 8
        XCTAssertNotEqual(try raw.split(other).train.map(\.row), a.train.map(\.row))
    }

    /// The documented algorithm, computed independently by scripts/seeded_random_reference.py:
    /// the pool in source order, shuffled with SplitMix64(seed ^ fnv1a64("partition")), cut 6/2/2.
    func testRatioSplitMatchesThePythonReference() throws {
        let raw = try syntheticDataset([6, 4])
        let splits = try raw.split(.ratios(train: 0.6, validation: 0.2, test: 0.2, seed: 123))
        XCTAssertEqual(splits.record.splits["train"]?.rows.map { $0[1] }, [10, 5, 6, 2, 9, 3])
        XCTAssertEqual(splits.record.splits["validation"]?.rows.map { $0[1] }, [7, 1])
        XCTAssertEqual(splits.record.splits["test"]?.rows.map { $0[1] }, [4, 8])
    }

    func testRecordRoundTripsThroughJSON() throws {
        let raw = try syntheticDataset([50, 30, 20], labels: ["x", "y", "z"])
        let splits = try raw.split(.ratios(train: 0.8, validation: 0, test: 0.2, validationFromTrain: 0.1, seed: 3, stratify: true, maxExamples: 60))
        let file = url("run/split.json")
        try splits.record.write(to: file)
        let read = try SplitRecord.read(from: file)
        XCTAssertEqual(read, splits.record)
        let again = try raw.split(reproducing: read)
        XCTAssertEqual(again.train, splits.train)
        XCTAssertEqual(again.validation, splits.validation)
        XCTAssertEqual(again.test, splits.test)
        // The policy recorded re-derives the same split too.
        XCTAssertEqual(try raw.split(read.policy).record, read)
        // Plain JSON a Python script can read: rows are [source index, row] pairs.
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        let train = (object?["splits"] as? [String: Any])?["train"] as? [String: Any]
        XCTAssertEqual((train?["rows"] as? [[Int]])?.count, splits.train.count)
        XCTAssertEqual((object?["policy"] as? [String: Any])?["seed"] as? Int, 3)
    }

    func testReproducingDetectsChangedData() throws {
        let raw = try syntheticDataset([20, 20])
        let record = try raw.split(.ratios(train: 0.5, validation: 0.25, test: 0.25)).record
        // Same rows, one text changed.
        var changed = raw.sources[0].examples
        changed[0].text += "!"
        let edited = try RawDataset(name: raw.name, labels: raw.labels, sources: [SourceSplit(name: "all", location: "memory", examples: changed)])
        assertThrows(SplitRecordError.self, mentions: ["differ from when it was recorded"]) { try edited.split(reproducing: record) }
        // Fewer rows.
        let shorter = try RawDataset(name: raw.name, labels: raw.labels, sources: [SourceSplit(name: "all", location: "memory", examples: Array(changed.prefix(10)))])
        assertThrows(SplitRecordError.self, mentions: ["has no row"]) { try shorter.split(reproducing: record) }
        // Other labels.
        let relabelled = try RawDataset(name: raw.name, labels: LabelSet(["p", "q"]), sources: raw.sources)
        assertThrows(SplitRecordError.self, mentions: ["labels"]) { try relabelled.split(reproducing: record) }
    }

    func testReadingABrokenRecordNamesTheFileAndKey() throws {
        let file = try write(#"{"format": "textclf-split/1", "dataset": "x", "labels": ["a","b"], "policy": {"seed": "one", "ratios": {"train": 1, "validation": 0, "test": 0}}, "sources": [], "splits": {}}"#, to: "split.json")
        assertThrows(SplitRecordError.self, mentions: [file.path, "policy.seed"]) { try SplitRecord.read(from: file) }
        let other = try write(#"{"format": "textclf-split/9", "dataset": "x", "labels": [], "policy": {"seed": 1, "ratios": {"train": 1, "validation": 0, "test": 0}}, "sources": [], "splits": {}}"#, to: "other.json")
        assertThrows(SplitRecordError.self, mentions: [other.path, "textclf-split/9"]) { try SplitRecord.read(from: other) }
    }

    func testAnEmptySplitIsAnError() throws {
        let raw = try syntheticDataset([2, 2])
        assertThrows(DatasetError.self, mentions: ["validation split has no examples"]) {
            try raw.split(.ratios(train: 0.8, validation: 0.1, test: 0.1))
        }
        // A validation fraction of 0 asks for no validation examples: fine.
        XCTAssertEqual(try raw.split(.ratios(train: 0.5, validation: 0, test: 0.5)).validation.count, 0)
    }

    func testAClassMissingFromTrainingIsAnError() throws {
        let train = examples([(0, "a"), (0, "b")])
        let test = examples([(0, "c"), (1, "d")])
        let raw = try RawDataset(name: "lopsided", labels: LabelSet(["neg", "pos"]), sources: [
            SourceSplit(name: "train", location: "t", examples: train), SourceSplit(name: "test", location: "u", examples: test),
        ])
        assertThrows(DatasetError.self, mentions: ["lopsided", "\"pos\"", "training split"]) {
            try raw.split(.sourceSplits(validation: nil))
        }
    }

    func testInvalidPoliciesAreErrors() throws {
        let raw = try syntheticDataset([10, 10])
        assertThrows(DatasetError.self, mentions: ["sum to 1"]) { try raw.split(.ratios(train: 0.7, validation: 0.2, test: 0.2)) }
        assertThrows(DatasetError.self, mentions: ["[0, 1]"]) { try raw.split(.ratios(train: 1.2, validation: -0.2, test: 0)) }
        assertThrows(DatasetError.self, mentions: ["validation_from_train"]) {
            try raw.split(.ratios(train: 0.8, validation: 0.1, test: 0.1, validationFromTrain: 0.1))
        }
        assertThrows(DatasetError.self, mentions: ["max_examples"]) { try raw.split(.ratios(train: 1, validation: 0, test: 0, maxExamples: 0)) }
        assertThrows(DatasetError.self, mentions: ["\"dev\"", "\"all\""]) { try raw.split(.sourceSplits(train: "all", validation: "dev", test: "all")) }
        assertThrows(DatasetError.self, mentions: ["cannot balance", "\"c2\""]) {
            try syntheticDataset([5, 5, 0]).split(.ratios(train: 0.6, validation: 0.2, test: 0.2, balance: true))
        }
    }

    func testRawDatasetRejectsInconsistentExamples() throws {
        let labels = try LabelSet(["a", "b"])
        assertThrows(DatasetError.self, mentions: ["label 2"]) {
            try RawDataset(name: "d", labels: labels, sources: [SourceSplit(name: "all", location: "m", examples: examples([(2, "x")]))])
        }
        assertThrows(DatasetError.self, mentions: ["row 1"]) {
            try RawDataset(name: "d", labels: labels, sources: [SourceSplit(name: "all", location: "m", examples: [
                Example(text: "x", label: 0, row: 1), Example(text: "y", label: 1, row: 1),
            ])])
        }
        assertThrows(DatasetError.self, mentions: ["twice"]) { try LabelSet(["a", "a"]) }
        assertThrows(DatasetError.self, mentions: ["two classes"]) { try LabelSet(["only"]) }
    }

    func testInferredLabelOrder() {
        XCTAssertEqual(LabelSet.sortedNames(["10", "2", "1", "2"]), ["1", "2", "10"])
        XCTAssertEqual(LabelSet.sortedNames(["spam", "ham", "Ham"]), ["Ham", "ham", "spam"])
    }
}
