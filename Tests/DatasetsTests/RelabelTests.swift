import Datasets
import XCTest

/// `--labels` / a task's `labels`: the declared names give the class ids; the data must have
/// exactly those labels.
final class RelabelTests: XCTestCase {
    func tickets() throws -> RawDataset {
        try RawDataset(name: "tickets", labels: LabelSet(["billing", "bug", "feature"]), sources: [
            SourceSplit(name: "all", location: "tickets.csv", examples: [
                Example(text: "refund please", label: 0, row: 1),
                Example(text: "crash on start", label: 1, row: 2),
                Example(text: "dark mode?", label: 2, row: 3),
                Example(text: "charged twice", label: 0, row: 4),
            ]),
        ])
    }

    func testDeclaredOrderGivesTheClassIds() throws {
        let relabeled = try tickets().relabeled(["feature", "billing", "bug"])
        XCTAssertEqual(relabeled.labels.names, ["feature", "billing", "bug"])
        let examples = relabeled.sources[0].examples
        XCTAssertEqual(examples.map(\.label), [1, 2, 0, 1])
        XCTAssertEqual(examples.map { relabeled.labels[$0.label] }, ["billing", "bug", "feature", "billing"])
        XCTAssertEqual(examples.map(\.row), [1, 2, 3, 4])
    }

    func testSameLabelsIsTheSameDataset() throws {
        let data = try tickets()
        XCTAssertEqual(try data.relabeled(["billing", "bug", "feature"]).sources, data.sources)
    }

    func testUndeclaredLabelNamesTheRow() throws {
        XCTAssertThrowsError(try tickets().relabeled(["billing", "feature"])) { error in
            XCTAssertTrue("\(error)".contains("tickets.csv, row 2") && "\(error)".contains("\"bug\""), "\(error)")
        }
    }

    func testDeclaredLabelWithoutExamplesIsAnError() throws {
        XCTAssertThrowsError(try tickets().relabeled(["billing", "bug", "feature", "question"])) { error in
            XCTAssertTrue("\(error)".contains("\"question\" has no examples"), "\(error)")
        }
    }

    func testDuplicateDeclaredLabelIsAnError() throws {
        XCTAssertThrowsError(try tickets().relabeled(["billing", "bug", "bug"])) { error in
            XCTAssertTrue("\(error)".contains("appears twice"), "\(error)")
        }
    }
}
