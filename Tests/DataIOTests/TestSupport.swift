import Common
import DataIO
import Foundation
import XCTest
import TestRequirements

/// A fresh directory per test for the small files (healthy and broken) the tests write.
class TempDirTestCase: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("dataio-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Writes raw bytes and returns the path.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        try Data(bytes).write(to: dir.appendingPathComponent(name))
        return path(name)
    }

    @discardableResult
    func write(_ text: String, to name: String) throws -> String { try write(Array(text.utf8), to: name) }

    /// Writes an archive of text members and returns its path.
    @discardableResult
    func archive(_ name: String, _ format: ArchiveWriter.Format, _ members: [(String, String)]) throws -> String {
        try ArchiveWriter.write(members.map { (name: $0.0, bytes: Array($0.1.utf8)) }, format: format, to: path(name))
        return path(name)
    }

    func bytes(of path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// Asserts that `body` throws a `ReadError` of `kind` whose message contains every one of `mentions`.
    func assertReadError<T>(_ kind: ReadError.Kind, mentions: [String], file: StaticString = #filePath, line: UInt = #line,
                            _ body: () throws -> T) {
        do {
            _ = try body()
            XCTFail("expected a \(kind) error, but nothing was thrown", file: file, line: line)
        } catch let error as ReadError {
            XCTAssertEqual(error.kind, kind, "message: \(error.description)", file: file, line: line)
            for text in mentions {
                XCTAssertTrue(error.description.contains(text), "\"\(error.description)\" does not mention \"\(text)\"",
                              file: file, line: line)
            }
        } catch {
            XCTFail("expected a ReadError, got \(type(of: error)): \(error)", file: file, line: line)
        }
    }
}

/// A committed fixture (see scripts/ for how each was made).
func fixture(_ name: String) throws -> String {
    guard let url = Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil) else {
        throw NSError(domain: "DataIOTests", code: 1, userInfo: [NSLocalizedDescriptionKey: "missing fixture \(name)"])
    }
    return url.path
}

/// The read-only dataset mirror: `TEXTCLF_MIRROR` (colon-separated) or `<package root>/../shared/mirror`.
enum Mirror {
    static func dataset(_ relativePath: String) throws -> String {
        var roots = (ProcessInfo.processInfo.environment["TEXTCLF_MIRROR"] ?? "").split(separator: ":").map(String.init)
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        roots.append(packageRoot.deletingLastPathComponent().appendingPathComponent("shared/mirror").path)
        for root in roots {
            let candidate = (root as NSString).appendingPathComponent("datasets/" + relativePath)
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        throw missingPrerequisite("dataset mirror not found (datasets/\(relativePath)); set TEXTCLF_MIRROR")
    }
}
