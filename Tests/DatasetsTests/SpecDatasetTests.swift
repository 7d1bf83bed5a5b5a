import Common
import Datasets
import Foundation
import Store
import XCTest

/// User dataset specs over files the tests write: CSV in a zip, TSV in a tar.gz, plain CSV,
/// a directory, and a Store dataset.
final class SpecDatasetTests: DatasetTestCase {
    /// `n` rows per class of "subject,body,category" CSV with distinct texts.
    private func csvRows(_ classes: [String], perClass n: Int, delimiter: String = ",") -> String {
        var lines = [["id", "subject", "body", "category"].joined(separator: delimiter)]
        for k in 0 ..< n {
            for (c, name) in classes.enumerated() {
                lines.append(["r\(k)-\(c)", "subject \(k)", "body of \(name) number \(k)", name].joined(separator: delimiter))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func testCSVInAZipWithRatios() throws {
        try archive("tickets.zip", .zip(compressed: true), [("export/tickets.csv", csvRows(["bug", "billing", "other"], perClass: 20)),
                                                             ("README", "not data")])
        let spec = try write("""
        {
          "name": "tickets",
          "description": "tickets in a zip",
          "source": {"path": "tickets.zip", "member": "*.csv"},
          "text": ["subject", "body"],
          "joiner": " | ",
          "label": "category",
          "id": "id",
          "splits": {"ratios": {"train": 0.6, "validation": 0.2, "test": 0.2}, "seed": 11, "stratify": true}
        }
        """, to: "specs/../tickets.json")
        let dataset = try SpecDataset(contentsOf: spec)
        XCTAssertEqual(dataset.name, "tickets")
        XCTAssertEqual(dataset.summary, "tickets in a zip")
        let raw = try dataset.load(using: emptyStore())
        XCTAssertEqual(raw.labels.names, ["billing", "bug", "other"], "inferred labels are sorted")
        XCTAssertEqual(raw.sources[0].examples.count, 60)
        XCTAssertEqual(raw.sources[0].examples[0].text, "subject 0 | body of bug number 0")
        XCTAssertEqual(raw.sources[0].examples[0].id, "r0-0")
        XCTAssertEqual(raw.sources[0].location, "\(url("tickets.zip").path), member export/tickets.csv")
        let splits = try raw.split(dataset.defaultSplitPolicy)
        XCTAssertEqual(splits.labelCounts(.train), [12, 12, 12])
        XCTAssertEqual(splits.labelCounts(.validation), [4, 4, 4])
        XCTAssertEqual(splits.record.policy.seed, 11)
    }

    func testTSVInATarGzWithSourceSplits() throws {
        let train = csvRows(["neg", "pos"], perClass: 10, delimiter: "\t")
        let test = csvRows(["neg", "pos"], perClass: 3, delimiter: "\t").replacingOccurrences(of: "body of", with: "test body of")
        try archive("reviews.tar.gz", .tar(gzip: true), [("data/train.tsv", train), ("data/test.tsv", test)])
        let spec = try write("""
        {"name": "reviews", "source": {"path": "reviews.tar.gz"}, "text": "body", "label": "category",
         "labels": ["negative", "positive"], "label_map": {"neg": "negative", "pos": "positive"},
         "splits": {"files": {"train": "data/train.tsv", "test": "*/test.tsv"}, "validation_from_train": 0.2, "stratify": true}}
        """, to: "reviews.json")
        let dataset = try SpecDataset(contentsOf: spec)
        let raw = try dataset.load(using: emptyStore())
        XCTAssertEqual(raw.sources.map(\.name), ["train", "test"])
        XCTAssertEqual(raw.sources.map(\.examples.count), [20, 6])
        XCTAssertEqual(raw.labels.names, ["negative", "positive"])
        let splits = try raw.split(dataset.defaultSplitPolicy)
        XCTAssertEqual([splits.train.count, splits.validation.count, splits.test.count], [16, 4, 6])
        XCTAssertTrue(splits.test.allSatisfy { $0.text.hasPrefix("test body") })
    }

    func testPlainCSVNextToTheSpecWithoutHeader() throws {
        try write("spam;WIN a prize now\nham;see you at 5\nham;call me later\nspam;free entry<br />today\n", to: "data/sms.txt")
        let spec = try write("""
        {"name": "sms", "source": {"path": "data/sms.txt"}, "format": "csv", "delimiter": ";", "quoting": "none", "header": false,
         "text": 1, "label": 0, "replace": [["<br />", " "]],
         "splits": {"ratios": {"train": 0.5, "test": 0.5}, "stratify": true}}
        """, to: "sms.json")
        let dataset = try SpecDataset(contentsOf: spec)
        XCTAssertEqual(dataset.source, .files([url("data/sms.txt").standardizedFileURL]))
        let raw = try dataset.load(using: emptyStore())
        XCTAssertEqual(raw.labels.names, ["ham", "spam"])
        XCTAssertEqual(raw.sources[0].examples.map(\.text), ["WIN a prize now", "see you at 5", "call me later", "free entry today"])
        let splits = try raw.split(dataset.defaultSplitPolicy)
        XCTAssertEqual(splits.labelCounts(.train), [1, 1])
        XCTAssertEqual(splits.labelCounts(.test), [1, 1])
    }

    func testFilesRelativeToTheSpecAndFormatFromTheName() throws {
        try write("label\ttext\n1\tgood one\n0\tbad one\n1\tfine\n0\tawful\n", to: "d/train.tsv")
        try write("label\ttext\n1\tnice\n0\tpoor\n", to: "d/dev.tsv")
        try write("label\ttext\n1\tgreat\n0\tterrible\n", to: "d/test.tsv")
        let spec = try write("""
        {"name": "folder", "text": "text", "label": "label",
         "splits": {"files": {"train": "d/train.tsv", "validation": "d/dev.tsv", "test": "d/test.tsv"}}}
        """, to: "folder.json")
        let dataset = try SpecDataset(contentsOf: spec)
        XCTAssertEqual(dataset.layout.format.delimiter, "\t", "a .tsv name means tab-separated")
        let splits = try dataset.loadSplits(using: emptyStore())
        XCTAssertEqual(splits.labels.names, ["0", "1"])
        XCTAssertEqual([splits.train.count, splits.validation.count, splits.test.count], [4, 2, 2])
        XCTAssertEqual(splits.validation.map(\.text), ["nice", "poor"], "source splits keep the file order")
    }

    func testFilesPooledByRatios() throws {
        try write(csvRows(["a", "b"], perClass: 5), to: "parts/one.csv")
        try write(csvRows(["a", "b"], perClass: 5).replacingOccurrences(of: "body of", with: "other body of"), to: "parts/two.csv")
        let spec = try write("""
        {"name": "pooled", "source": {"path": "parts"}, "text": "body", "label": "category",
         "splits": {"files": {"part2": "two.csv", "part1": "one.csv"}, "ratios": {"train": 0.6, "validation": 0.2, "test": 0.2}}}
        """, to: "pooled.json")
        let raw = try SpecDataset(contentsOf: spec).load(using: emptyStore())
        XCTAssertEqual(raw.sources.map(\.name), ["part1", "part2"], "other names in alphabetical order")
        let splits = try raw.split(SpecDataset(contentsOf: spec).defaultSplitPolicy)
        XCTAssertEqual([splits.train.count, splits.validation.count, splits.test.count], [12, 4, 4])
        XCTAssertEqual(Set(splits.record.splits["train"]!.rows.map { $0[0] }), [0, 1], "both files feed the pool")
    }

    func testDirectorySource() throws {
        try write(csvRows(["a", "b"], perClass: 4), to: "dir/all.csv")
        let spec = try write("""
        {"name": "dir", "source": {"path": "dir", "member": "all.csv"}, "text": "body", "label": "category",
         "splits": {"ratios": {"train": 0.5, "test": 0.5}, "max_examples": 2}}
        """, to: "dir.json")
        let splits = try SpecDataset(contentsOf: spec).loadSplits(using: emptyStore())
        XCTAssertEqual([splits.train.count, splits.test.count], [2, 2])
    }

    /// A spec over a Store dataset: the SMS archive from the shared mirror, read its own way.
    func testStoreDatasetSource() throws {
        let store = try mirrorStore()
        let spec = try write("""
        {"name": "sms-as-spec", "source": {"dataset": "sms-spam", "file": "sms+spam+collection.zip", "member": "SMSSpamCollection"},
         "format": "tsv", "quoting": "none", "header": false, "text": 1, "label": 0,
         "splits": {"ratios": {"train": 0.7, "validation": 0.1, "test": 0.2}, "seed": 123, "balance": true}}
        """, to: "sms.json")
        let dataset = try SpecDataset(contentsOf: spec)
        XCTAssertEqual(dataset.source, .store(.dataset("sms-spam"), files: ["sms+spam+collection.zip"]))
        XCTAssertTrue(dataset.availability(in: store).isLocal)
        let splits = try dataset.loadSplits(using: store)
        XCTAssertEqual([splits.train.count, splits.validation.count, splits.test.count], [1045, 149, 300])
        // Same data and policy as the built-in adapter: the same split.
        let builtIn = try SMSSpamDataset().loadSplits(using: store)
        XCTAssertEqual(splits.train, builtIn.train)
    }

    func testRegistryFindsSpecsByPathAndByName() throws {
        try write(csvRows(["a", "b"], perClass: 3), to: "x.csv")
        let spec = try write(#"{"name": "xs", "source": {"path": "x.csv"}, "text": "body", "label": "category", "splits": {"ratios": {"train": 0.5, "test": 0.5}}}"#, to: "xs.json")
        var registry = DatasetRegistry.builtIn
        XCTAssertEqual(registry.adapters.map(\.name), ["sms-spam", "sst2", "imdb", "ag-news", "bbc-news", "banking77", "reuters-21578"])
        XCTAssertEqual(try registry.adapter(named: spec.path).name, "xs", "a path is read as a spec")
        assertThrows(DatasetError.self, mentions: ["\"xs\"", "sms-spam"]) { try registry.adapter(named: "xs") }
        try registry.registerSpec(at: spec.path)
        XCTAssertEqual(try registry.adapter(named: "xs").name, "xs")
        assertThrows(DatasetError.self, mentions: ["already registered"]) { try registry.registerSpec(at: spec.path) }
        XCTAssertNoThrow(try registry.registerSpec(at: spec.path, replacing: true))
        XCTAssertTrue(try registry.adapter(named: "xs").availability(in: emptyStore()).isLocal)
        try FileManager.default.removeItem(at: url("x.csv"))
        XCTAssertFalse(try registry.adapter(named: "xs").availability(in: emptyStore()).isLocal)
    }

    func testAStoreDatasetMissingEverywhereIsNotAvailable() throws {
        let availability = SMSSpamDataset().availability(in: try emptyStore())
        XCTAssertFalse(availability.isLocal)
        XCTAssertTrue(availability.detail.contains("not in the cache or a mirror"), availability.detail)
    }
}
