import Common
import DataIO
import Foundation
import Store
import XCTest
import TestRequirements

/// A fresh directory under the system temp dir, removed when the test ends.
func makeTempDirectory(_ test: XCTestCase, _ label: String = "store") throws -> URL {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("textclf-\(label)-\(getpid())-\(UInt32.random(in: 0 ... .max))", isDirectory: true)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
}

/// Reproducible pseudo-random bytes (a 64-bit LCG), so each test's payload is distinct.
func testBytes(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
    var state = seed &* 0x9E3779B97F4A7C15
    return (0 ..< count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    var hasher = SHA256()
    hasher.update(bytes)
    return hasher.finalize().hex
}

/// Collects the Store's log lines for assertions.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    var lines: [String] { lock.withLock { storage } }
    func append(_ line: String) { lock.withLock { storage.append(line) } }
}

/// A configuration for tests: the given cache and mirrors, quick bounded retries, no
/// progress drawing, and log lines collected instead of printed.
func testConfiguration(cache: URL, mirrors: [URL] = [], offline: Bool = false, log: LogLines = LogLines()) -> StoreConfiguration {
    StoreConfiguration(cacheDirectory: cache, mirrors: mirrors, offline: offline,
                       retry: RetryPolicy(attempts: 3, initialDelay: 0.01, maxDelay: 0.05),
                       idleTimeout: 20, showProgress: false, log: { log.append($0) })
}

/// A manifest with one dataset `demo` holding the given files.
func demoManifest(_ files: [ManifestFile], kind: EntryKind = .dataset, name: String = "demo") -> Manifest {
    Manifest(entries: [ManifestEntry(kind: kind, name: name, files: files)])
}

func writeFile(_ bytes: [UInt8], to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
}

/// A zip of deflated members, written with DataIO (which the Store reads members with).
func writeZip(_ members: [(name: String, bytes: [UInt8])], to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try ArchiveWriter.write(members, format: .zip(compressed: true), to: url.path)
}

/// The shared read-only mirror: `$TEXTCLF_MIRROR` (first entry), else `<package>/../shared/mirror`.
func sharedMirror() throws -> URL {
    if let list = ProcessInfo.processInfo.environment["TEXTCLF_MIRROR"], !list.isEmpty {
        for path in list.split(separator: ":") where FileManager.default.fileExists(atPath: String(path)) {
            return URL(fileURLWithPath: String(path), isDirectory: true)
        }
    }
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let fallback = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/mirror", isDirectory: true)
    guard FileManager.default.fileExists(atPath: fallback.path) else {
        throw missingPrerequisite("the shared mirror is absent (set TEXTCLF_MIRROR or put it at \(fallback.path))")
    }
    return fallback
}

/// The package root (for the manifest sync test).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
