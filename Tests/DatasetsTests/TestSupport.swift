import Common
import DataIO
import Datasets
import Foundation
import Store
import XCTest
import TestRequirements

/// A fresh directory per test for the small files (healthy and broken) the tests write.
class DatasetTestCase: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("datasets-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func url(_ name: String) -> URL { dir.appendingPathComponent(name) }

    @discardableResult
    func write(_ text: String, to name: String) throws -> URL { try write(Array(text.utf8), to: name) }

    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> URL {
        let target = url(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: target)
        return target
    }

    /// Writes an archive of text members (DataIO's ArchiveWriter) and returns its URL.
    @discardableResult
    func archive(_ name: String, _ format: ArchiveWriter.Format, _ members: [(String, String)]) throws -> URL {
        try ArchiveWriter.write(members.map { (name: $0.0, bytes: Array($0.1.utf8)) }, format: format, to: url(name).path)
        return url(name)
    }

    /// A store that never touches the network and finds nothing (for datasets not in it).
    func emptyStore() throws -> Store {
        try Store(configuration: StoreConfiguration(cacheDirectory: url("cache"), offline: true, showProgress: false, log: { _ in }))
    }
}

/// Asserts that `body` throws an error of type `E` whose description mentions every string.
func assertThrows<E: Error & CustomStringConvertible, T>(_ type: E.Type, mentions: [String], file: StaticString = #filePath,
                                                       line: UInt = #line, _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected \(E.self), but nothing was thrown", file: file, line: line)
    } catch let error as E {
        for text in mentions {
            XCTAssertTrue(error.description.contains(text), "\"\(error.description)\" does not mention \"\(text)\"", file: file, line: line)
        }
    } catch {
        XCTFail("expected \(E.self), got \(Swift.type(of: error)): \(error)", file: file, line: line)
    }
}

/// A ReadError of `kind` mentioning every string.
func assertReadError<T>(_ kind: ReadError.Kind, mentions: [String], file: StaticString = #filePath, line: UInt = #line,
                        _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected a \(kind) ReadError, but nothing was thrown", file: file, line: line)
    } catch let error as ReadError {
        XCTAssertEqual(error.kind, kind, "message: \(error.description)", file: file, line: line)
        for text in mentions {
            XCTAssertTrue(error.description.contains(text), "\"\(error.description)\" does not mention \"\(text)\"", file: file, line: line)
        }
    } catch {
        XCTFail("expected a ReadError, got \(type(of: error)): \(error)", file: file, line: line)
    }
}

/// The shared read-only mirror: `TEXTCLF_MIRROR` (colon-separated), else `<package>/../shared/mirror`.
func sharedMirror() throws -> URL {
    var roots = (ProcessInfo.processInfo.environment["TEXTCLF_MIRROR"] ?? "").split(separator: ":").map { URL(fileURLWithPath: String($0)) }
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    roots.append(packageRoot.deletingLastPathComponent().appendingPathComponent("shared/mirror", isDirectory: true))
    for root in roots where FileManager.default.fileExists(atPath: root.appendingPathComponent("datasets").path) {
        return root
    }
    throw missingPrerequisite("the shared mirror is absent (set TEXTCLF_MIRROR or put it at ../shared/mirror)")
}

/// An offline store over the shared mirror, with one cache directory per test process so
/// mirror checksums are computed once (the Store stamps them there).
func mirrorStore() throws -> Store {
    let mirror = try sharedMirror()
    _ = removeMirrorTestCacheAtExit
    return try Store(configuration: StoreConfiguration(cacheDirectory: mirrorTestCache, mirrors: [mirror], offline: true,
                                                       showProgress: false, log: { _ in }))
}

private let mirrorTestCache = FileManager.default.temporaryDirectory
    .appendingPathComponent("datasets-tests-cache-\(getpid())", isDirectory: true)

private let removeMirrorTestCacheAtExit: Void = {
    atexit { try? FileManager.default.removeItem(at: mirrorTestCache) }
}()

/// Examples from (label, text) pairs, rows numbered from 1.
func examples(_ pairs: [(Int, String)]) -> [Example] {
    pairs.enumerated().map { Example(text: $1.1, label: $1.0, row: $0 + 1) }
}

/// A one-source dataset of `counts[c]` examples of class c with distinct texts.
func syntheticDataset(_ counts: [Int], labels: [String]? = nil, name: String = "synthetic") throws -> RawDataset {
    var list: [Example] = []
    for (label, n) in counts.enumerated() {
        for k in 0 ..< n { list.append(Example(text: "class \(label) text \(k)", label: label, row: list.count + 1)) }
    }
    // Interleave classes deterministically so source order is not sorted by class.
    var rng = SplitMix64(seed: 99)
    list = list.fisherYatesShuffled(using: &rng).enumerated().map { Example(text: $1.text, label: $1.label, row: $0 + 1) }
    let names = labels ?? counts.indices.map { "c\($0)" }
    return try RawDataset(name: name, labels: LabelSet(names), sources: [SourceSplit(name: "all", location: "memory", examples: list)])
}

/// FNV-1a 64 (hex) over every example: text UTF-8, 0xFF, class id in decimal, 0xFF — the digest
/// of split records, written out here so the tests check the documented definition.
func textDigest(_ examples: [Example]) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for example in examples {
        for byte in Array(example.text.utf8) + [0xFF] + Array(String(example.label).utf8) + [0xFF] {
            h = (h ^ UInt64(byte)) &* 0x100_0000_01B3
        }
    }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}
