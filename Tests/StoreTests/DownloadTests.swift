import Foundation
import Store
import XCTest

/// Downloads against a local HTTP server the test starts itself (no network).
final class DownloadTests: XCTestCase {
    func testGoodFileIsDownloadedVerifiedAndLandsInTheCache() throws {
        let cache = try makeTempDirectory(self)
        let body = testBytes(200_000, seed: 1)
        let server = try LocalHTTPServer(routes: ["/good.bin": .file(body)])
        defer { server.stop() }
        let spec = ManifestFile(name: "good.bin", urls: [server.url("/good.bin")], size: Int64(body.count), sha256: sha256Hex(body))
        let store = try Store(configuration: testConfiguration(cache: cache), manifest: demoManifest([spec]))

        let resolved = try store.locate(.dataset("demo"), file: "good.bin")

        XCTAssertEqual(resolved.url.path, cache.appendingPathComponent("datasets/demo/good.bin").path)
        XCTAssertEqual(resolved.source, .download(server.url("/good.bin")))
        XCTAssertEqual(resolved.status, .verified)
        XCTAssertEqual(try Data(contentsOf: resolved.url), Data(body))
        XCTAssertFalse(FileManager.default.fileExists(atPath: resolved.url.path + ".part"))
        XCTAssertEqual(server.requests.count, 1)
        XCTAssertNil(server.requests[0].headers["range"])
        // Exact bytes: no transparent decompression that would break sizes and ranges.
        XCTAssertEqual(server.requests[0].headers["accept-encoding"], "identity", "\(server.requests[0].headers)")
    }

    func testWrongChecksumMovesTheFileAsideAndTheErrorSaysWhere() throws {
        let cache = try makeTempDirectory(self)
        let good = testBytes(50_000, seed: 2)
        var wrong = good
        wrong[1234] ^= 0xFF
        let server = try LocalHTTPServer(routes: ["/f.bin": .file(wrong)])
        defer { server.stop() }
        let spec = ManifestFile(name: "f.bin", urls: [server.url("/f.bin")], size: Int64(good.count), sha256: sha256Hex(good))
        let store = try Store(configuration: testConfiguration(cache: cache), manifest: demoManifest([spec]))

        XCTAssertThrowsError(try store.resolve(.dataset("demo"), file: "f.bin")) { error in
            guard let error = error as? ResolutionError else { return XCTFail("unexpected \(error)") }
            let text = error.description
            XCTAssertTrue(text.contains("sha256 \(sha256Hex(wrong))"), text)
            let kept = error.attempts.compactMap { attempt -> String? in
                guard let range = attempt.outcome.range(of: "moved aside to ") else { return nil }
                return String(attempt.outcome[range.upperBound...].prefix { $0 != " " })
            }
            XCTAssertEqual(kept.count, 1, text)
            XCTAssertTrue(kept[0].hasPrefix(cache.appendingPathComponent("datasets/demo/f.bin.bad-").path), text)
            XCTAssertEqual(try? Data(contentsOf: URL(fileURLWithPath: kept[0])), Data(wrong))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.cachePath(.dataset("demo"), file: "f.bin").path))
        // A checksum failure is not retried against the same URL.
        XCTAssertEqual(server.requests.count, 1)
    }

    func testDroppedConnectionIsResumedWithARangeRequest() throws {
        let cache = try makeTempDirectory(self)
        let body = testBytes(1_000_000, seed: 3)
        var route = LocalHTTPServer.Route.dropping(body, after: 300_000)
        route.etag = "\"abc\""
        let server = try LocalHTTPServer(routes: ["/big.bin": route])
        defer { server.stop() }
        let spec = ManifestFile(name: "big.bin", urls: [server.url("/big.bin")], size: Int64(body.count), sha256: sha256Hex(body))
        let log = LogLines()
        let store = try Store(configuration: testConfiguration(cache: cache, log: log), manifest: demoManifest([spec]))

        let resolved = try store.locate(.dataset("demo"), file: "big.bin")

        XCTAssertEqual(resolved.status, .verified)
        XCTAssertEqual(try Data(contentsOf: resolved.url), Data(body))
        let requests = server.requests
        XCTAssertEqual(requests.count, 2)
        XCTAssertNil(requests[0].headers["range"])
        XCTAssertEqual(requests[1].headers["range"], "bytes=300000-")
        XCTAssertEqual(requests[1].headers["if-range"], "\"abc\"")
        XCTAssertTrue(log.lines.contains { $0.contains("retry 1 of 2") }, "\(log.lines)")
    }

    func testPartialFileFromAnEarlierRunIsResumed() throws {
        let cache = try makeTempDirectory(self)
        let body = testBytes(100_000, seed: 4)
        let server = try LocalHTTPServer(routes: ["/f.bin": .file(body, etag: "\"v1\"")])
        defer { server.stop() }
        let spec = ManifestFile(name: "f.bin", urls: [server.url("/f.bin")], size: Int64(body.count), sha256: sha256Hex(body))
        let store = try Store(configuration: testConfiguration(cache: cache), manifest: demoManifest([spec]))
        // What an interrupted run leaves: the first 40,000 bytes and the URL they came from.
        let part = store.cachePath(.dataset("demo"), file: "f.bin").appendingPathExtension("part")
        try writeFile(Array(body[..<40_000]), to: part)
        try Data(#"{"url":"\#(server.url("/f.bin").absoluteString)","etag":"\"v1\""}"#.utf8)
            .write(to: part.deletingLastPathComponent().appendingPathComponent(".f.bin.part.origin"))

        let url = try store.resolve(.dataset("demo"), file: "f.bin")

        XCTAssertEqual(try Data(contentsOf: url), Data(body))
        XCTAssertEqual(server.requests.count, 1)
        XCTAssertEqual(server.requests[0].headers["range"], "bytes=40000-")
        XCTAssertEqual(server.requests[0].headers["if-range"], "\"v1\"")
    }

    func testPartialFileOfAnOlderVersionIsReplacedWhole() throws {
        let cache = try makeTempDirectory(self)
        let body = testBytes(60_000, seed: 8)
        let server = try LocalHTTPServer(routes: ["/f.bin": .file(body, etag: "\"v2\"")])
        defer { server.stop() }
        let spec = ManifestFile(name: "f.bin", urls: [server.url("/f.bin")], size: Int64(body.count), sha256: sha256Hex(body))
        let log = LogLines()
        let store = try Store(configuration: testConfiguration(cache: cache, log: log), manifest: demoManifest([spec]))
        // An interrupted run of version 1: If-Range makes the server send version 2 whole.
        let part = store.cachePath(.dataset("demo"), file: "f.bin").appendingPathExtension("part")
        try writeFile(testBytes(20_000, seed: 80), to: part)
        try Data(#"{"url":"\#(server.url("/f.bin").absoluteString)","etag":"\"v1\""}"#.utf8)
            .write(to: part.deletingLastPathComponent().appendingPathComponent(".f.bin.part.origin"))

        let url = try store.resolve(.dataset("demo"), file: "f.bin")

        XCTAssertEqual(try Data(contentsOf: url), Data(body))
        XCTAssertEqual(server.requests.count, 1)
        XCTAssertEqual(server.requests[0].headers["if-range"], "\"v1\"")
        XCTAssertTrue(log.lines.contains { $0.contains("sent the whole file again") }, "\(log.lines)")
    }

    func testPartialFileFromAnotherURLIsDiscarded() throws {
        let cache = try makeTempDirectory(self)
        let body = testBytes(30_000, seed: 5)
        let server = try LocalHTTPServer(routes: ["/f.bin": .file(body)])
        defer { server.stop() }
        let spec = ManifestFile(name: "f.bin", urls: [server.url("/f.bin")], size: Int64(body.count), sha256: sha256Hex(body))
        let store = try Store(configuration: testConfiguration(cache: cache), manifest: demoManifest([spec]))
        try writeFile(testBytes(10_000, seed: 99), to: store.cachePath(.dataset("demo"), file: "f.bin").appendingPathExtension("part"))

        let url = try store.resolve(.dataset("demo"), file: "f.bin")

        XCTAssertEqual(try Data(contentsOf: url), Data(body))
        XCTAssertNil(server.requests.first?.headers["range"])
    }

    func testNotFoundOnTheFirstURLFallsBackToTheBackup() throws {
        let cache = try makeTempDirectory(self)
        let body = testBytes(20_000, seed: 6)
        let server = try LocalHTTPServer(routes: ["/primary.zip": .status(404), "/backup.zip": .file(body)])
        defer { server.stop() }
        let spec = ManifestFile(name: "f.zip", urls: [server.url("/primary.zip"), server.url("/backup.zip")],
                                size: Int64(body.count), sha256: sha256Hex(body))
        let store = try Store(configuration: testConfiguration(cache: cache), manifest: demoManifest([spec]))

        let resolved = try store.locate(.dataset("demo"), file: "f.zip")

        XCTAssertEqual(resolved.source, .download(server.url("/backup.zip")))
        XCTAssertEqual(try Data(contentsOf: resolved.url), Data(body))
        // A 404 is final: no retries against the first URL.
        XCTAssertEqual(server.requests.map(\.path), ["/primary.zip", "/backup.zip"])
    }

    func testServerErrorsAreRetriedWithBackoffThenReported() throws {
        let cache = try makeTempDirectory(self)
        let server = try LocalHTTPServer(routes: ["/f.bin": .status(503)])
        defer { server.stop() }
        let spec = ManifestFile(name: "f.bin", urls: [server.url("/f.bin")], size: 10, sha256: nil)
        let store = try Store(configuration: testConfiguration(cache: cache), manifest: demoManifest([spec]))

        XCTAssertThrowsError(try store.resolve(.dataset("demo"), file: "f.bin")) { error in
            let text = String(reflecting: error)  // every place tried, with its location
            XCTAssertTrue(text.contains("\(server.url("/f.bin").absoluteString): HTTP 503"), text)
            XCTAssertTrue(text.contains("(3 attempts)"), text)
        }
        XCTAssertEqual(server.requests.count, 3)
        // Nothing was received, so no empty partial file is left behind.
        XCTAssertTrue(store.cacheContents().isEmpty)
    }

    func testUnresolvableHostIsNotRetriedAndTheBackupIsTried() throws {
        // .invalid never resolves (RFC 6761): the offline-machine case. Retrying a DNS failure
        // only keeps the user waiting, so the next URL is tried at once.
        let cache = try makeTempDirectory(self)
        let body = testBytes(5_000, seed: 9)
        let server = try LocalHTTPServer(routes: ["/backup.bin": .file(body)])
        defer { server.stop() }
        let log = LogLines()
        let spec = ManifestFile(name: "f.bin", urls: [URL(string: "http://textclf-no-such-host.invalid/f.bin")!, server.url("/backup.bin")],
                                size: Int64(body.count), sha256: sha256Hex(body))
        let store = try Store(configuration: testConfiguration(cache: cache, log: log), manifest: demoManifest([spec]))

        let resolved = try store.locate(.dataset("demo"), file: "f.bin")

        XCTAssertEqual(resolved.source, .download(server.url("/backup.bin")))
        XCTAssertFalse(log.lines.contains { $0.contains("retry") }, log.lines.joined(separator: "\n"))
    }

    func testRedirectIsFollowedAndTheRangeKept() throws {
        let cache = try makeTempDirectory(self)
        let body = testBytes(400_000, seed: 7)
        let server = try LocalHTTPServer(routes: ["/resolve/f.bin": .redirect(to: "/cdn/f.bin"),
                                                  "/cdn/f.bin": .dropping(body, after: 100_000)])
        defer { server.stop() }
        let spec = ManifestFile(name: "f.bin", urls: [server.url("/resolve/f.bin")], size: Int64(body.count), sha256: sha256Hex(body))
        let store = try Store(configuration: testConfiguration(cache: cache), manifest: demoManifest([spec]))

        let url = try store.resolve(.dataset("demo"), file: "f.bin")

        XCTAssertEqual(try Data(contentsOf: url), Data(body))
        let cdn = server.requests(for: "/cdn/f.bin")
        XCTAssertEqual(cdn.count, 2)
        XCTAssertEqual(cdn.last?.headers["range"], "bytes=100000-")
    }

    func testRedirectToAnotherHostKeepsTheRange() throws {
        let cache = try makeTempDirectory(self)
        let body = testBytes(300_000, seed: 9)
        let server = try LocalHTTPServer(routes: ["/cdn/f.bin": .dropping(body, after: 70_000)])
        defer { server.stop() }
        // "localhost" is another host name than 127.0.0.1, as a CDN is for huggingface.co.
        server.setRoute("/resolve/f.bin", .redirect(to: "http://localhost:\(server.port)/cdn/f.bin"))
        let spec = ManifestFile(name: "f.bin", urls: [server.url("/resolve/f.bin")], size: Int64(body.count), sha256: sha256Hex(body))
        let store = try Store(configuration: testConfiguration(cache: cache), manifest: demoManifest([spec]))

        let url = try store.resolve(.dataset("demo"), file: "f.bin")

        XCTAssertEqual(try Data(contentsOf: url), Data(body))
        let cdn = server.requests(for: "/cdn/f.bin")
        XCTAssertEqual(cdn.count, 2)
        XCTAssertEqual(cdn.last?.headers["host"], "localhost:\(server.port)")
        XCTAssertEqual(cdn.last?.headers["range"], "bytes=70000-")
    }

    func testAnnouncedSizeThatDiffersFromTheManifestIsNotDownloaded() throws {
        let cache = try makeTempDirectory(self)
        let body = testBytes(10_000, seed: 10)
        let server = try LocalHTTPServer(routes: ["/f.bin": .file(body)])
        defer { server.stop() }
        let spec = ManifestFile(name: "f.bin", urls: [server.url("/f.bin")], size: 12_345, sha256: nil)
        let store = try Store(configuration: testConfiguration(cache: cache), manifest: demoManifest([spec]))

        XCTAssertThrowsError(try store.resolve(.dataset("demo"), file: "f.bin")) { error in
            XCTAssertTrue("\(error)".contains("the server announces 10000 B, the manifest expects 12345 B"), "\(error)")
        }
        XCTAssertEqual(server.requests.count, 1)
    }

    func testConcurrentResolutionsDownloadOnce() throws {
        let cache = try makeTempDirectory(self)
        let body = testBytes(2_000_000, seed: 11)
        let server = try LocalHTTPServer(routes: ["/f.bin": .file(body)])
        defer { server.stop() }
        let spec = ManifestFile(name: "f.bin", urls: [server.url("/f.bin")], size: Int64(body.count), sha256: sha256Hex(body))
        let store = try Store(configuration: testConfiguration(cache: cache), manifest: demoManifest([spec]))

        let results = LogLines()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            results.append((try? store.resolve(.dataset("demo"), file: "f.bin").path) ?? "failed")
        }

        XCTAssertEqual(results.lines, Array(repeating: store.cachePath(.dataset("demo"), file: "f.bin").path, count: 4))
        XCTAssertEqual(server.requests.count, 1)
    }

    func testOfflineRefusesToDownloadAndListsEveryPlaceTried() throws {
        let cache = try makeTempDirectory(self)
        let mirror = try makeTempDirectory(self, "mirror")
        let server = try LocalHTTPServer(routes: ["/f.bin": .file([1, 2, 3])])
        defer { server.stop() }
        let spec = ManifestFile(name: "f.bin", urls: [server.url("/f.bin"), server.url("/backup/f.bin")], size: 3, sha256: nil)
        let store = try Store(configuration: testConfiguration(cache: cache, mirrors: [mirror], offline: true),
                              manifest: demoManifest([spec]))

        XCTAssertThrowsError(try store.resolve(.dataset("demo"), file: "f.bin")) { error in
            guard let error = error as? ResolutionError else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(error.attempts.map(\.place), [.cache, .mirror, .download, .download])
            XCTAssertEqual(error.attempts[0].location, cache.appendingPathComponent("datasets/demo/f.bin").path)
            XCTAssertEqual(error.attempts[1].location, mirror.appendingPathComponent("datasets/demo/f.bin").path)
            XCTAssertEqual(error.attempts[2].location, server.url("/f.bin").absoluteString)
            XCTAssertEqual(error.attempts[3].location, server.url("/backup/f.bin").absoluteString)
            XCTAssertTrue(error.attempts[2].outcome.contains("offline"))
            XCTAssertTrue(error.fix.contains("textclf fetch demo"), error.fix)
            XCTAssertTrue(error.fix.contains("TEXTCLF_MIRROR"), error.fix)
        }
        XCTAssertEqual(server.requests.count, 0)
    }
}
