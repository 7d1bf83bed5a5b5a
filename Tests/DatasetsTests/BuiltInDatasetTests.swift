import DataIO
import Datasets
import Foundation
import Store
import XCTest

/// Every built-in dataset read from the shared mirror, with the counts in shared/README.md.
/// Skipped when the mirror is absent.
final class BuiltInDatasetTests: XCTestCase {
    private func load(_ name: String) throws -> (any DatasetAdapter, RawDataset) {
        let adapter = try DatasetRegistry.builtIn.adapter(named: name)
        return (adapter, try adapter.load(using: mirrorStore()))
    }

    func testSMSSpam() throws {
        let (adapter, raw) = try load("sms-spam")
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
        XCTAssertEqual(raw.labels.names, ["negative", "positive"])
        XCTAssertEqual(raw.sources.map(\.name), ["train", "dev", "test"])
        XCTAssertEqual(raw.sources.map(\.examples.count), [67349, 872, 1821])
        let train = raw.sources[0].examples
        XCTAssertEqual(train.filter { $0.label == 0 }.count, 29780)
        XCTAssertEqual(train.filter { $0.label == 1 }.count, 37569)
        XCTAssertEqual(train.first?.text, "hide new secretions from the parental units")
        XCTAssertFalse(train.contains { $0.text.hasSuffix("\r") }, "CRLF line ends are not part of the text")
        let splits = try raw.split(adapter.defaultSplitPolicy)
        XCTAssertEqual([splits.train.count, splits.validation.count, splits.test.count], [67349, 872, 1821])
    }

    func testIMDB() throws {
        let (adapter, raw) = try load("imdb")
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
        XCTAssertEqual(raw.labels.names, ["World", "Sports", "Business", "Sci/Tech"])
        XCTAssertEqual(raw.sources[0].examples.count, 7600)
        XCTAssertEqual(raw.labelCounts, [1900, 1900, 1900, 1900])
        let texts = raw.sources[0].examples.map(\.text)
        for escape in ["#39;", "#36;", " quot;", " amp;", "&lt;", "&gt;", "\\", "  "] {
            XCTAssertFalse(texts.contains { $0.contains(escape) }, "\"\(escape)\" left in a text")
        }
        // The second row: "(SPACE.com)" title, a backslash line break and a #36; dollar.
        XCTAssertEqual(texts[1], "The Race is On: Second Private Team Sets Launch Date for Human Spaceflight (SPACE.com). "
            + "SPACE.com - TORONTO, Canada -- A second\nteam of rocketeers competing for the $10 million Ansari X Prize, "
            + "a contest for\nprivately funded suborbital space flight, has officially announced the first\nlaunch date for its manned rocket.")

        let splits = try raw.split(adapter.defaultSplitPolicy)
        XCTAssertEqual(splits.labelCounts(.train), [1368, 1368, 1368, 1368])
        XCTAssertEqual(splits.labelCounts(.validation), [152, 152, 152, 152])
        XCTAssertEqual(splits.labelCounts(.test), [380, 380, 380, 380])
    }

    func testBBCNews() throws {
        let (adapter, raw) = try load("bbc-news")
        XCTAssertEqual(raw.labels.names, ["business", "entertainment", "politics", "sports", "tech"])
        XCTAssertEqual(raw.labelCounts, [510, 386, 417, 511, 401])
        XCTAssertTrue(raw.sources[0].examples[0].text.hasPrefix("Ad sales boost Time Warner profit\n\nQuarterly profits"))
        let splits = try raw.split(adapter.defaultSplitPolicy)
        XCTAssertEqual(splits.labelCounts(.train), [357, 270, 291, 357, 280])
        XCTAssertEqual(splits.train.count + splits.validation.count + splits.test.count, 2225)
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
