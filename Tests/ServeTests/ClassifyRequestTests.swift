import Foundation
import XCTest
@testable import Serve

/// The request body checks: each refusal has its status and names the JSON path at fault.
final class ClassifyRequestTests: XCTestCase {
    let limits = ServeLimits(maxTextsPerRequest: 3, maxCharactersPerText: 5)

    private func parse(_ body: String) throws -> ClassifyRequest {
        try ClassifyRequest.parse(Data(body.utf8), limits: limits)
    }

    private func assertRefused(_ body: Data, _ status: Int, at path: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let parsed = try ClassifyRequest.parse(body, limits: limits)
            XCTFail("accepted \(String(decoding: body, as: UTF8.self)) as \(parsed)", file: file, line: line)
        } catch {
            XCTAssertEqual(Int(error.status.code), status, error.description, file: file, line: line)
            XCTAssertEqual(error.path, path, error.description, file: file, line: line)
            XCTAssertFalse(error.message.contains("\n"), "message on several lines: \(error.message)", file: file, line: line)
        }
    }

    private func assertRefused(_ body: String, _ status: Int, at path: String, file: StaticString = #filePath, line: UInt = #line) {
        assertRefused(Data(body.utf8), status, at: path, file: file, line: line)
    }

    func testOneTextOrSeveral() throws {
        XCTAssertEqual(try parse(#"{"text": "hi"}"#), ClassifyRequest(texts: ["hi"], single: true))
        XCTAssertEqual(try parse(#"{"texts": ["a", "", "ccc"]}"#), ClassifyRequest(texts: ["a", "", "ccc"], single: false))
        XCTAssertEqual(try parse(#"{"text": "\u0000\u00e9"}"#).texts, ["\u{0}é"])
    }

    func testMalformedJSONIs400AtTheRoot() {
        for body in ["", "{", #"{"text": "#, "nope", "[1, 2", #""\ud800""#, "1e400"] {
            assertRefused(body, 400, at: "$")
        }
        assertRefused(Data([0x7B, 0x22, 0x74, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D]), 400, at: "$")  // {"t":"<FF>"}
        // Nesting past the parser's depth limit is an error, not a stack overflow.
        assertRefused(String(repeating: "[", count: 100_000), 400, at: "$")
        assertRefused(#"{"texts": "# + String(repeating: "[", count: 100_000), 400, at: "$")
    }

    func testWrongTypesName400WithTheirPath() {
        assertRefused("[]", 400, at: "$")
        assertRefused(#""text""#, 400, at: "$")
        assertRefused("null", 400, at: "$")
        assertRefused(#"{"text": 5}"#, 400, at: "$.text")
        assertRefused(#"{"text": null}"#, 400, at: "$.text")
        assertRefused(#"{"text": ["a"]}"#, 400, at: "$.text")
        assertRefused(#"{"texts": "a"}"#, 400, at: "$.texts")
        assertRefused(#"{"texts": {"a": "b"}}"#, 400, at: "$.texts")
        assertRefused(#"{"texts": ["a", true]}"#, 400, at: "$.texts[1]")
        assertRefused(#"{"texts": ["a", "b", ["c"]]}"#, 400, at: "$.texts[2]")
    }

    func testMissingUnknownOrBothMembersAre400() {
        assertRefused("{}", 400, at: "$")
        assertRefused(#"{"text": "a", "texts": ["b"]}"#, 400, at: "$")
        assertRefused(#"{"text": "a", "id": 1}"#, 400, at: "$.id")
        assertRefused(#"{"text": "a", "a b": 1}"#, 400, at: #"$["a b"]"#)
        assertRefused(#"{"text": "a", "x\ny": 1}"#, 400, at: #"$["x\ny"]"#)
    }

    func testLimitsAre422AtTheMemberOverThem() {
        assertRefused(#"{"texts": []}"#, 422, at: "$.texts")
        assertRefused(#"{"texts": ["a", "b", "c", "d"]}"#, 422, at: "$.texts")
        assertRefused(#"{"text": "abcdef"}"#, 422, at: "$.text")
        assertRefused(#"{"texts": ["a", "abcdef"]}"#, 422, at: "$.texts[1]")
        // Code points, as JSON Schema's maxLength counts: e + combining accent is two, a flag is two.
        XCTAssertEqual(try parse(#"{"text": "e\u0301e\u0301e"}"#).texts.count, 1)
        assertRefused(#"{"text": "🇫🇷🇫🇷🇫🇷"}"#, 422, at: "$.text")
        // A wrong type is reported before a count over the limit.
        assertRefused(#"{"texts": ["a", "b", "c", 4]}"#, 400, at: "$.texts[3]")
    }

    func testTypeNames() {
        XCTAssertEqual(ClassifyRequest.typeName(try JSONSerialization.jsonObject(with: Data("true".utf8), options: .fragmentsAllowed)), "a boolean")
        XCTAssertEqual(ClassifyRequest.typeName(try JSONSerialization.jsonObject(with: Data("1".utf8), options: .fragmentsAllowed)), "a number")
        XCTAssertEqual(ClassifyRequest.typeName(try JSONSerialization.jsonObject(with: Data("0".utf8), options: .fragmentsAllowed)), "a number")
        XCTAssertEqual(ClassifyRequest.typeName(try JSONSerialization.jsonObject(with: Data("2.5".utf8), options: .fragmentsAllowed)), "a number")
    }
}
