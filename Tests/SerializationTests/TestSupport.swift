import Foundation
import TensorEngine
import XCTest

/// Where the fixtures are: this target's own (Snappy vectors, a Snappy-compressed index) and
/// the tiny GPT-2 shared with the backbone tests (Tests/BackbonesTests/Fixtures/tiny-gpt2,
/// written by scripts/make_gpt2_fixtures.py).
enum Fixtures {
    static var own: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
                throw InvalidFixture("SerializationTests fixtures are missing from the test bundle")
            }
            return url
        }
    }

    static let tinyGPT2 = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("BackbonesTests/Fixtures/tiny-gpt2")

    static var huggingFace: URL { tinyGPT2.appendingPathComponent("hf") }
    static var openAI: URL { tinyGPT2.appendingPathComponent("openai") }
    static var reference: URL { tinyGPT2.appendingPathComponent("reference.safetensors") }
}

struct InvalidFixture: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A fresh directory for files a test writes; removed at the end of the test.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("textclf-serialization-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Asserts `body` throws a `TensorFileError` whose message contains every one of `fragments`.
func assertTensorFileError<T>(_ body: @autoclosure () throws -> T, mentions fragments: [String],
                              file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected an error mentioning \(fragments)", file: file, line: line)
    } catch let error as TensorFileError {
        
        for fragment in fragments {
            XCTAssertTrue(error.description.contains(fragment), "'\(error.description)' does not mention '\(fragment)'", file: file, line: line)
        }
    } catch {
        XCTFail("expected a TensorFileError, got \(error)", file: file, line: line)
    }
}

/// Builds a safetensors file byte by byte, so tests can write broken ones.
func safetensorsBytes(header: String, data: [UInt8], declaredHeaderLength: UInt64? = nil) -> Data {
    let headerBytes = Array(header.utf8)
    var length = (declaredHeaderLength ?? UInt64(headerBytes.count)).littleEndian
    var out = Data(bytes: &length, count: 8)
    out.append(contentsOf: headerBytes)
    out.append(contentsOf: data)
    return out
}

func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}
