import Foundation
import Store
import XCTest
import TestRequirements

final class SHA256Tests: XCTestCase {
    private func hex(_ text: String) -> String { SHA256.hash(Data(text.utf8)).hex }

    /// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", SHA2 additional examples).
    func testNISTVectors() {
        XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        XCTAssertEqual(SHA256.hash(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)).hex,
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Feeding the same bytes in different pieces gives the same digest.
    func testStreamingInAnyPiecesEqualsOneShot() {
        let bytes = testBytes(10_007, seed: 42)
        let oneShot = sha256Hex(bytes)
        for pieceSize in [1, 3, 63, 64, 65, 127, 1000, 4096] {
            var hasher = SHA256()
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + pieceSize)
                hasher.update(Array(bytes[start ..< end]))
                start = end
            }
            XCTAssertEqual(hasher.finalize().hex, oneShot, "pieces of \(pieceSize)")
        }
        var hasher = SHA256()
        hasher.update(bytes)
        XCTAssertEqual(hasher.finalize(), hasher.finalize(), "finalize leaves the hasher unchanged")
    }

    /// Lengths around the padding boundaries (55/56/64 bytes), against coreutils.
    func testPaddingBoundariesAgainstSha256sum() throws {
        let dir = try makeTempDirectory(self, "sha")
        for length in [1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1_000] {
            let bytes = testBytes(length, seed: UInt64(length))
            let file = dir.appendingPathComponent("len\(length)")
            try Data(bytes).write(to: file)
            XCTAssertEqual(try SHA256.hash(fileAt: file).hex, try sha256sum(file), "length \(length)")
            XCTAssertEqual(sha256Hex(bytes), try sha256sum(file), "length \(length)")
        }
    }

    func testMirrorFileAgainstSha256sum() throws {
        let file = try sharedMirror().appendingPathComponent("datasets/imdb/imdb.zip")
        guard FileManager.default.fileExists(atPath: file.path) else { throw missingPrerequisite("\(file.path) is absent") }
        XCTAssertEqual(try SHA256.hash(fileAt: file).hex, try sha256sum(file))
    }

    func testHashingAMissingFileNamesIt() {
        XCTAssertThrowsError(try SHA256.hash(fileAt: URL(fileURLWithPath: "/nonexistent/x.bin"))) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/x.bin"), "\(error)")
        }
    }

    private func sha256sum(_ file: URL) throws -> String {
        let tool = "/usr/bin/sha256sum"
        guard FileManager.default.isExecutableFile(atPath: tool) else { throw missingPrerequisite("\(tool) is not installed") }
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = [file.path]
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }
}
