import DataIO
import Datasets
import Foundation
import XCTest

/// The BANKING77 adapter on small archives laid out as banking77.zip (train.csv, test.csv with
/// header `text,category`, categories.json), without the mirror.
final class Banking77AdapterTests: DatasetTestCase {
    private let categories = #"["card_arrival", "pin_blocked", "age_limit"]"#

    private func zip(train: String, test: String, categories: String? = nil, name: String = "banking77.zip") throws -> URL {
        try archive(name, .zip(compressed: true), [("train.csv", train), ("test.csv", test), ("categories.json", categories ?? self.categories),
                                                   ("README.md", "# not read\n")])
    }

    /// 20 training rows per intent (texts with commas and quotes, as RFC 4180 quotes them).
    private var trainCSV: String {
        var lines = ["text,category"]
        for (c, name) in ["card_arrival", "pin_blocked", "age_limit"].enumerated() {
            for k in 0..<20 { lines.append("\"query \(c)-\(k), with a comma and \"\"quotes\"\"\",\(name)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func testReadsBothFilesWithTheCategoriesOrder() throws {
        let raw = try Banking77Dataset.read(archive: zip(train: trainCSV, test: "text,category\nHow old must I be?,age_limit\nmy card is not here,card_arrival\n"))
        // Class ids follow categories.json, not the sorted names.
        XCTAssertEqual(raw.labels.names, ["card_arrival", "pin_blocked", "age_limit"])
        XCTAssertEqual(raw.sources.map(\.name), ["train", "test"])
        XCTAssertEqual(raw.sources.map(\.examples.count), [60, 2])
        XCTAssertEqual(raw.sources[0].examples[0].text, "query 0-0, with a comma and \"quotes\"")
        XCTAssertEqual(raw.sources[1].examples.map(\.label), [2, 0])
        XCTAssertEqual(raw.sources[1].examples[0].text, "How old must I be?")

        // The default split: test.csv as test, a stratified tenth of train as validation.
        let splits = try raw.split(Banking77Dataset().defaultSplitPolicy)
        XCTAssertEqual(splits.labelCounts(.validation), [2, 2, 2])
        XCTAssertEqual(splits.labelCounts(.train), [18, 18, 18])
        XCTAssertEqual(splits.test.count, 2)
        XCTAssertTrue(Set(splits.train.map(\.text)).isDisjoint(with: splits.validation.map(\.text)))
        // Seeded: the same split again.
        XCTAssertEqual(try raw.split(Banking77Dataset().defaultSplitPolicy).validation, splits.validation)
    }

    func testAnIntentOutsideCategoriesIsAnErrorNamingTheRow() throws {
        let path = try zip(train: "text,category\nhello,card_arrival\nbye,top_up_failed\n", test: "text,category\nx,age_limit\n")
        assertReadError(.invalidValue, mentions: ["train.csv", "top_up_failed"]) { try Banking77Dataset.read(archive: path) }
    }

    func testBrokenCategoriesAreAnErrorNamingTheMember() throws {
        for bad in [#"{"card_arrival": 1}"#, #"["only_one"]"#, #"["a", "a"]"#] {
            let path = try zip(train: trainCSV, test: "text,category\nx,a\n", categories: bad, name: "bad\(bad.count).zip")
            assertReadError(.invalidValue, mentions: ["categories.json"]) { try Banking77Dataset.read(archive: path) }
        }
    }
}
