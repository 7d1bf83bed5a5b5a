import Foundation
import TensorEngine
import XCTest

final class CRC32CTests: XCTestCase {
    func testKnownVectors() {
        // The check value of the CRC-32C catalogue entry, and the iSCSI vectors of RFC 3720 B.4.
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0 ..< 32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0 ..< 32).reversed().map { UInt8($0) }), 0x113F_DB5C)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
    }

    /// The 8-bytes-at-a-time loop agrees with the textbook bit-by-bit definition at every
    /// length and alignment, and checksums can be continued across pieces.
    func testAgreesWithBitwiseDefinition() {
        func bitwise(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0 ..< 8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            }
            return ~c
        }
        var state: UInt64 = 12345
        let data = (0 ..< 300).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        data.withUnsafeBytes { all in
            for start in 0 ..< 9 {
                for end in stride(from: start, through: 300, by: 7) {
                    let piece = UnsafeRawBufferPointer(rebasing: all[start ..< end])
                    XCTAssertEqual(CRC32C.checksum(piece), bitwise(data[start ..< end]), "\(start)..<\(end)")
                }
            }
            let split = 131
            let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[..<split]))
            XCTAssertEqual(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[split...]), continuing: first), CRC32C.checksum(all))
        }
    }

    func testMasking() {
        for crc: UInt32 in [0, 1, 0xE306_9283, 0xFFFF_FFFF] {
            XCTAssertEqual(CRC32C.unmask(CRC32C.mask(crc)), crc)
            XCTAssertNotEqual(CRC32C.mask(crc), crc)
        }
        // ((crc >> 15) | (crc << 17)) + 0xa282ead8, as LevelDB and TensorFlow define it.
        XCTAssertEqual(CRC32C.mask(0), 0xA282_EAD8)
        XCTAssertEqual(CRC32C.mask(0xE306_9283), ((0xE306_9283 >> 15) | (0xE306_9283 << 17 & 0xFFFF_FFFF)) &+ 0xA282_EAD8)
    }
}

final class SnappyTests: XCTestCase {
    /// Inputs compressed by the real Snappy library (scripts/make_serialization_fixtures.py).
    func testDecompressesOutputOfTheReferenceLibrary() throws {
        let dir = try Fixtures.own.appendingPathComponent("snappy")
        for name in ["empty", "short", "text", "random"] {
            let compressed = try [UInt8](Data(contentsOf: dir.appendingPathComponent(name + ".snappy")))
            let raw = try [UInt8](Data(contentsOf: dir.appendingPathComponent(name + ".raw")))
            XCTAssertEqual(try Snappy.decompress(compressed), raw, name)
        }
        XCTAssertGreaterThan(try Data(contentsOf: dir.appendingPathComponent("text.raw")).count, 10000)
        // Long runs: overlapping copies, across Snappy's 64 KiB fragments.
        var runs = [UInt8](repeating: UInt8(ascii: "a"), count: 70000)
        for _ in 0 ..< 5000 { runs += Array("xyz".utf8) }
        for _ in 0 ..< 40 { runs += (0 ... 255).map { UInt8($0) } }
        let compressed = try [UInt8](Data(contentsOf: dir.appendingPathComponent("runs.snappy")))
        XCTAssertLessThan(compressed.count, runs.count / 10)
        XCTAssertEqual(try Snappy.decompress(compressed), runs)
    }

    /// Element kinds the reference compressor rarely or never emits, written by hand.
    func testHandWrittenElements() throws {
        // Length 5; literal "ab" (tag 1<<2); copy2 of 3 bytes from offset 2 (tag (3-1)<<2 | 2): "ababa".
        XCTAssertEqual(try Snappy.decompress([5, 0x04, 0x61, 0x62, 0x0A, 0x02, 0x00]), Array("ababa".utf8))
        // Copy with a 4-byte offset (tag 3): "xy" then 4 bytes from offset 2.
        XCTAssertEqual(try Snappy.decompress([6, 0x04, 0x78, 0x79, 0x0F, 0x02, 0x00, 0x00, 0x00]), Array("xyxyxy".utf8))
        // Copy with a 1-byte offset (tag 1): length 4 + 3 = 7 from offset 1 (run-length).
        XCTAssertEqual(try Snappy.decompress([8, 0x00, 0x7A, 0x0D, 0x01]), Array(repeating: UInt8(ascii: "z"), count: 8))
        // Literal lengths in 1 and 2 extra bytes (tags 60 << 2 and 61 << 2).
        let seventy = (0 ..< 70).map { UInt8($0) }
        XCTAssertEqual(try Snappy.decompress([70, 60 << 2, 69] + seventy), seventy)
        let long = (0 ..< 300).map { UInt8($0 % 251) }
        XCTAssertEqual(try Snappy.decompress([0xAC, 0x02, 61 << 2, 0x2B, 0x01] + long), long)
    }

    func testRejectsCorruptData() {
        let cases: [([UInt8], String)] = [
            ([5, 0x04, 0x61, 0x62, 0x0A, 0x00, 0x00], "offset 0"),            // copy from offset 0
            ([5, 0x04, 0x61, 0x62, 0x0A, 0x09, 0x00], "offset 9"),            // copy from before the start
            ([9, 0x04, 0x61, 0x62], "declares 9"),                             // too short for its length
            ([1, 0x04, 0x61, 0x62], "past the declared length"),              // literal longer than declared
            ([4, 0x0C, 0x61], "ends in the middle"),                           // truncated literal
            ([4, 0x04, 0x61, 0x62, 0x0A], "ends in the middle"),               // truncated copy
            ([0xFF, 0xFF, 0xFF, 0xFF, 0x0F], "more than"),                     // absurd length
            ([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], "varint"),
        ]
        for (bytes, fragment) in cases {
            XCTAssertThrowsError(try Snappy.decompress(bytes, maxLength: 1 << 20)) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(bytes): '\(error)' does not mention '\(fragment)'")
            }
        }
    }
}
