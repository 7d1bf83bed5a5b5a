import Common
import XCTest

final class JSONReaderTests: XCTestCase {
    private func parse(_ text: String) throws -> JSONValue { try JSONReader.parse(Array(text.utf8)) }

    func testValuesOfEveryKind() throws {
        let value = try parse(#" {"a": [1, -2.5e1, true, false, null], "b": {"c": "d\u00e9\n\ud83d\ude00"}} "#)
        XCTAssertEqual(value, .object(["a": .array([.number(1), .number(-25), .bool(true), .bool(false), .null]),
                                       "b": .object(["c": .string("dé\n😀")])]))
        XCTAssertEqual(try parse("\u{FEFF}[]"), .array([]), "a byte-order mark before the document is skipped")
        XCTAssertEqual(try parse("9007199254740993").int, nil, "from 2^53 on a whole number may have been rounded")
        XCTAssertEqual(try parse("9007199254740991").int, 9_007_199_254_740_991)
        XCTAssertEqual(try parse("1.5").int, nil)
        XCTAssertEqual(try parse("true").int, nil, "true is never a number")
    }

    func testErrorsGiveTheByteOffset() {
        let cases: [(String, String)] = [
            (#"{"a": 1"#, "unterminated object at the end (truncated?)"),
            (#"{"a" 1}"#, "expected ':' at byte 5"),
            (#"[1, 2,]"#, "expected a value at byte 6"),
            (#"{"a": 1} x"#, "unexpected data after the JSON value at byte 9"),
            (#""\q""#, "unknown escape at byte 2"),
            (#""\ud800""#, "lone high surrogate"),
            ("\"a\u{1}\"", "control character in string at byte 2"),
            ("[01]", "a number with a leading zero at byte 1"),
            ("-", "expected a value at byte 0"),
            (String(repeating: "[", count: 300), "nested too deeply"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try parse(text), text) { error in
                XCTAssertTrue(error is JSONSyntaxError, "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(text): \(error) should mention \(expected)")
            }
        }
        XCTAssertThrowsError(try JSONReader.parse([0x22, 0xFF, 0x22])) { XCTAssertTrue("\($0)".contains("invalid UTF-8"), "\($0)") }
    }

    func testMembersInFileOrderWithRepeatsKept() throws {
        var seen: [(String, JSONValue)] = []
        try JSONReader.forEachMember(of: Array(#"{"z": 1, "a": 2, "z": 3}"#.utf8)) { seen.append(($0, $1)) }
        XCTAssertEqual(seen.map(\.0), ["z", "a", "z"])
        XCTAssertEqual(seen.map(\.1), [.number(1), .number(2), .number(3)])
        XCTAssertThrowsError(try JSONReader.forEachMember(of: Array("[1]".utf8)) { _, _ in }) {
            XCTAssertTrue("\($0)".contains("expected '{' at byte 0"), "\($0)")
        }
        struct Stop: Error {}
        XCTAssertThrowsError(try JSONReader.forEachMember(of: Array(#"{"a": 1}"#.utf8)) { _, _ in throw Stop() }) {
            XCTAssertTrue($0 is Stop, "the visitor's own error comes through")
        }
    }
}
