import Common
import DataIO
import Datasets
import Foundation
import Store
import XCTest

/// Every built-in dataset read from the shared mirror, with the counts in shared/README.md.
/// Skipped when the mirror is absent.
final class BuiltInDatasetTests: XCTestCase {
    /// Count and digest of every source split as Python's csv module reads it, with the
    /// adapters' cleaning re-implemented there (scripts/dataset_digests.py).
    private let pythonDigests: [String: (Int, String)] = [
        "sms-spam/all": (5574, "a9c23b2e03f21e8f"),
        "sst2/train": (67349, "7bae66895845027b"),
        "sst2/dev": (872, "f67231e280ef06db"),
        "sst2/test": (1821, "36e5e45d58ad79b3"),
        "imdb/train": (25000, "4b2e5ab6e3251f37"),
        "imdb/test": (25000, "0eeb920888b07349"),
        "ag-news/all": (7600, "70e16de39539a008"),
        "bbc-news/all": (2225, "abcbb3e902f2800f"),
        "banking77/train": (10003, "4b1c036e2c16eb89"),
        "banking77/test": (3080, "bd983d77140d163c"),
    ]

    private func checkAgainstPython(_ raw: RawDataset, file: StaticString = #filePath, line: UInt = #line) {
        for source in raw.sources {
            let key = "\(raw.name)/\(source.name)"
            guard let (count, digest) = pythonDigests[key] else { return XCTFail("no reference for \(key)", file: file, line: line) }
            XCTAssertEqual(source.examples.count, count, key, file: file, line: line)
            XCTAssertEqual(textDigest(source.examples), digest, "\(key): texts or labels differ from the Python reading", file: file, line: line)
        }
    }

    private func load(_ name: String) throws -> (any DatasetAdapter, RawDataset) {
        let adapter = try DatasetRegistry.builtIn.adapter(named: name)
        return (adapter, try adapter.load(using: mirrorStore()))
    }

    func testSMSSpam() throws {
        let (adapter, raw) = try load("sms-spam")
        checkAgainstPython(raw)
        XCTAssertEqual(raw.labels.names, ["ham", "spam"])
        XCTAssertEqual(raw.sources.map(\.name), ["all"])
        XCTAssertEqual(raw.sources[0].examples.count, 5574)
        XCTAssertEqual(raw.labelCounts, [4827, 747])
        XCTAssertTrue(raw.skipped.isEmpty)
        // Raw quotes stay in the text (no quoting): some message holds one.
        XCTAssertTrue(raw.sources[0].examples.contains { $0.text.contains("\"") })

        let splits = try raw.split(adapter.defaultSplitPolicy)
        XCTAssertEqual([splits.train.count, splits.validation.count, splits.test.count], [1045, 149, 300])
        let all = splits.train + splits.validation + splits.test
        XCTAssertEqual(all.count, 1494)
        XCTAssertEqual(all.filter { $0.label == 1 }.count, 747)
        XCTAssertEqual(Set(all.map(\.row)).count, 1494)
    }

    func testSST2() throws {
        let (adapter, raw) = try load("sst2")
        checkAgainstPython(raw)
        XCTAssertEqual(raw.labels.names, ["negative", "positive"])
        XCTAssertEqual(raw.sources.map(\.name), ["train", "dev", "test"])
        XCTAssertEqual(raw.sources.map(\.examples.count), [67349, 872, 1821])
        let train = raw.sources[0].examples
        XCTAssertEqual(train.filter { $0.label == 0 }.count, 29780)
        XCTAssertEqual(train.filter { $0.label == 1 }.count, 37569)
        XCTAssertFalse(train.contains { $0.text.hasSuffix("\r") }, "CRLF line ends are not part of the text")
        let splits = try raw.split(adapter.defaultSplitPolicy)
        XCTAssertEqual([splits.train.count, splits.validation.count, splits.test.count], [67349, 872, 1821])
    }

    func testIMDB() throws {
        let (adapter, raw) = try load("imdb")
        checkAgainstPython(raw)
        XCTAssertEqual(raw.labels.names, ["negative", "positive"])
        XCTAssertEqual(raw.sources.map(\.name), ["train", "test"])
        for source in raw.sources {
            XCTAssertEqual(source.examples.count, 25000)
            XCTAssertEqual(source.examples.filter { $0.label == 0 }.count, 12500)
            XCTAssertFalse(source.examples.contains { $0.text.contains("<br") }, "every <br /> is replaced")
        }
        XCTAssertEqual(raw.sources[0].examples[0].id, "0_3")
        XCTAssertTrue(raw.sources[0].examples.contains { $0.text.contains("\n\n") }, "<br /><br /> becomes a paragraph break")

        let splits = try raw.split(adapter.defaultSplitPolicy)
        XCTAssertEqual([splits.train.count, splits.validation.count, splits.test.count], [22500, 2500, 25000])
        XCTAssertEqual(splits.labelCounts(.validation), [1250, 1250])
    }

    func testAGNews() throws {
        let (adapter, raw) = try load("ag-news")
        checkAgainstPython(raw)
        XCTAssertEqual(raw.labels.names, ["World", "Sports", "Business", "Sci/Tech"])
        XCTAssertEqual(raw.sources[0].examples.count, 7600)
        XCTAssertEqual(raw.labelCounts, [1900, 1900, 1900, 1900])
        let texts = raw.sources[0].examples.map(\.text)
        for escape in ["#39;", "#36;", " quot;", " amp;", "&lt;", "&gt;", "\\", "  "] {
            XCTAssertFalse(texts.contains { $0.contains(escape) }, "\"\(escape)\" left in a text")
        }
        // The second row has a title, backslash line breaks and a #36; dollar.
        XCTAssertTrue(texts[1].contains("). ") && texts[1].contains(" $10 ") && texts[1].contains("\n"))

        let splits = try raw.split(adapter.defaultSplitPolicy)
        XCTAssertEqual(splits.labelCounts(.train), [1368, 1368, 1368, 1368])
        XCTAssertEqual(splits.labelCounts(.validation), [152, 152, 152, 152])
        XCTAssertEqual(splits.labelCounts(.test), [380, 380, 380, 380])
    }

    func testBBCNews() throws {
        let (adapter, raw) = try load("bbc-news")
        checkAgainstPython(raw)
        XCTAssertEqual(raw.labels.names, ["business", "entertainment", "politics", "sports", "tech"])
        XCTAssertEqual(raw.labelCounts, [510, 386, 417, 511, 401])
        XCTAssertTrue(raw.sources[0].examples.allSatisfy { $0.text.contains("\n\n") }, "title, blank line, body")
        let splits = try raw.split(adapter.defaultSplitPolicy)
        XCTAssertEqual(splits.labelCounts(.train), [357, 270, 291, 357, 280])
        XCTAssertEqual(splits.train.count + splits.validation.count + splits.test.count, 2225)
    }

    func testBanking77() throws {
        let (adapter, raw) = try load("banking77")
        checkAgainstPython(raw)
        XCTAssertEqual(raw.labels.count, 77)
        XCTAssertEqual(raw.labels.names.prefix(2), ["card_arrival", "card_linking"])
        XCTAssertEqual(raw.sources.map(\.name), ["train", "test"])
        XCTAssertEqual(raw.sources.map(\.examples.count), [10003, 3080])
        let trainCounts = raw.sources[0].examples.reduce(into: [Int](repeating: 0, count: 77)) { $0[$1.label] += 1 }
        XCTAssertEqual(trainCounts.min(), 35)
        XCTAssertEqual(trainCounts.max(), 187)
        XCTAssertTrue(raw.sources[1].examples.reduce(into: [Int](repeating: 0, count: 77)) { $0[$1.label] += 1 }.allSatisfy { $0 == 40 })

        let splits = try raw.split(adapter.defaultSplitPolicy)
        // Stratified: each intent gives ⌊a tenth⌋ of its training rows to validation.
        XCTAssertEqual(splits.labelCounts(.validation), trainCounts.map { $0 / 10 })
        XCTAssertEqual([splits.train.count, splits.validation.count, splits.test.count], [9038, 965, 3080])
    }

    /// Two independent loads and splits agree, and the split replays from its JSON record.
    func testSplitIsDeterministicAndRoundTrips() throws {
        let (adapter, first) = try load("sms-spam")
        let (_, second) = try load("sms-spam")
        let a = try first.split(adapter.defaultSplitPolicy)
        let b = try second.split(adapter.defaultSplitPolicy)
        XCTAssertEqual(a.record, b.record)
        XCTAssertEqual(a.train, b.train)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("datasets-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("split.json")
        try a.record.write(to: file)
        let replayed = try second.split(reproducing: SplitRecord.read(from: file))
        XCTAssertEqual(replayed.train, a.train)
        XCTAssertEqual(replayed.validation, a.validation)
        XCTAssertEqual(replayed.test, a.test)
        // The rows are the file's line numbers (no header): row r is line r of SMSSpamCollection.
        let member = try ArchiveReader(path: mirrorStore().resolve(.dataset("sms-spam"), file: SMSSpamDataset.archive).path)
            .readAll(member: SMSSpamDataset.member)
        let lines = String(decoding: member, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let row = a.train[0].row
        XCTAssertEqual(String(lines[row - 1].split(separator: "\t", maxSplits: 1)[1]), a.train[0].text)
    }

    func testAvailabilityFindsTheMirrorOffline() throws {
        let store = try mirrorStore()
        for adapter in DatasetRegistry.builtIn.adapters {
            let availability = adapter.availability(in: store)
            XCTAssertTrue(availability.isLocal, "\(adapter.name): \(availability.detail)")
        }
    }
}
