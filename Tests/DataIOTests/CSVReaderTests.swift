import Common
import DataIO
import Foundation
import XCTest

final class CSVReaderTests: TempDirTestCase {
    private func rows(_ text: String, _ format: CSVFormat = .csv, columns: [CSVColumn]? = nil) throws -> [[String]] {
        try CSVReader(MemoryByteStream(text), format: format, columns: columns).readAll()
    }

    private func rows(_ bytes: [UInt8], _ format: CSVFormat = .csv) throws -> [[String]] {
        try CSVReader(MemoryByteStream(bytes), format: format).readAll()
    }

    private var noHeader: CSVFormat { var f = CSVFormat.csv; f.hasHeader = false; return f }

    // MARK: - RFC 4180

    /// Expected values are what Python's `csv.reader(io.StringIO(text, newline=""))` returns
    /// (blank lines, which Python returns as [], are skipped as `csv.DictReader` does).
    static let rfcText = "\u{FEFF}id,text,note\r\n"
        + "1,plain,x\r\n"
        + "2,\"with, comma\",\"two\r\nlines\"\r\n"
        + "\r\n"
        + "3,\"say \"\"hi\"\"\",\"\"\n"
        + "4,,\"\"\"\"\n"
        + "5,trailing,\"ab\"c\n"
        + "6,\"é\nü\n\",last"
    static let rfcRows = [["1", "plain", "x"], ["2", "with, comma", "two\r\nlines"], ["3", "say \"hi\"", ""],
                          ["4", "", "\""], ["5", "trailing", "abc"], ["6", "é\nü\n", "last"]]

    func testRFC4180QuotingLineEndsAndBOM() throws {
        let reader = try CSVReader(MemoryByteStream(Self.rfcText))
        XCTAssertEqual(reader.header, ["id", "text", "note"])
        XCTAssertEqual(reader.fieldCount, 3)
        var got: [[String]] = [], lines: [Int] = [], rowNumbers: [Int] = []
        while let row = try reader.next() {
            got.append(row)
            lines.append(reader.line)
            rowNumbers.append(reader.row)
        }
        XCTAssertEqual(got, Self.rfcRows)
        // Row 2's field spans lines 3-4, line 5 is blank, row 6 starts on line 9 after a 3-line field.
        XCTAssertEqual(lines, [2, 3, 6, 7, 8, 9])
        XCTAssertEqual(rowNumbers, [1, 2, 3, 4, 5, 6])
    }

    func testEveryChunkBoundaryGivesTheSameRows() throws {
        let bytes = Array(Self.rfcText.utf8)
        for step in 1...9 {
            let reader = try CSVReader(MemoryByteStream(bytes, location: DataLocation(file: "trickle.csv"), maxRead: step))
            XCTAssertEqual(reader.header, ["id", "text", "note"], "step \(step)")
            XCTAssertEqual(try reader.readAll(), Self.rfcRows, "step \(step)")
        }
    }

    func testLoneCRAndLFLineEndsAndMissingFinalNewline() throws {
        XCTAssertEqual(try rows("a,b\r1,2\r3,4", .csv), [["1", "2"], ["3", "4"]])
        XCTAssertEqual(try rows("a,b\n1,2\n3,4\n", .csv), [["1", "2"], ["3", "4"]])
        XCTAssertEqual(try rows("a,b\r\n1,2\r\n\r\n3,4\r\n", .csv), [["1", "2"], ["3", "4"]])
    }

    func testEmptyFieldsAndTrailingDelimiter() throws {
        XCTAssertEqual(try rows("a,b,c\n,,\n1,,\n\"\",x,\n", .csv), [["", "", ""], ["1", "", ""], ["", "x", ""]])
    }

    func testTSVWithQuotes() throws {
        XCTAssertEqual(try rows("label\tsentence\n0\t\"a\tb\"\n1\tit 's\n", .tsv), [["0", "a\tb"], ["1", "it 's"]])
    }

    // MARK: - No quoting

    func testNoQuotingKeepsRawQuotes() throws {
        var sms = CSVFormat.tsv
        sms.hasHeader = false
        sms.quoting = .none
        let text = "ham\t\"Hi\" he said\nspam\t\"WIN cash\nham\tok\"\nham\t\"\"\n"
        XCTAssertEqual(try rows(text, sms), [["ham", "\"Hi\" he said"], ["spam", "\"WIN cash"], ["ham", "ok\""], ["ham", "\"\""]])
        // RFC 4180 quoting reads the same bytes differently: the quote opened on line 2 swallows
        // line 3 (as pandas' default does to SMSSpamCollection).
        var quoted = sms
        quoted.quoting = .rfc4180
        XCTAssertEqual(try rows(text, quoted), [["ham", "Hi he said"], ["spam", "WIN cash\nham\tok"], ["ham", ""]])
    }

    // MARK: - Header and columns

    func testColumnsByNameAndIndex() throws {
        let text = "label,rating,id,text\npos,9,a1,great\nneg,2,a2,\"bad, bad\"\n"
        XCTAssertEqual(try rows(text, columns: ["text", "label"]), [["great", "pos"], ["bad, bad", "neg"]])
        XCTAssertEqual(try rows(text, columns: [3, 0]), [["great", "pos"], ["bad, bad", "neg"]])
        XCTAssertEqual(try rows(text, columns: [.name("id"), .index(1)]), [["a1", "9"], ["a2", "2"]])
        let reader = try CSVReader(MemoryByteStream(text), columns: ["text", "label"])
        XCTAssertEqual(reader.columnIndices, [3, 0])
        XCTAssertEqual(reader.columnNames, ["text", "label"])
    }

    func testNoHeaderTakesFieldCountFromFirstRow() throws {
        let reader = try CSVReader(MemoryByteStream("3,\"Wall St.\",\"Short sellers\"\n4,Tech,\"a\nb\"\n"), format: noHeader, columns: [0, 2])
        XCTAssertNil(reader.header)
        XCTAssertNil(reader.columnNames)
        XCTAssertEqual(reader.fieldCount, 3)
        XCTAssertEqual(try reader.readAll(), [["3", "Short sellers"], ["4", "a\nb"]])
    }

    func testUnknownColumns() {
        let text = "label,text\nham,hi\n"
        assertReadError(.unknownColumn, mentions: ["<memory>", "\"txt\"", "\"label\", \"text\""]) { try rows(text, columns: ["txt"]) }
        assertReadError(.unknownColumn, mentions: ["no column 2", "2 fields"]) { try rows(text, columns: [2]) }
        assertReadError(.unknownColumn, mentions: ["no header", "index"]) { try rows(text, noHeader, columns: ["text"]) }
    }

    func testHeaderOnlyFileHasNoRows() throws {
        let reader = try CSVReader(MemoryByteStream("label,text\n"))
        XCTAssertEqual(reader.header, ["label", "text"])
        XCTAssertNil(try reader.next())
    }

    // MARK: - Invalid UTF-8

    private let badUTF8: [UInt8] = Array("label,text\nham,ok\nspam,caf".utf8) + [0xE9] + Array(" x\nham,fine\n".utf8)

    func testInvalidUTF8FailsNamingLineRowAndColumn() throws {
        let location = DataLocation(file: "bad.csv")
        assertReadError(.invalidUTF8, mentions: ["bad.csv", "line 3 (data row 2)", "column \"text\"", "byte 3", "0xe9", ".replace"]) {
            try CSVReader(MemoryByteStream(badUTF8, location: location)).readAll()
        }
    }

    func testInvalidUTF8ReplacedWhenAsked() throws {
        var format = CSVFormat.csv
        format.invalidUTF8 = .replace
        XCTAssertEqual(try rows(badUTF8, format), [["ham", "ok"], ["spam", "caf\u{FFFD} x"], ["ham", "fine"]])
    }

    func testInvalidUTF8InAColumnNotReadIsNoError() throws {
        XCTAssertEqual(try CSVReader(MemoryByteStream(badUTF8), columns: ["label"]).readAll(), [["ham"], ["spam"], ["ham"]])
    }

    func testInvalidUTF8InHeader() {
        assertReadError(.invalidUTF8, mentions: ["line 1", "header field 2"]) { try rows([0x61, 0x2C, 0xFF, 0x0A, 0x31, 0x2C, 0x32]) }
    }

    // MARK: - Wrong field counts

    private let ragged = "label,text\nham,\"two\nlines\"\nspam,a,b\nham,ok\nham\nspam,fine\n"

    func testWrongFieldCountFailsNamingLineAndRow() {
        // Data row 2 starts on line 4: row 1's quoted field spans lines 2-3.
        assertReadError(.wrongFieldCount, mentions: ["x.csv", "line 4 (data row 2)", "expected 2 fields, found 3"]) {
            try CSVReader(MemoryByteStream(ragged, location: DataLocation(file: "x.csv"))).readAll()
        }
    }

    func testWrongFieldCountSkippedAndCountedWhenAsked() throws {
        var format = CSVFormat.csv
        format.wrongFieldCount = .skip
        let reader = try CSVReader(MemoryByteStream(ragged), format: format)
        XCTAssertEqual(try reader.readAll(), [["ham", "two\nlines"], ["ham", "ok"], ["spam", "fine"]])
        XCTAssertEqual(reader.skippedCount, 2)
        XCTAssertEqual(reader.skipped.map(\.line), [4, 6])
        XCTAssertEqual(reader.skipped.map(\.row), [2, 4])
        XCTAssertTrue(reader.skipped[0].reason.contains("expected 2 fields, found 3"), reader.skipped[0].reason)
        XCTAssertTrue(reader.skipped[1].reason.contains("found 1"), reader.skipped[1].reason)
    }

    func testExplicitFieldCount() {
        var format = noHeader
        format.fieldCount = 3
        assertReadError(.wrongFieldCount, mentions: ["line 1 (data row 1)", "expected 3 fields, found 2"]) { try rows("a,b\n", format) }
    }

    // MARK: - Other bad input

    func testEmptyFile() throws {
        assertReadError(.emptyFile, mentions: ["e.csv", "0 bytes"]) { try CSVReader(path: try write("", to: "e.csv")) }
        assertReadError(.emptyFile, mentions: ["b.csv", "blank lines"]) { try CSVReader(path: try write("\n\r\n\n", to: "b.csv")) }
        assertReadError(.emptyFile, mentions: ["bom.csv"]) { try CSVReader(path: try write([0xEF, 0xBB, 0xBF], to: "bom.csv")) }
    }

    func testUnterminatedQuote() {
        assertReadError(.unterminatedQuote, mentions: ["line 3 (data row 2)", "opened on line 4", "quoting .none"]) {
            try rows("a,b,c\n1,2,3\n4,\"x\ny\",\"open\n\"\"more\n5,6,7\n")
        }
    }

    func testBadDelimiter() {
        var format = CSVFormat.csv
        format.delimiter = "\""
        assertReadError(.invalidValue, mentions: ["delimiter"]) { try rows("a\n", format) }
        format.delimiter = "§"
        assertReadError(.invalidValue, mentions: ["delimiter"]) { try rows("a\n", format) }
    }

    func testCallerErrorsPointAtTheLastRow() throws {
        let reader = try CSVReader(MemoryByteStream("label,text\nham,a\nhma,b\n", location: DataLocation(file: "d.zip", member: "t.csv")))
        _ = try reader.next()
        let row = try reader.next()
        XCTAssertEqual(row, ["hma", "b"])
        let error = reader.error("unknown label \"hma\"; labels are ham, spam")
        XCTAssertEqual(error.description, "d.zip, member t.csv, line 3 (data row 2): unknown label \"hma\"; labels are ham, spam")
        XCTAssertEqual(error.kind, .invalidValue)
    }

    // MARK: - Through archives

    func testReadsMembersOfArchivesAndPlainFiles() throws {
        let text = "label,text\nham,\"hi, there\"\nspam,win\n"
        let expected = [["ham", "hi, there"], ["spam", "win"]]
        XCTAssertEqual(try CSVReader(path: archive("d.zip", .zip(compressed: true), [("dir/train.csv", text), ("x", "")]),
                                     member: "*/train.csv").readAll(), expected)
        XCTAssertEqual(try CSVReader(path: archive("d.tar.gz", .tar(gzip: true), [("train.csv", text)])).readAll(), expected)
        XCTAssertEqual(try CSVReader(path: write(text, to: "train.csv")).readAll(), expected)
    }

    func testErrorsInsideArchiveMembersNameFileMemberAndLine() throws {
        let file = try archive("d.zip", .zip(compressed: true), [("train.csv", "label,text\nham,hi\nspam\n")])
        assertReadError(.wrongFieldCount, mentions: [file, "member train.csv", "line 3 (data row 2)"]) {
            try CSVReader(path: file, member: "train.csv").readAll()
        }
        let empty = try archive("e.zip", .zip(compressed: false), [("train.csv", "")])
        assertReadError(.emptyFile, mentions: [empty, "member train.csv", "0 bytes"]) { try CSVReader(path: empty) }
    }
}
