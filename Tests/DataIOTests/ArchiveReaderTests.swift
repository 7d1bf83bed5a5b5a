import Common
import DataIO
import Foundation
import XCTest

final class ArchiveReaderTests: TempDirTestCase {
    /// Text big enough to span many read chunks and deflate blocks, and not trivially compressible.
    private func bigText(lines: Int = 40_000) -> String {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var text = "id,text\n"
        for i in 0..<lines {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            text += "\(i),word\(state >> 40) ünïcødé \(state % 977)\n"
        }
        return text
    }

    private let smallMembers = [("train.csv", "label,text\nham,hi\n"), ("data/test.csv", "label,text\nspam,win!\n"),
                                ("readme.txt", "about\n")]

    // MARK: - Round trips through each container

    func testZipStoredAndDeflatedListAndStreamMembers() throws {
        let big = bigText()
        for compressed in [false, true] {
            let file = try archive("d\(compressed).zip", .zip(compressed: compressed), smallMembers + [("big.csv", big)])
            let reader = try ArchiveReader(path: file)
            XCTAssertEqual(reader.kind, .zip)
            XCTAssertEqual(try reader.members().map(\.name), ["train.csv", "data/test.csv", "readme.txt", "big.csv"])
            XCTAssertEqual(try reader.members().map(\.size), [18, 21, 6, big.utf8.count])
            XCTAssertEqual(try reader.readAll(member: "big.csv"), Array(big.utf8))
            XCTAssertEqual(try reader.open(member: "data/test.csv").readAllText(), "label,text\nspam,win!\n")
            // Opening a second member after reading the first starts a fresh pass.
            XCTAssertEqual(try reader.open(member: "train.csv").readAllText(), "label,text\nham,hi\n")
        }
    }

    func testTarAndTarGzListAndStreamMembers() throws {
        let big = bigText()
        for (name, gzip) in [("d.tar", false), ("d.tar.gz", true), ("d.tgz", true)] {
            let file = try archive(name, .tar(gzip: gzip), smallMembers + [("big.csv", big)])
            let reader = try ArchiveReader(path: file)
            XCTAssertEqual(reader.kind, .tar, name)
            XCTAssertEqual(try reader.members(), [ArchiveMember(name: "train.csv", size: 18), ArchiveMember(name: "data/test.csv", size: 21),
                                                  ArchiveMember(name: "readme.txt", size: 6), ArchiveMember(name: "big.csv", size: big.utf8.count)])
            XCTAssertEqual(try reader.readAll(member: "big.csv"), Array(big.utf8), name)
            XCTAssertEqual(try reader.open(member: "readme.txt").readAllText(), "about\n", name)
        }
    }

    func testSingleGzipFileIsOneMemberNamedWithoutSuffix() throws {
        let big = bigText()
        try ArchiveWriter.write([(name: "x", bytes: Array(big.utf8))], format: .gzipFile, to: path("train.csv.gz"))
        let reader = try ArchiveReader(path: path("train.csv.gz"))
        XCTAssertEqual(reader.kind, .compressedFile)
        XCTAssertEqual(try reader.members().map(\.name), ["train.csv"])
        XCTAssertEqual(try reader.readAll(), Array(big.utf8))
        XCTAssertEqual(try reader.readAll(member: "train.csv"), Array(big.utf8))
    }

    func testPlainFileIsItsOwnMember() throws {
        let file = try write("a\tb\n1\t2\n", to: "plain.tsv")
        let reader = try ArchiveReader(path: file)
        XCTAssertEqual(reader.kind, .plainFile)
        XCTAssertEqual(try reader.members(), [ArchiveMember(name: "plain.tsv", size: 8)])
        XCTAssertEqual(try reader.open().readAllText(), "a\tb\n1\t2\n")
        XCTAssertEqual(try reader.open(member: "plain.tsv").readAllText(), "a\tb\n1\t2\n")
        XCTAssertEqual(try reader.open(member: "*.tsv").readAllText(), "a\tb\n1\t2\n")
        assertReadError(.missingMember, mentions: [file, "plain file", "train.csv"]) { try reader.open(member: "train.csv") }
    }

    func testArchiveIsRecognisedByContentNotName() throws {
        let file = try archive("download", .zip(compressed: true), [("SMSSpamCollection", "ham\thi\n")])
        let reader = try ArchiveReader(path: file)
        XCTAssertEqual(reader.kind, .zip)
        XCTAssertEqual(try reader.open().readAllText(), "ham\thi\n")
    }

    // MARK: - Naming members

    func testGlobsMatchExactlyOneMember() throws {
        let file = try archive("d.zip", .zip(compressed: true), smallMembers)
        let reader = try ArchiveReader(path: file)
        XCTAssertEqual(try reader.member("*/test.csv").name, "data/test.csv")
        XCTAssertEqual(try reader.member("*.txt").name, "readme.txt")
        XCTAssertEqual(try reader.member("train.cs?").name, "train.csv")
        assertReadError(.ambiguousMember, mentions: [file, "*.csv", "train.csv", "data/test.csv"]) { try reader.member("*.csv") }
        assertReadError(.missingMember, mentions: [file, "*.json", "train.csv, data/test.csv, readme.txt"]) { try reader.member("*.json") }
    }

    func testNoMemberNameNeedsASingleFileArchive() throws {
        let one = try archive("one.zip", .zip(compressed: true), [("only.csv", "a\n")])
        XCTAssertEqual(try ArchiveReader(path: one).open().readAllText(), "a\n")
        let many = try archive("many.zip", .zip(compressed: true), smallMembers)
        assertReadError(.memberRequired, mentions: [many, "3 files", "train.csv, data/test.csv, readme.txt"]) {
            try ArchiveReader(path: many).open()
        }
    }

    func testLeadingDotSlashInTarNamesIsIgnored() throws {
        let file = try archive("d.tar", .tar(gzip: false), [("./train.csv", "x\n")])
        XCTAssertEqual(try ArchiveReader(path: file).open(member: "train.csv").readAllText(), "x\n")
        XCTAssertEqual(try ArchiveReader(path: file).open(member: "*train.csv").readAllText(), "x\n")
    }

    // MARK: - Bad input

    func testMissingFile() {
        let file = path("nope.zip")
        assertReadError(.fileNotFound, mentions: [file, "no such file"]) { try ArchiveReader(path: file) }
    }

    func testDirectory() {
        assertReadError(.notReadable, mentions: [dir.path, "directory"]) { try ArchiveReader(path: dir.path) }
    }

    func testZipNameHoldingTextIsNotAnArchive() throws {
        let file = try write("label,text\nham,hello\n", to: "data.zip")
        assertReadError(.notAnArchive, mentions: [file, "not a zip archive", "label,text"]) { try ArchiveReader(path: file) }
        let gz = try write("label,text\n", to: "data.csv.gz")
        assertReadError(.notAnArchive, mentions: [gz, "not a compressed file", "label,text"]) { try ArchiveReader(path: gz) }
        let tar = try write([0x00, 0x01, 0x02], to: "data.tar")
        assertReadError(.notAnArchive, mentions: [tar, "not a tar archive", "00 01 02"]) { try ArchiveReader(path: tar) }
    }

    func testTarGzNameHoldingAZipIsNotAnArchive() throws {
        let file = try archive("data.tar.gz", .zip(compressed: true), [("a.csv", "a\n")])
        assertReadError(.notAnArchive, mentions: [file, "compressed tar", "zip archive"]) { try ArchiveReader(path: file) }
    }

    func testTarGzNameHoldingAPlainGzipIsNotAnArchive() throws {
        try ArchiveWriter.write([(name: "x", bytes: Array("a,b\n".utf8))], format: .gzipFile, to: path("data.tar.gz"))
        assertReadError(.notAnArchive, mentions: [path("data.tar.gz"), "not a tar archive"]) { try ArchiveReader(path: path("data.tar.gz")) }
    }

    func testEmptyFileNamedAsArchive() throws {
        let file = try write([], to: "empty.zip")
        assertReadError(.emptyFile, mentions: [file, "0 bytes"]) { try ArchiveReader(path: file) }
    }

    func testMissingMemberListsTheMembers() throws {
        let file = try archive("d.zip", .zip(compressed: true), smallMembers)
        assertReadError(.missingMember, mentions: [file, "\"test.csv\"", "train.csv, data/test.csv, readme.txt"]) {
            try ArchiveReader(path: file).open(member: "test.csv")
        }
    }

    /// Reads a member the way a caller would, so errors may come from listing, opening or reading.
    private func readMember(_ file: String, _ member: String) throws -> [UInt8] {
        try ArchiveReader(path: file).open(member: member).readAll()
    }

    func testTruncatedZip() throws {
        for compressed in [false, true] {
            let file = try archive("t.zip", .zip(compressed: compressed), [("big.csv", bigText())])
            let whole = try bytes(of: file)
            for fraction in [0.3, 0.6, 0.95] {
                try write(Array(whole.prefix(Int(Double(whole.count) * fraction))), to: "t.zip")
                assertReadError(.corruptArchive, mentions: [file]) { try readMember(file, "big.csv") }
            }
            // Missing only the end of the central directory: the data is whole, but the member list
            // cannot be trusted, so the zip is rejected as truncated (as Python's zipfile does).
            try write(Array(whole.dropLast(10)), to: "t.zip")
            assertReadError(.corruptArchive, mentions: [file, "truncated"]) { try readMember(file, "big.csv") }
        }
    }

    func testTruncatedTarGz() throws {
        let file = try archive("t.tar.gz", .tar(gzip: true), [("big.csv", bigText()), ("small.csv", "a\n")])
        let whole = try bytes(of: file)
        for fraction in [0.1, 0.5, 0.99] {
            try write(Array(whole.prefix(Int(Double(whole.count) * fraction))), to: "t.tar.gz")
            assertReadError(.corruptArchive, mentions: [file]) { try readMember(file, "big.csv") }
        }
    }

    func testTruncatedTar() throws {
        let file = try archive("t.tar", .tar(gzip: false), [("big.csv", bigText())])
        let whole = try bytes(of: file)
        try write(Array(whole.prefix(whole.count / 2)), to: "t.tar")
        assertReadError(.corruptArchive, mentions: [file]) { try readMember(file, "big.csv") }
    }

    func testTruncatedSingleGzip() throws {
        try ArchiveWriter.write([(name: "x", bytes: Array(bigText().utf8))], format: .gzipFile, to: path("t.csv.gz"))
        let whole = try bytes(of: path("t.csv.gz"))
        try write(Array(whole.prefix(whole.count / 2)), to: "t.csv.gz")
        assertReadError(.corruptArchive, mentions: [path("t.csv.gz"), "t.csv"]) { try ArchiveReader(path: path("t.csv.gz")).readAll() }
    }

    func testCorruptZipDataNamesTheMember() throws {
        for compressed in [false, true] {
            let file = try archive("c.zip", .zip(compressed: compressed), [("big.csv", bigText()), ("b.csv", "b\n")])
            var damaged = try bytes(of: file)
            // Flip bytes well inside the first member's data: deflate fails, or the CRC check does.
            for i in stride(from: 2_000, to: 2_400, by: 7) { damaged[i] ^= 0x5A }
            try write(damaged, to: "c.zip")
            assertReadError(.corruptArchive, mentions: [file, "member big.csv"]) { try readMember(file, "big.csv") }
        }
    }

    /// A damaged member list used to read as an archive with no members ("(none)").
    func testCorruptCentralDirectoryIsNamed() throws {
        let file = try archive("cd.zip", .zip(compressed: true), smallMembers)
        let whole = try bytes(of: file)
        let entrySignature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
        let entries = (0...(whole.count - 4)).filter { Array(whole[$0..<$0 + 4]) == entrySignature }
        XCTAssertEqual(entries.count, 3)
        // The first entry: libarchive would find no entry at all.
        var damaged = whole
        damaged[entries[0] + 2] = 0x07
        try write(damaged, to: "cd.zip")
        assertReadError(.corruptArchive, mentions: [file, "central directory is corrupt", "no entry starts at byte \(entries[0])"]) {
            try ArchiveReader(path: file).members()
        }
        // A later entry: libarchive stops there and says so.
        damaged = whole
        damaged[entries[1] + 2] = 0x07
        try write(damaged, to: "cd.zip")
        assertReadError(.corruptArchive, mentions: [file, "central directory"]) { try ArchiveReader(path: file).members() }
        // An end record whose directory runs past it.
        damaged = whole
        let end = whole.count - 22
        damaged[end + 16] = 0xFF
        damaged[end + 17] = 0xFF
        try write(damaged, to: "cd.zip")
        assertReadError(.corruptArchive, mentions: [file, "central directory is corrupt", "past its end record"]) { try ArchiveReader(path: file) }
    }

    /// Archives libarchive cannot even open: each is an error naming the file (these crashed
    /// with a double free of the libarchive handle).
    func testArchivesThatCannotBeOpenedAreErrorsNotCrashes() throws {
        let emptyZip: [UInt8] = [0x50, 0x4B, 0x05, 0x06] + Array(repeating: 0, count: 18)
        XCTAssertEqual(try ArchiveReader(path: try write(emptyZip, to: "empty.zip")).members(), [])
        let whole = try bytes(of: try archive("t.tar.gz", .tar(gzip: true), [("big.csv", bigText(lines: 100))]))
        let gzipJunk: [UInt8] = [0x1F, 0x8B] + (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for (name, bytes) in [("short.tar.gz", Array(whole.prefix(12))), ("junk.tar.gz", gzipJunk), ("junk.gz", gzipJunk),
                              ("junk.bin", gzipJunk)] {
            let file = try write(bytes, to: name)
            do {
                _ = try ArchiveReader(path: file).readAll(member: nil)
                XCTFail("\(name): expected an error")
            } catch let error as ReadError {
                XCTAssertTrue(error.description.hasPrefix(file), "\(name): \(error)")
                XCTAssertFalse(error.description.contains("\n"), "\(name): \(error)")
            }
        }
    }

    func testEncryptedZipMember() throws {
        let file = try fixture("encrypted.zip")
        let reader = try ArchiveReader(path: file)
        XCTAssertEqual(try reader.members().map(\.name), ["secret.csv", "open.csv"])
        assertReadError(.encryptedMember, mentions: [file, "member secret.csv", "encrypted"]) { try reader.open(member: "secret.csv") }
        XCTAssertEqual(try reader.open(member: "open.csv").readAllText(), "label,text\nham,see you at 5\n")
    }

    /// Found by Fuzz/FuzzArchive: libarchive's "ZIP uncompressed data is wrong size" message ends
    /// in a newline, which split the error over two lines. (A stored zip member whose local
    /// header says 36 bytes while the central directory says 32.)
    func testLibarchiveMessagesAreOneLine() throws {
        let zip = Data(base64Encoded: """
            UEsDBBQAAAAAAAAAIVihCCMYJAAAACAAAAAIAAAAb25seS5jc3Z0ZXh0LGxhYmVsCmhlbGxvLGhhbQp3aW4gbW9uZXksc3BhbQpQSwMEFAAAAAAAAAAhWAAA\
            AAAAAAAAAAAAAAQAAABkaXIvUEsBAhQDFAAAAAAAAAAhWKEIIxgkAAAAJAAAAAgAAAAAAAAAAAAAAIABAAAAAG9ubHkuY3N2UEsBAhQDFAAAAAAAAAAhWAAA\
            AAAAAAAAAAAAAAQAAAAAAAAAAAAAAIABSgAAAGRpci9QSwUGAAAAAAIAAgBoAAAAbAAAAAAA
            """)!
        let file = try write(Array(zip), to: "sizes.zip")
        assertReadError(.corruptArchive, mentions: ["sizes.zip, member only.csv", "wrong size (read 36, expected 32) (the archive"]) {
            try ArchiveReader(path: file).readAll(member: "only.csv")
        }
    }

    /// Member names and details quoting the data may hold line breaks; the message stays one line.
    func testReadErrorMessagesAreOneLine() {
        let error = ReadError(.missingMember, DataLocation(file: "a.tar", member: "x\ny"), "no member \"b\rc\"\u{2028}")
        XCTAssertEqual(error.description, #"a.tar, member x\ny: no member "b\rc"\u{2028}"#)
    }

    /// Found by Fuzz/FuzzArchive: a stored zip member whose local header gives 33554432 bytes but
    /// whose data is empty read as an empty member, without an error (libarchive does not check).
    func testMemberShorterThanItsSizeIsCorrupt() throws {
        let zip = Data(base64Encoded: """
            UEsDBBQAAAAAAAAAIVihCCMYJAAAYSQAAAAIAAAAb25seS5jc3Z0ZXh0LGxhYmVsCmhlbGxvLGhhbQp3aW4gbW9uZXksc3BhbQpQSwMEFAAAAAAAAAAhWAAA\
            AAAAAAAAAAAAAgQAAABkaSFbUEsBAhQDFAAAAAAAAAAhWKEIIxgkAAAAJAAAAAgAAAAAAAAAAAAAAIBBAAAAAG9ubHkuY3N2UEsBAgMAAAAAAAAAAAAhWAAA\
            AAAAAAAAAAAAAAQAAAAAAAAAAAAAAIABSgAAAGRpci9QSwUGAAAAAAIAAgBoAAAAbAAAAAAA
            """)!
        let file = try write(Array(zip), to: "short-member.zip")
        XCTAssertEqual(try ArchiveReader(path: file).members().last, ArchiveMember(name: "di![", size: 33_554_432))
        assertReadError(.corruptArchive, mentions: ["short-member.zip, member di![", "holds 0 bytes", "33554432"]) {
            try ArchiveReader(path: file).readAll(member: "di![")
        }
    }

    func testErrorsAreInputErrors() {
        let error: Error = ReadError(.missingMember, DataLocation(file: "a.zip", member: "b"), "x")
        XCTAssertTrue(error is InputError)
        XCTAssertEqual((error as? InputError)?.description, "a.zip, member b: x")
    }
}
