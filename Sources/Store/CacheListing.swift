import Foundation

/// One file found in the cache by `Store.cacheContents()`.
public struct CachedFile: Sendable {
    public enum Status: String, Sendable {
        /// Matches the manifest's checksum (a valid stamp, or checked just now).
        case verified
        /// The manifest has a checksum but the file was not checked since it changed.
        case unverified
        /// The manifest knows no checksum for it.
        case unchecked
        /// Checked just now (`verify: true`) and does not match; resolution will move it aside.
        case failed
        /// An unfinished download (`FILE.part`).
        case partial
        /// Moved aside after failing its checksum (`FILE.bad-TIME`); never used.
        case bad
        /// Not a file of this entry in the manifest.
        case unknown
        /// A link to a mirror file that is no longer there.
        case brokenLink = "broken-link"
    }

    public let ref: EntryRef
    public let file: String
    public let url: URL
    public let bytes: Int64
    public let status: Status
    /// For links into a mirror (made by `resolveDirectory`), the file linked to.
    public let linkTarget: URL?
    /// Why a `failed` file failed.
    public let detail: String?
}

extension Store {
    /// Everything under `CACHE/{datasets,models}/NAME/`, sorted by kind, name and file. With
    /// `verify`, files whose stamp is missing or stale are hashed (and stamped if good); with
    /// `rehash`, every file with a checksum is hashed, stamp or not. `entries` limits the
    /// listing to those entries.
    public func cacheContents(verify: Bool = false, rehash: Bool = false, entries: Set<EntryRef>? = nil) -> [CachedFile] {
        let fm = FileManager.default
        var found: [CachedFile] = []
        for kind in EntryKind.allCases {
            let kindDir = configuration.cacheDirectory.appendingPathComponent(kind.directoryName, isDirectory: true)
            let names = ((try? fm.contentsOfDirectory(atPath: kindDir.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
            for name in names {
                let ref = EntryRef(kind: kind, name: name)
                if let entries, !entries.contains(ref) { continue }
                let dir = kindDir.appendingPathComponent(name, isDirectory: true)
                let entry = manifest.entry(ref)
                let files = ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
                for file in files {
                    found.append(describe(ref: ref, file: file, at: dir.appendingPathComponent(file), spec: entry?.file(named: file),
                                           verify: verify || rehash, rehash: rehash))
                }
            }
        }
        return found
    }

    private func describe(ref: EntryRef, file: String, at url: URL, spec: ManifestFile?, verify: Bool, rehash: Bool) -> CachedFile {
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)).map {
            URL(fileURLWithPath: $0, relativeTo: url.deletingLastPathComponent()).standardizedFileURL
        }
        let bytes = Verifier.FileFacts(url)?.size ?? 0
        func result(_ status: CachedFile.Status, _ detail: String? = nil) -> CachedFile {
            CachedFile(ref: ref, file: file, url: url, bytes: bytes, status: status, linkTarget: target, detail: detail)
        }
        if file.hasSuffix(".part") { return result(.partial) }
        if file.contains(".bad-") { return result(.bad) }
        if target != nil, Verifier.FileFacts(url) == nil { return result(.brokenLink) }
        guard let spec else { return result(.unknown) }
        if !verify {
            if let size = spec.size, size != bytes { return result(.failed, "is \(bytes) B, expected \(size) B") }
            if !spec.hasChecksum { return result(.unchecked) }
            return result(verifier.hasValidStamp(url, for: spec) ? .verified : .unverified)
        }
        switch verifier.check(url, against: spec, rehash: rehash) {
        case .passed(.verified): return result(.verified)
        case .passed(.unchecked): return result(.unchecked)
        case .failed(let reason): return result(.failed, reason)
        }
    }

    /// Deletes `CACHE/KIND/NAME` (files, partial downloads, files moved aside, links; never
    /// the mirror files links point to). Returns the bytes freed, or nil if nothing was there.
    @discardableResult
    public func removeFromCache(_ ref: EntryRef) throws -> Int64? {
        guard !ref.name.isEmpty, !ref.name.hasPrefix("."), !ref.name.contains("/") else {
            throw UnknownEntryError(description: "'\(ref.name)' is not an entry name")
        }
        let dir = cacheDirectory(for: ref)
        guard FileManager.default.fileExists(atPath: dir.path) else { return nil }
        let freed = Self.bytes(under: dir)
        do { try FileManager.default.removeItem(at: dir) } catch {
            throw StoreIOError(path: dir.path, action: "remove", reason: error.localizedDescription)
        }
        return freed
    }

    /// Deletes every cached dataset and model and the mirror stamps; keeps the user manifest
    /// (`manifest.json`) and anything else in the cache directory. Returns the bytes freed.
    @discardableResult
    public func clearCache() throws -> Int64 {
        var freed: Int64 = 0
        let names = EntryKind.allCases.map(\.directoryName) + [".verified"]  // .verified: mirror stamps
        for name in names {
            let dir = configuration.cacheDirectory.appendingPathComponent(name, isDirectory: true)
            guard FileManager.default.fileExists(atPath: dir.path) else { continue }
            if !name.hasPrefix(".") { freed += Self.bytes(under: dir) }
            do { try FileManager.default.removeItem(at: dir) } catch {
                throw StoreIOError(path: dir.path, action: "remove", reason: error.localizedDescription)
            }
        }
        return freed
    }

    /// Bytes of the data files under `dir`: regular files, not following links (a link into a
    /// mirror frees nothing), not counting the Store's own dot-files (stamps, locks).
    private static func bytes(under dir: URL) -> Int64 {
        var total: Int64 = 0
        guard let walker = FileManager.default.enumerator(atPath: dir.path) else { return 0 }
        while let relative = walker.nextObject() as? String {
            if (relative as NSString).lastPathComponent.hasPrefix(".") { continue }
            var info = stat()
            if lstat(dir.appendingPathComponent(relative).path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
                total += Int64(info.st_size)
            }
        }
        return total
    }
}
