import Common
import Datasets
import Foundation
import XCTest

/// Broken sources and specs, each written by the test, each failing with a message that names
/// the file, member, line/row or key at fault.
final class BadInputTests: DatasetTestCase {
    private let goodCSV = "text,label\nfirst text,a\nsecond text,b\nthird text,a\nfourth text,b\n"

    /// A spec in the test directory: `fields` over defaults (text/label columns, a 50/50 split).
    private func spec(_ fields: [String: Any], file: String = "spec.json") throws -> SpecDataset {
        var all: [String: Any] = ["name": "t", "source": ["path": "data.csv"], "text": "text", "label": "label",
                                  "splits": ["ratios": ["train": 0.5, "test": 0.5]]]
        for (key, value) in fields { all[key] = value }
        return try SpecDataset(json: JSONSerialization.data(withJSONObject: all, options: [.sortedKeys]), specFile: url(file))
    }

    private func load(_ fields: [String: Any]) throws -> RawDataset {
        try spec(fields).load(using: emptyStore())
    }

    // MARK: - Sources

    func testMissingMemberNamesTheArchiveAndTheMembers() throws {
        try archive("data.zip", .zip(compressed: true), [("other.csv", goodCSV)])
        assertReadError(.missingMember, mentions: [url("data.zip").path, "train.csv", "other.csv"]) {
            try load(["source": ["path": "data.zip"], "splits": ["files": ["train": "train.csv", "test": "other.csv"]]])
        }
        assertReadError(.missingMember, mentions: ["*.tsv"]) { try load(["source": ["path": "data.zip", "member": "*.tsv"]]) }
    }

    func testAmbiguousOrMissingMemberChoice() throws {
        try archive("two.zip", .zip(compressed: false), [("a.csv", goodCSV), ("b.csv", goodCSV)])
        assertReadError(.ambiguousMember, mentions: ["*.csv", "a.csv", "b.csv"]) { try load(["source": ["path": "two.zip", "member": "*.csv"]]) }
        assertReadError(.memberRequired, mentions: ["two.zip", "holds 2 files"]) { try load(["source": ["path": "two.zip"]]) }
    }

    func testMissingFile() throws {
        assertReadError(.fileNotFound, mentions: [url("nowhere.csv").path]) { try load(["source": ["path": "nowhere.csv"]]) }
        // Files are read in parallel, but the error reported is always the first file's.
        for _ in 0 ..< 5 {
            assertReadError(.fileNotFound, mentions: [url("first.csv").path]) {
                try load(["source": NSNull(), "splits": ["files": ["train": "first.csv", "test": "second.csv"]]])
            }
        }
    }

    func testWrongDelimiterSaysEveryRowHasOneField() throws {
        try write("text\tlabel\nfirst\ta\nsecond\tb\n", to: "data.csv")
        assertReadError(.unknownColumn, mentions: [url("data.csv").path, "single field", "tab"]) {
            try load(["source": ["path": "data.csv"], "format": "csv"])
        }
        // Without a header, by index.
        try write("a;first\nb;second\n", to: "plain.csv")
        assertReadError(.unknownColumn, mentions: ["plain.csv", "single field", "\";\""]) {
            try load(["source": ["path": "plain.csv"], "header": false, "text": 1, "label": 0])
        }
    }

    func testLabelColumnThatDoesNotExist() throws {
        try write(goodCSV, to: "data.csv")
        assertReadError(.unknownColumn, mentions: [url("data.csv").path, "\"category\"", "\"text\", \"label\""]) {
            try load(["source": ["path": "data.csv"], "label": "category"])
        }
    }

    func testLabelNotInTheLabelMap() throws {
        try write("text,label\nfine,0\nalso fine,1\nodd one,7\n", to: "data.csv")
        assertReadError(.invalidValue, mentions: [url("data.csv").path, "line 4", "data row 3", "\"7\"", "label map"]) {
            try load(["source": ["path": "data.csv"], "label_map": ["0": "neg", "1": "pos"]])
        }
        try write("text,label\nfine,neg\nalso fine,pos\nodd one,maybe\n", to: "named.csv")
        assertReadError(.invalidValue, mentions: ["named.csv", "line 4", "\"maybe\"", "\"neg\", \"pos\""]) {
            try load(["source": ["path": "named.csv"], "labels": ["neg", "pos"]])
        }
        // With bad_rows "skip" the row is counted instead.
        let raw = try load(["source": ["path": "data.csv"], "label_map": ["0": "neg", "1": "pos"], "bad_rows": "skip"])
        XCTAssertEqual(raw.sources[0].examples.count, 2)
        XCTAssertEqual(raw.skipped.countsByReason, [SkipReport.Reason.unknownLabel: 1])
        XCTAssertEqual(raw.skipped.rows.first?.line, 4)
    }

    func testASplitWithNoExamples() throws {
        try write(goodCSV, to: "train.csv")
        try write("text,label\n", to: "dev.csv")
        try write(goodCSV, to: "test.csv")
        assertThrows(DatasetError.self, mentions: ["validation split has no examples", "validation: 0"]) {
            try spec(["source": NSNull(), "splits": ["files": ["train": "train.csv", "validation": "dev.csv", "test": "test.csv"]]]).loadSplits(using: emptyStore())
        }
        try write("", to: "empty.csv")
        assertReadError(.emptyFile, mentions: [url("empty.csv").path]) {
            try load(["source": NSNull(), "splits": ["files": ["train": "train.csv", "test": "empty.csv"]]])
        }
    }

    func testAClassWithNoTrainingExamples() throws {
        try write("text,label\none,a\ntwo,a\n", to: "train.csv")
        try write(goodCSV, to: "test.csv")
        assertThrows(DatasetError.self, mentions: ["\"b\"", "training split"]) {
            try spec(["source": NSNull(), "splits": ["files": ["train": "train.csv", "test": "test.csv"]]]).loadSplits(using: emptyStore())
        }
    }

    func testEmptyTextFailsUnlessSkipped() throws {
        try write("text,label\nfine,a\n   ,b\nalso fine,b\n\"\",a\n", to: "data.csv")
        assertReadError(.invalidValue, mentions: [url("data.csv").path, "line 3", "data row 2", "empty text"]) {
            try load(["source": ["path": "data.csv"]])
        }
        let raw = try load(["source": ["path": "data.csv"], "bad_rows": "skip"])
        XCTAssertEqual(raw.sources[0].examples.map(\.row), [1, 3])
        XCTAssertEqual(raw.skipped.countsByReason, [SkipReport.Reason.emptyText: 2])
        XCTAssertEqual(raw.skipped.rows.map(\.row), [2, 4])
    }

    func testInvalidUTF8FailsOrIsSkipped() throws {
        var bytes = Array("text,label\nfine,a\n".utf8)
        bytes += [0x62, 0x61, 0x64, 0xC3, 0x28] + Array(",b\nalso fine,b\nfourth,a\n".utf8)
        try write(bytes, to: "data.csv")
        assertReadError(.invalidUTF8, mentions: [url("data.csv").path, "line 3", "data row 2", "\"text\""]) {
            try load(["source": ["path": "data.csv"]])
        }
        let raw = try load(["source": ["path": "data.csv"], "bad_rows": "skip"])
        XCTAssertEqual(raw.sources[0].examples.map(\.text), ["fine", "also fine", "fourth"])
        XCTAssertEqual(raw.sources[0].examples.map(\.row), [1, 3, 4], "rows keep their file numbering")
        XCTAssertEqual(raw.skipped.countsByReason, [SkipReport.Reason.invalidUTF8: 1])
        // encoding_errors "replace" keeps the row with U+FFFD.
        let replaced = try load(["source": ["path": "data.csv"], "encoding_errors": "replace"])
        XCTAssertEqual(replaced.sources[0].examples[1].text, "bad\u{FFFD}(")
    }

    func testWrongFieldCountFailsOrIsSkipped() throws {
        try write("text,label\nfine,a\ntoo,many,fields\nok,b\n", to: "data.csv")
        assertReadError(.wrongFieldCount, mentions: ["data.csv", "line 3", "expected 2 fields, found 3"]) {
            try load(["source": ["path": "data.csv"]])
        }
        let raw = try load(["source": ["path": "data.csv"], "bad_rows": "skip"])
        XCTAssertEqual(raw.sources[0].examples.count, 2)
        XCTAssertEqual(raw.skipped.count, 1)
        XCTAssertEqual(raw.skipped.rows.first?.reason, SkipReport.Reason.wrongFieldCount)
        XCTAssertTrue(raw.skipped.summary.contains("1 row skipped: 1 wrong field count"), raw.skipped.summary)
    }

    func testSkippedRowsAreListedInFileOrder() throws {
        try write("text,label\nfine,a\ntoo,many,fields\n ,b\nok,c\nshort\nlast,b\n", to: "data.csv")
        let raw = try load(["source": ["path": "data.csv"], "labels": ["a", "b"], "bad_rows": "skip"])
        XCTAssertEqual(raw.skipped.rows.map(\.line), [3, 4, 5, 6])
        XCTAssertEqual(raw.skipped.rows.map(\.reason), [SkipReport.Reason.wrongFieldCount, SkipReport.Reason.emptyText,
                                                       SkipReport.Reason.unknownLabel, SkipReport.Reason.wrongFieldCount])
        XCTAssertEqual(raw.sources[0].examples.map(\.text), ["fine", "last"])
    }

    // MARK: - Spec files

    func testUnknownKeyNamesTheKeyAndTheFile() throws {
        assertThrows(DatasetSpecError.self, mentions: [url("spec.json").path, "'lables'", "did you mean 'labels'"]) {
            try spec(["lables": ["a", "b"]])
        }
        assertThrows(DatasetSpecError.self, mentions: ["'splits.ratio'", "did you mean 'splits.ratios'"]) {
            try spec(["splits": ["ratio": ["train": 1]]])
        }
        assertThrows(DatasetSpecError.self, mentions: ["'source.paht'"]) { try spec(["source": ["paht": "x.csv"]]) }
    }

    func testTypeErrorsNameTheKey() throws {
        assertThrows(DatasetSpecError.self, mentions: ["'header'", "true or false", "\"yes\""]) { try spec(["header": "yes"]) }
        assertThrows(DatasetSpecError.self, mentions: ["'splits.seed'", "whole number"]) {
            try spec(["splits": ["ratios": ["train": 1], "seed": 1.5]])
        }
        assertThrows(DatasetSpecError.self, mentions: ["'splits.ratios.train'", "a number", "\"0.8\""]) {
            try spec(["splits": ["ratios": ["train": "0.8"]]])
        }
        assertThrows(DatasetSpecError.self, mentions: ["'labels[1]'", "a string"]) { try spec(["labels": ["a", 2]]) }
        assertThrows(DatasetSpecError.self, mentions: ["'splits.stratify'", "true or false", "1"]) {
            try spec(["splits": ["ratios": ["train": 1], "stratify": 1]])
        }
        assertThrows(DatasetSpecError.self, mentions: ["'delimiter'", "one ASCII character"]) { try spec(["delimiter": ";;"]) }
        assertThrows(DatasetSpecError.self, mentions: ["'format'", "\"xlsx\""]) { try spec(["format": "xlsx"]) }
        assertThrows(DatasetSpecError.self, mentions: ["'text'", "column"]) { try spec(["text": true]) }
    }

    func testInconsistentSpecsAreErrors() throws {
        assertThrows(DatasetSpecError.self, mentions: ["'splits'", "sum to 1"]) { try spec(["splits": ["ratios": ["train": 0.5, "test": 0.4]]]) }
        assertThrows(DatasetSpecError.self, mentions: ["'label_map.1'", "\"maybe\"", "not in \"labels\""]) {
            try spec(["labels": ["no", "yes"], "label_map": ["0": "no", "1": "maybe"]])
        }
        assertThrows(DatasetSpecError.self, mentions: ["'text'", "header\" is false"]) { try spec(["header": false, "label": 0]) }
        assertThrows(DatasetSpecError.self, mentions: ["'splits.files'", "\"test\""]) { try spec(["splits": ["files": ["train": "a.csv"]]]) }
        assertThrows(DatasetSpecError.self, mentions: ["'splits.files.dev'"]) {
            try spec(["splits": ["files": ["train": "a.csv", "dev": "b.csv", "test": "c.csv"]]])
        }
        assertThrows(DatasetSpecError.self, mentions: ["'source'", "required"]) { try spec(["source": NSNull()]) }
        assertThrows(DatasetSpecError.self, mentions: ["'name'"]) { try spec(["name": "has space", "source": ["path": "x.csv"]]) }
        assertThrows(DatasetSpecError.self, mentions: ["'source.file'", "required"]) { try spec(["source": ["dataset": "imdb"]]) }
        assertThrows(DatasetSpecError.self, mentions: ["'source.dataset'", "not both"]) { try spec(["source": ["dataset": "imdb", "path": "x"]]) }
        assertThrows(DatasetSpecError.self, mentions: ["'source.member'", "splits.files"]) {
            try spec(["source": ["path": "x.zip", "member": "a.csv"], "splits": ["files": ["train": "a.csv", "test": "b.csv"]]])
        }
        assertThrows(DatasetSpecError.self, mentions: ["'version'"]) { try spec(["version": 2, "source": ["path": "x.csv"]]) }
    }

    /// Found by Fuzz/FuzzSpec: a key holding an escaped CR (`"encoding_\\rrors"`) printed a line
    /// break in the middle of the message.
    func testMessagesQuotingTheSpecStayOneLine() throws {
        assertThrows(DatasetSpecError.self, mentions: ["'encoding_\\rrors'", "did you mean 'encoding_errors'"]) {
            try spec(["encoding_\rrors": "replace"])
        }
        assertThrows(DatasetSpecError.self, mentions: ["\"two\\nlines\" is not a usable dataset name"]) { try spec(["name": "two\nlines"]) }
        assertThrows(DatasetSpecError.self, mentions: ["'labels'", "\"a\\u{2028}b\""]) { try spec(["labels": ["a\u{2028}b", "a\u{2028}b"]]) }
    }

    /// Found by Fuzz/FuzzSpec: a whole-numbered ratio beyond Int's range ("test": 8.9e52) trapped
    /// while the "must lie in [0, 1]" message printed it (Int(Double) overflow).
    func testHugeRatiosAreErrorsNotTraps() throws {
        assertThrows(DatasetSpecError.self, mentions: ["'splits'", "must lie in [0, 1]", "0.7/0.15/8.888888888888889e+52"]) {
            try spec(["splits": ["ratios": ["train": 0.7, "validation": 0.15, "test": 8.888888888888889e52]]])
        }
        XCTAssertThrowsError(try SplitPolicy.ratios(train: .infinity, validation: 0, test: 0).validate()) { error in
            XCTAssertTrue("\(error)".contains("inf/0/0"), "\(error)")
        }
    }

    func testInvalidJSONAndMissingSpec() throws {
        let file = try write("{\"name\": \"t\",\n \"text\": }", to: "broken.json")
        assertThrows(DatasetSpecError.self, mentions: [file.path, "not valid JSON"]) { try SpecDataset(contentsOf: file) }
        assertThrows(DatasetSpecError.self, mentions: [url("absent.json").path, "no such file"]) { try SpecDataset(contentsOf: url("absent.json")) }
        let array = try write("[1, 2]", to: "array.json")
        assertThrows(DatasetSpecError.self, mentions: ["top level", "an array"]) { try SpecDataset(contentsOf: array) }
    }
}
