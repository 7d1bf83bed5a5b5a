import Common
import Foundation
import Store
import XCTest

/// Resolution order, cache and mirror hits, checks and stamps (no network: any server here
/// has no routes, and the tests assert it saw no request).
final class ResolutionTests: XCTestCase {
    private let ref = EntryRef.dataset("demo")

    private func spec(_ name: String, _ bytes: [UInt8], urls: [URL] = []) -> ManifestFile {
        ManifestFile(name: name, urls: urls, size: Int64(bytes.count), sha256: sha256Hex(bytes))
    }

    func testCacheHitNeedsNoNetwork() throws {
        let cache = try makeTempDirectory(self)
        let body = testBytes(5_000, seed: 10)
        let server = try LocalHTTPServer(routes: [:])
        defer { server.stop() }
        let store = try Store(configuration: testConfiguration(cache: cache),
                              manifest: demoManifest([spec("f.bin", body, urls: [server.url("/f.bin")])]))
        try writeFile(body, to: store.cachePath(ref, file: "f.bin"))

        let resolved = try store.locate(ref, file: "f.bin")

        XCTAssertEqual(resolved.source, .cache)
        XCTAssertEqual(resolved.status, .verified)
        XCTAssertEqual(server.requests.count, 0)
    }

    func testMirrorHitIsUsedInPlaceNotCopied() throws {
        let cache = try makeTempDirectory(self)
        let mirror = try makeTempDirectory(self, "mirror")
        let body = testBytes(5_000, seed: 11)
        let inMirror = mirror.appendingPathComponent("datasets/demo/f.bin")
        try writeFile(body, to: inMirror)
        let emptyMirror = try makeTempDirectory(self, "mirror0")
        let store = try Store(configuration: testConfiguration(cache: cache, mirrors: [emptyMirror, mirror]),
                              manifest: demoManifest([spec("f.bin", body)]))

        let resolved = try store.locate(ref, file: "f.bin")

        XCTAssertEqual(resolved.url.path, inMirror.path)
        XCTAssertEqual(resolved.source, .mirror(mirror))
        XCTAssertEqual(resolved.status, .verified)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.cachePath(ref, file: "f.bin").path))
    }

    func testExplicitPathBeatsCacheBeatsMirror() throws {
        let cache = try makeTempDirectory(self)
        let mirror = try makeTempDirectory(self, "mirror")
        let elsewhere = try makeTempDirectory(self, "explicit")
        let body = testBytes(3_000, seed: 12)
        let store = try Store(configuration: testConfiguration(cache: cache, mirrors: [mirror]), manifest: demoManifest([spec("f.bin", body)]))
        let explicit = elsewhere.appendingPathComponent("my-copy.bin")
        for url in [explicit, store.cachePath(ref, file: "f.bin"), mirror.appendingPathComponent("datasets/demo/f.bin")] {
            try writeFile(body, to: url)
        }

        XCTAssertEqual(try store.locate(ref, file: "f.bin", explicitPath: explicit).source, .explicit)
        XCTAssertEqual(try store.resolve(ref, file: "f.bin", explicitPath: explicit).path, explicit.path)
        XCTAssertEqual(try store.locate(ref, file: "f.bin").source, .cache)
        try FileManager.default.removeItem(at: store.cachePath(ref, file: "f.bin"))
        XCTAssertEqual(try store.locate(ref, file: "f.bin").source, .mirror(mirror))
    }

    func testExplicitPathThatIsMissingOrWrongIsAnInputErrorAndLeftAlone() throws {
        let cache = try makeTempDirectory(self)
        let elsewhere = try makeTempDirectory(self, "explicit")
        let body = testBytes(3_000, seed: 13)
        let store = try Store(configuration: testConfiguration(cache: cache), manifest: demoManifest([spec("f.bin", body)]))
        try writeFile(body, to: store.cachePath(ref, file: "f.bin"))
        let missing = elsewhere.appendingPathComponent("nope.bin")
        let wrong = elsewhere.appendingPathComponent("wrong.bin")
        try writeFile(testBytes(3_000, seed: 14), to: wrong)

        XCTAssertThrowsError(try store.resolve(ref, file: "f.bin", explicitPath: missing)) { error in
            XCTAssertTrue(error is InputError)
            XCTAssertTrue("\(error)".contains(missing.path), "\(error)")
        }
        XCTAssertThrowsError(try store.resolve(ref, file: "f.bin", explicitPath: wrong)) { error in
            XCTAssertTrue(error is InputError)
            XCTAssertTrue("\(error)".contains("has sha256"), "\(error)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: wrong.path))
    }

    func testBadCacheFileIsMovedAsideAndTheMirrorUsed() throws {
        let cache = try makeTempDirectory(self)
        let mirror = try makeTempDirectory(self, "mirror")
        let body = testBytes(4_000, seed: 15)
        let store = try Store(configuration: testConfiguration(cache: cache, mirrors: [mirror]), manifest: demoManifest([spec("f.bin", body)]))
        let cached = store.cachePath(ref, file: "f.bin")
        try writeFile(testBytes(4_000, seed: 16), to: cached)
        try writeFile(body, to: mirror.appendingPathComponent("datasets/demo/f.bin"))

        XCTAssertEqual(try store.locate(ref, file: "f.bin").source, .mirror(mirror))

        let left = try FileManager.default.contentsOfDirectory(atPath: cached.deletingLastPathComponent().path).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(left.count, 1)
        XCTAssertTrue(left[0].hasPrefix("f.bin.bad-"), "\(left)")
    }

    func testBadMirrorFileIsReportedAndNotTouched() throws {
        let cache = try makeTempDirectory(self)
        let mirror = try makeTempDirectory(self, "mirror")
        let body = testBytes(4_000, seed: 17)
        let store = try Store(configuration: testConfiguration(cache: cache, mirrors: [mirror]), manifest: demoManifest([spec("f.bin", body)]))
        let inMirror = mirror.appendingPathComponent("datasets/demo/f.bin")
        try writeFile(Array(body.prefix(3_999)), to: inMirror)

        XCTAssertThrowsError(try store.resolve(ref, file: "f.bin")) { error in
            let text = String(reflecting: error)  // every place tried, with its location
            XCTAssertTrue(text.contains("\(inMirror.path): is 3999 B, expected 4000 B"), text)
            XCTAssertTrue(text.contains("no download URL"), text)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: inMirror.path))
    }

    func testVerifiedStampSkipsRehashingUntilSizeOrTimeChanges() throws {
        let cache = try makeTempDirectory(self)
        let body = testBytes(10_000, seed: 18)
        let store = try Store(configuration: testConfiguration(cache: cache), manifest: demoManifest([spec("f.bin", body)]))
        let cached = store.cachePath(ref, file: "f.bin")
        try writeFile(body, to: cached)
        XCTAssertEqual(try store.locate(ref, file: "f.bin").status, .verified)
        XCTAssertEqual(store.cacheContents().first?.status, .verified)

        // Same size and modification time, other bytes: the stamp is trusted, so no re-hash.
        var info = stat()
        XCTAssertEqual(stat(cached.path, &info), 0)
        try Data(testBytes(10_000, seed: 19)).write(to: cached)
        var times = [info.st_atim, info.st_mtim]
        XCTAssertEqual(utimensat(AT_FDCWD, cached.path, &times, 0), 0)
        XCTAssertEqual(try store.locate(ref, file: "f.bin").source, .cache)

        // A new modification time voids the stamp: the file is hashed, fails, is moved aside.
        times[1].tv_sec += 10
        XCTAssertEqual(utimensat(AT_FDCWD, cached.path, &times, 0), 0)
        XCTAssertEqual(store.cacheContents().first?.status, .unverified)
        XCTAssertThrowsError(try store.resolve(ref, file: "f.bin")) { error in
            XCTAssertTrue("\(error)".contains("moved aside to \(cached.path).bad-"), "\(error)")
        }
    }

    /// The stamp's fast path trusts size and mtime; verifying on request hashes again, so a
    /// corruption that keeps both is found, and `fetch(rehash:)` replaces the bad copy.
    func testRehashFindsACorruptionThatKeepsSizeAndTime() throws {
        let cache = try makeTempDirectory(self)
        let mirror = try makeTempDirectory(self, "mirror")
        let body = testBytes(10_000, seed: 30)
        let store = try Store(configuration: testConfiguration(cache: cache, mirrors: [mirror]), manifest: demoManifest([spec("f.bin", body)]))
        try writeFile(body, to: mirror.appendingPathComponent("datasets/demo/f.bin"))
        _ = try store.fetch(ref)
        let cached = store.cachePath(ref, file: "f.bin")
        var info = stat()
        XCTAssertEqual(stat(cached.path, &info), 0)
        var corrupt = body
        corrupt[5_000] ^= 0xFF
        try Data(corrupt).write(to: cached)
        var times = [info.st_atim, info.st_mtim]
        XCTAssertEqual(utimensat(AT_FDCWD, cached.path, &times, 0), 0)

        XCTAssertEqual(store.cacheContents(verify: true).map(\.status), [.verified])  // the fast path
        let rehashed = store.cacheContents(rehash: true)
        XCTAssertEqual(rehashed.map(\.status), [.failed])
        XCTAssertTrue(rehashed.first?.detail?.contains("sha256") ?? false, "\(rehashed)")
        XCTAssertEqual(store.cacheContents(rehash: true, entries: [.dataset("other")]).count, 0)

        let fetched = try store.fetch(ref, rehash: true)
        XCTAssertEqual(fetched.map(\.source), [.copiedFromMirror(mirror)])
        XCTAssertEqual(try Data(contentsOf: cached), Data(body))
        XCTAssertEqual(store.cacheContents(rehash: true).map(\.status), [.verified, .bad])  // the bad copy, moved aside
    }

    func testArchiveIsCheckedByItsMemberChecksum() throws {
        let cache = try makeTempDirectory(self)
        let text = Array("ham\thello\nspam\tWIN now\n".utf8)
        let member = MemberChecksum(name: "Collection", size: Int64(text.count), sha256: sha256Hex(text))
        let spec = ManifestFile(name: "a.zip", urls: [], member: member)
        let store = try Store(configuration: testConfiguration(cache: cache), manifest: demoManifest([spec]))
        let cached = store.cachePath(ref, file: "a.zip")

        // Different archives (an extra readme) with the same member both pass.
        try writeZip([("readme", Array("hi".utf8)), ("Collection", text)], to: cached)
        XCTAssertEqual(try store.locate(ref, file: "a.zip").status, .verified)
        try writeZip([("Collection", text)], to: cached)
        XCTAssertEqual(try store.locate(ref, file: "a.zip").status, .verified)

        var altered = text
        altered[0] = UInt8(ascii: "j")
        try writeZip([("Collection", altered)], to: cached)
        XCTAssertThrowsError(try store.resolve(ref, file: "a.zip")) { error in
            XCTAssertTrue("\(error)".contains("has member 'Collection' with sha256 \(sha256Hex(altered))"), "\(error)")
        }
        try writeZip([("Other", text)], to: cached)
        XCTAssertThrowsError(try store.resolve(ref, file: "a.zip")) { error in
            XCTAssertTrue("\(error)".contains("has no member 'Collection'"), "\(error)")
        }
        try writeFile(Array("not a zip at all".utf8), to: cached)
        XCTAssertThrowsError(try store.resolve(ref, file: "a.zip")) { error in
            XCTAssertTrue("\(error)".contains("is not a readable archive"), "\(error)")
        }
        // A download cut short: the member's bytes are there, the zip's directory is not.
        try writeZip([("Collection", text)], to: cached)
        let whole = try Data(contentsOf: cached)
        try writeFile(Array(whole.prefix(whole.count - 30)), to: cached)
        XCTAssertThrowsError(try store.resolve(ref, file: "a.zip")) { error in
            XCTAssertTrue("\(error)".contains("is not a readable archive") && "\(error)".contains("truncated"), "\(error)")
        }
    }

    func testFileWithoutChecksumIsUncheckedButSizeStillCounts() throws {
        let cache = try makeTempDirectory(self)
        let store = try Store(configuration: testConfiguration(cache: cache),
                              manifest: demoManifest([ManifestFile(name: "c.json", urls: [], size: 4), ManifestFile(name: "d.json", urls: [])]))
        try writeFile(Array("{}\n\n".utf8), to: store.cachePath(ref, file: "c.json"))
        try writeFile(Array("{}".utf8), to: store.cachePath(ref, file: "d.json"))
        XCTAssertEqual(try store.locate(ref, file: "c.json").status, .unchecked)
        XCTAssertEqual(try store.locate(ref, file: "d.json").status, .unchecked)
        try writeFile(Array("{}".utf8), to: store.cachePath(ref, file: "c.json"))
        XCTAssertThrowsError(try store.resolve(ref, file: "c.json"))
    }

    func testUnknownEntryOrFileIsAnInputErrorNamingWhatExists() throws {
        let cache = try makeTempDirectory(self)
        let store = try Store(configuration: testConfiguration(cache: cache), manifest: demoManifest([ManifestFile(name: "f.bin", urls: [])]))
        XCTAssertThrowsError(try store.resolve(.dataset("dmeo"), file: "f.bin")) { error in
            XCTAssertTrue(error is InputError)
            XCTAssertTrue("\(error)".contains("known: demo"), "\(error)")
        }
        XCTAssertThrowsError(try store.resolve(ref, file: "g.bin")) { error in
            XCTAssertTrue(error is InputError)
            XCTAssertTrue("\(error)".contains("its files: f.bin"), "\(error)")
        }
    }

    // MARK: - Directories, fetch, cache management

    func testResolveDirectoryReturnsACompleteMirrorDirectory() throws {
        let cache = try makeTempDirectory(self)
        let mirror = try makeTempDirectory(self, "mirror")
        let a = testBytes(100, seed: 20), b = testBytes(200, seed: 21)
        let store = try Store(configuration: testConfiguration(cache: cache, mirrors: [mirror]), manifest: demoManifest([spec("a", a), spec("b", b)]))
        try writeFile(a, to: mirror.appendingPathComponent("datasets/demo/a"))
        try writeFile(b, to: mirror.appendingPathComponent("datasets/demo/b"))
        try writeFile(a, to: store.cachePath(ref, file: "a"))  // the cache alone is incomplete

        XCTAssertEqual(try store.resolveDirectory(ref).standardizedFileURL.path,
                       mirror.appendingPathComponent("datasets/demo").standardizedFileURL.path)
    }

    func testResolveDirectoryGathersMixedSourcesInTheCacheWithLinks() throws {
        let cache = try makeTempDirectory(self)
        let mirror = try makeTempDirectory(self, "mirror")
        let a = testBytes(100, seed: 22), b = testBytes(200, seed: 23)
        let store = try Store(configuration: testConfiguration(cache: cache, mirrors: [mirror]), manifest: demoManifest([spec("a", a), spec("b", b)]))
        try writeFile(a, to: store.cachePath(ref, file: "a"))
        try writeFile(b, to: mirror.appendingPathComponent("datasets/demo/b"))

        let dir = try store.resolveDirectory(ref)

        XCTAssertEqual(dir.standardizedFileURL.path, store.cacheDirectory(for: ref).standardizedFileURL.path)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("b").path),
                       mirror.appendingPathComponent("datasets/demo/b").path)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("b")), Data(b))
        // Only the files asked for need to be present.
        XCTAssertEqual(try store.resolveDirectory(ref, files: ["a"]).standardizedFileURL.path, dir.standardizedFileURL.path)
        XCTAssertEqual(store.cacheContents().map(\.linkTarget?.path), [nil, mirror.appendingPathComponent("datasets/demo/b").path])

        // fetch makes the cache self-contained: the link becomes a copy.
        XCTAssertEqual(try store.fetch(ref).map(\.source), [.cache, .copiedFromMirror(mirror)])
        XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("b").path))
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("b")), Data(b))
    }

    func testFetchCopiesMirrorFilesIntoTheCacheThenCacheCommandsSeeThem() throws {
        let cache = try makeTempDirectory(self)
        let mirror = try makeTempDirectory(self, "mirror")
        let a = testBytes(1_000, seed: 24), b = testBytes(2_000, seed: 25)
        let store = try Store(configuration: testConfiguration(cache: cache, mirrors: [mirror]), manifest: demoManifest([spec("a", a), spec("b", b)]))
        try writeFile(a, to: mirror.appendingPathComponent("datasets/demo/a"))
        try writeFile(b, to: mirror.appendingPathComponent("datasets/demo/b"))
        _ = try store.resolveDirectory(ref, files: ["a"])  // nothing copied or linked yet
        XCTAssertTrue(store.cacheContents().isEmpty)

        let fetched = try store.fetch(ref)

        XCTAssertEqual(fetched.map(\.source), [.copiedFromMirror(mirror), .copiedFromMirror(mirror)])
        XCTAssertEqual(fetched.map(\.status), [.verified, .verified])
        for file in fetched {
            XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: file.url.path))
        }
        XCTAssertEqual(try store.fetch(ref).map(\.source), [.cache, .cache])
        let listed = store.cacheContents()
        XCTAssertEqual(listed.map(\.file), ["a", "b"])
        XCTAssertEqual(listed.map(\.status), [.verified, .verified])
        XCTAssertEqual(listed.map(\.bytes), [1_000, 2_000])

        try Data("{}".utf8).write(to: cache.appendingPathComponent("manifest.json"))
        XCTAssertEqual(try store.removeFromCache(ref), 3_000)
        XCTAssertNil(try store.removeFromCache(ref))
        _ = try store.fetch(ref)
        XCTAssertEqual(try store.clearCache(), 3_000)
        XCTAssertTrue(store.cacheContents().isEmpty)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cache.appendingPathComponent("manifest.json").path))
    }

    func testFetchKeepsWhatItGotAndReportsTheRest() throws {
        let cache = try makeTempDirectory(self)
        let mirror = try makeTempDirectory(self, "mirror")
        let a = testBytes(100, seed: 26), b = testBytes(100, seed: 27)
        let store = try Store(configuration: testConfiguration(cache: cache, mirrors: [mirror], offline: true),
                              manifest: demoManifest([spec("a", a), spec("b", b, urls: [URL(string: "https://example.invalid/b")!])]))
        try writeFile(a, to: mirror.appendingPathComponent("datasets/demo/a"))

        XCTAssertThrowsError(try store.fetch(ref)) { error in
            guard let error = error as? FetchError else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(error.fetched.map(\.file), ["a"])
            XCTAssertEqual(error.failures.map(\.file), ["b"])
            XCTAssertTrue(error.description.contains("not tried: offline"), error.description)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: store.cachePath(ref, file: "a").path))
    }

    func testCacheListingFlagsPartialBadAndUnknownFiles() throws {
        let cache = try makeTempDirectory(self)
        let store = try Store(configuration: testConfiguration(cache: cache), manifest: demoManifest([spec("a", [1, 2, 3])]))
        let dir = store.cacheDirectory(for: ref)
        try writeFile([1], to: dir.appendingPathComponent("a.part"))
        try writeFile([9, 9, 9], to: dir.appendingPathComponent("a.bad-20260101-000000"))
        try writeFile([1, 2, 3], to: dir.appendingPathComponent("stray.txt"))
        try writeFile([1, 2, 3], to: dir.appendingPathComponent("a"))

        let listed = store.cacheContents(verify: true)

        XCTAssertEqual(listed.map(\.file), ["a", "a.bad-20260101-000000", "a.part", "stray.txt"])
        XCTAssertEqual(listed.map(\.status), [.verified, .bad, .partial, .unknown])
    }
}
