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
    }
}
