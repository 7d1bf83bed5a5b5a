import Common
import Datasets
import DataIO
import Foundation
import Store
import XCTest

/// Multi-label dataset specs (a separator in one label column, or 0/1 label columns) and the
/// Reuters-21578 adapter (from the shared mirror).
final class MultiLabelDatasetTests: DatasetTestCase {
    func testLabelSeparatorGivesLabelSets() throws {
        _ = try write("text,tags\nfirst story,grain; wheat\nsecond,wheat\nthird one,corn;grain;corn\nfourth,corn\n", to: "news.csv")
        let spec = try write(#"{"name": "news", "source": {"path": "news.csv"}, "text": "text", "label": "tags", "label_separator": ";", "splits": {"ratios": {"train": 0.5, "validation": 0.25, "test": 0.25}}}"#, to: "news.json")
        let raw = try SpecDataset(contentsOf: spec).load(using: emptyStore())
        XCTAssertTrue(raw.isMultiLabel)
        XCTAssertEqual(raw.labels.names, ["corn", "grain", "wheat"])
        XCTAssertEqual(raw.sources[0].examples.map(\.allLabels), [[1, 2], [2], [0, 1], [0]], "sorted, without repeats")
        XCTAssertEqual(raw.labelCounts, [2, 2, 2])
        let splits = try raw.split(SpecDataset(contentsOf: spec).defaultSplitPolicy)
        XCTAssertTrue(splits.isMultiLabel)
        XCTAssertEqual(splits.train.count + splits.validation.count + splits.test.count, 4)
        // The record's digest covers every label of an example.
        let again = try raw.split(reproducing: splits.record)
        XCTAssertEqual(again.train, splits.train)
    }

    func testLabelColumnsAreZeroOneIndicators() throws {
        _ = try write("text,toxic,insult\nyou are nice,0,0\nyou fool,1,1\nbad words,1,0\n", to: "comments.csv")
        let spec = try write(#"{"name": "comments", "source": {"path": "comments.csv"}, "text": "text", "label_columns": ["toxic", "insult"], "splits": {"ratios": {"train": 0.5, "validation": 0.25, "test": 0.25}}}"#, to: "comments.json")
        let raw = try SpecDataset(contentsOf: spec).load(using: emptyStore())
        XCTAssertEqual(raw.labels.names, ["toxic", "insult"])
        XCTAssertEqual(raw.sources[0].examples.map(\.allLabels), [[], [0, 1], [0]])

        _ = try write("text,toxic,insult\nfine,0,2\n", to: "bad.csv")
        let bad = try write(#"{"name": "bad", "source": {"path": "bad.csv"}, "text": "text", "label_columns": ["toxic", "insult"], "splits": {"ratios": {"train": 1}}}"#, to: "bad.json")
        assertReadError(.invalidValue, mentions: ["bad.csv", "\"2\"", "insult", "not 0 or 1"]) { try SpecDataset(contentsOf: bad).load(using: emptyStore()) }
    }

    func testMultiLabelSpecMistakesNameTheKey() throws {
        _ = try write("text,a\nx,1\n", to: "d.csv")
        let cases: [(String, String)] = [
            (#""label": "a", "label_columns": ["a"]"#, "label_columns"),
            (#""label_columns": [1]"#, "labels"),
            (#""label_columns": ["a"], "labels": ["x", "y"]"#, "labels"),
            (#""label": "a", "label_separator": """#, "label_separator"),
        ]
        for (index, (keys, key)) in cases.enumerated() {
            let spec = try write(#"{"name": "d", "source": {"path": "d.csv"}, "text": "text", \#(keys), "splits": {"ratios": {"train": 1}}}"#, to: "d\(index).json")
            assertThrows(DatasetSpecError.self, mentions: ["'\(key)'"]) { try SpecDataset(contentsOf: spec) }
        }
    }

    /// Reuters-21578 from the mirror: the 90 ModApte labels (in labels.csv order), label sets
    /// and counts as a Python reading of the same CSVs gives them.
    func testReutersFromTheMirror() throws {
        let adapter = try DatasetRegistry.builtIn.adapter(named: "reuters-21578")
        let raw = try adapter.load(using: mirrorStore())
        XCTAssertTrue(raw.isMultiLabel)
        XCTAssertEqual(raw.labels.count, 90)
        XCTAssertEqual(Array(raw.labels.names.prefix(5)), ["earn", "acq", "money-fx", "grain", "crude"])
        XCTAssertEqual(raw.sources.map(\.name), ["train", "test"])
        XCTAssertEqual(raw.sources.map(\.examples.count), [7770, 3019])
        XCTAssertEqual(raw.sources.map { $0.examples.reduce(0) { $0 + $1.allLabels.count } }, [9585, 3744])
        XCTAssertEqual(raw.sources.map { $0.examples.filter { $0.allLabels.count > 1 }.count }, [1192, 436])
        let second = raw.sources[0].examples[1]
        XCTAssertEqual(second.row, 2)
        XCTAssertEqual(second.id, "5")
        XCTAssertEqual(Set(second.allLabels.map { raw.labels[$0] }), ["grain", "wheat", "corn", "barley", "sorghum", "oat"])
        let splits = try raw.split(adapter.defaultSplitPolicy)
        XCTAssertEqual([splits.train.count, splits.validation.count, splits.test.count], [6993, 777, 3019])
    }
}
