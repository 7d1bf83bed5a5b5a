import Common
import DataIO
import Foundation
import XCTest

/// What Python's csv module reads from the mirror's datasets (Fixtures/csv_digests.json, made by
/// scripts/make_csv_digests.py): counts and FNV-1a 64 digests, never the text itself.
private struct Digests: Decodable {
    struct File: Decodable {
        struct Sample: Decodable {
            let row: Int
            let fieldBytes: [Int]
            let fieldDigests: [String]
        }

        let archive, member, delimiter, quoting: String
        let header: [String]?
        let rows, fields, labelColumn, blockRows: Int
        let labelCounts: [String: Int]
        let columnBytes: [Int]
        let columnDigests, blockDigests: [String]
        let samples: [Sample]
    }

    let files: [File]

    static func load() throws -> Digests {
        try JSONDecoder().decode(Digests.self, from: Data(contentsOf: URL(fileURLWithPath: fixture("csv_digests.json"))))
    }
}

/// FNV-1a 64 over each value's UTF-8 bytes followed by 0xFF (which never occurs in UTF-8), as the script computes it.
private struct FNV1a64 {
    private(set) var state: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func add(_ value: String) {
        var h = state
        for byte in value.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        state = (h ^ 0xFF) &* 0x100_0000_01B3
    }

    var hex: String {
        let digits = String(state, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

final class MirrorDatasetTests: XCTestCase {
    /// Reads one member as the fixture describes it and compares everything with Python's reading.
    private func checkAgainstPython(_ member: String, rows expectedRows: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        guard let spec = try Digests.load().files.first(where: { $0.member == member }) else {
            return XCTFail("no digest for \(member) in the fixture", file: file, line: line)
        }
        let path = try Mirror.dataset(spec.archive)
        var format = spec.delimiter == "\t" ? CSVFormat.tsv : CSVFormat.csv
        format.quoting = spec.quoting == "none" ? .none : .rfc4180
        format.hasHeader = spec.header != nil

        let reader = try CSVReader(path: path, member: spec.member, format: format)
        XCTAssertEqual(reader.header, spec.header, file: file, line: line)
        XCTAssertEqual(reader.fieldCount, spec.fields, file: file, line: line)

        var columns = [FNV1a64](repeating: FNV1a64(), count: spec.fields)
        var columnBytes = [Int](repeating: 0, count: spec.fields)
        var block = FNV1a64(), blocks: [String] = []
        var labels: [String: Int] = [:]
        var samples: [Int: [String]] = [:]
        let sampleRows = Set(spec.samples.map(\.row))
        var count = 0
        while let row = try reader.next() {
            count += 1
            for (k, value) in row.enumerated() {
                columns[k].add(value)
                columnBytes[k] += value.utf8.count
                block.add(value)
            }
            if count % spec.blockRows == 0 { blocks.append(block.hex); block = FNV1a64() }
            labels[row[spec.labelColumn], default: 0] += 1
            if sampleRows.contains(count) { samples[count] = row }
        }
        if count % spec.blockRows != 0 { blocks.append(block.hex) }

        XCTAssertEqual(count, expectedRows, file: file, line: line)
        XCTAssertEqual(count, spec.rows, file: file, line: line)
        XCTAssertEqual(labels, spec.labelCounts, file: file, line: line)
        XCTAssertEqual(columnBytes, spec.columnBytes, file: file, line: line)
        XCTAssertEqual(columns.map(\.hex), spec.columnDigests, "column digests differ from Python's csv", file: file, line: line)
        if let firstBad = zip(blocks, spec.blockDigests).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
            XCTFail("rows \(firstBad.offset * spec.blockRows + 1)...\((firstBad.offset + 1) * spec.blockRows) differ from Python's csv",
                    file: file, line: line)
        }
        XCTAssertEqual(blocks.count, spec.blockDigests.count, file: file, line: line)
        for sample in spec.samples {
            let values = samples[sample.row] ?? []
            XCTAssertEqual(values.map(\.utf8.count), sample.fieldBytes, "row \(sample.row)", file: file, line: line)
            XCTAssertEqual(values.map { var h = FNV1a64(); h.add($0); return h.hex }, sample.fieldDigests, "row \(sample.row)", file: file, line: line)
        }
    }

    func testSMSSpamCollectionReadsWithoutQuoting() throws {
        try checkAgainstPython("SMSSpamCollection", rows: 5_574)
        // The README's counts, independent of the fixture.
        var format = CSVFormat.tsv
        format.hasHeader = false
        format.quoting = .none
        let rows = try CSVReader(path: Mirror.dataset("sms-spam/sms+spam+collection.zip"), format: format).readAll()
        XCTAssertEqual(rows.count, 5_574)
        XCTAssertEqual(rows.filter { $0[0] == "ham" }.count, 4_827)
        XCTAssertEqual(rows.filter { $0[0] == "spam" }.count, 747)
    }

    func testIMDBTrainMatchesPythonCSV() throws {
        try checkAgainstPython("imdb_train.csv", rows: 25_000)
    }

    func testIMDBTestMatchesPythonCSV() throws {
        try checkAgainstPython("imdb_test.csv", rows: 25_000)
    }

    func testAGNewsTestByGlob() throws {
        try checkAgainstPython("ag_news_csv/test.csv", rows: 7_600)
        var format = CSVFormat.csv
        format.hasHeader = false
        let reader = try CSVReader(path: Mirror.dataset("ag-news/ag_news_csv.zip"), member: "*/test.csv", format: format, columns: [0, 1, 2])
        XCTAssertEqual(reader.location.member, "ag_news_csv/test.csv")
        XCTAssertEqual(try reader.readAll().count, 7_600)
    }

    func testSST2Splits() throws {
        try checkAgainstPython("train.tsv", rows: 67_349)
        try checkAgainstPython("dev.tsv", rows: 872)
        try checkAgainstPython("test.tsv", rows: 1_821)
    }

    func testBBCNewsMultiLineRows() throws {
        try checkAgainstPython("bbc_news_2225.csv", rows: 2_225)
        let reader = try CSVReader(path: Mirror.dataset("bbc-news/bbc-news.zip"), columns: ["text"])
        var multiLine = 0, lastLine = 0
        while let row = try reader.next() {
            if row[0].contains("\n") { multiLine += 1 }
            lastLine = reader.line
        }
        XCTAssertEqual(reader.row, 2_225)
        XCTAssertGreaterThan(multiLine, 2_000, "the texts are multi-line")
        XCTAssertGreaterThan(lastLine, 2_226, "line numbers count the lines inside quoted fields")
    }

    func testMirrorArchivesListTheirMembers() throws {
        // Resolve first: a missing mirror must skip the test, not fail inside an assertion.
        let imdb = try Mirror.dataset("imdb/imdb.zip"), agNews = try Mirror.dataset("ag-news/ag_news_csv.zip")
        let sms = try Mirror.dataset("sms-spam/sms+spam+collection.zip")
        XCTAssertEqual(try ArchiveReader(path: imdb).members(),
                       [ArchiveMember(name: "imdb_train.csv", size: 33_634_422), ArchiveMember(name: "imdb_test.csv", size: 32_852_936),
                        ArchiveMember(name: "aclImdb_README", size: 4_037)])
        XCTAssertEqual(try ArchiveReader(path: agNews).members().map(\.name),
                       ["ag_news_csv/readme.txt", "ag_news_csv/test.csv", "ag_news_csv/classes.txt"])
        XCTAssertEqual(try ArchiveReader(path: sms).readAll().count, 477_907)
    }
}
