import Common
import Foundation

/// Where a resolved file came from.
public enum FileSource: Sendable, Equatable, CustomStringConvertible {
    case explicit
    case cache
    /// Used in place from this mirror root.
    case mirror(URL)
    /// Copied into the cache from this mirror root (`fetch`).
    case copiedFromMirror(URL)
    case download(URL)

    /// The stable word the CLI's JSON uses.
    public var kind: String {
        switch self {
        case .explicit: "explicit"
        case .cache: "cache"
        case .mirror: "mirror"
        case .copiedFromMirror: "mirror-copy"
        case .download: "download"
        }
    }

    public var description: String {
        switch self {
        case .explicit: "explicit path"
        case .cache: "cache"
        case .mirror(let root): "mirror \(root.path)"
        case .copiedFromMirror(let root): "copied from mirror \(root.path)"
        case .download(let url): "downloaded from \(url.absoluteString)"
        }
    }
}

/// A file the Store found (and checked, as far as the manifest allows).
public struct ResolvedFile: Sendable {
    public let ref: EntryRef
    public let file: String
    public let url: URL
    public let source: FileSource
    public let status: VerificationStatus
    public let bytes: Int64
}

/// Datasets and models by name: from an explicit path, the cache, a read-only mirror, or a
/// verified download, in that order.
///
///     let zip = try Store.resolve(.dataset("sms-spam"), file: "sms+spam+collection.zip")
///     let dir = try Store.resolveDirectory(.model("all-MiniLM-L6-v2"))
///
///     // In code or tests, with an explicit configuration:
///     var config = StoreConfiguration.fromEnvironment()
///     config.offline = true
///     let store = try Store(configuration: config)
///     let vocab = try store.resolve(.model("gpt2"), file: "encoder.json")
public struct Store: Sendable {
    public let configuration: StoreConfiguration
    public let manifest: Manifest
    let verifier: Verifier
    let progress: ProgressReporter

    /// `manifest` defaults to the built-in manifest, then `$TEXTCLF_HOME/manifest.json` if it
    /// exists, then `configuration.manifestFiles`.
    /// The same store that never downloads and logs nothing: to ask what is here already.
    public func offlineCopy() throws -> Store {
        var configuration = self.configuration
        configuration.offline = true
        configuration.showProgress = false
        configuration.log = { _ in }
        return try Store(configuration: configuration, manifest: manifest)
    }

    public init(configuration: StoreConfiguration = .fromEnvironment(), manifest: Manifest? = nil) throws {
        self.configuration = configuration
        if let manifest {
            self.manifest = manifest
        } else {
            var merged = try Manifest.builtin()
            var extra = configuration.manifestFiles
            if FileManager.default.fileExists(atPath: configuration.userManifestFile.path) {
                extra.insert(configuration.userManifestFile, at: 0)
            }
            for file in extra { merged.merge(try Manifest.load(from: file)) }
            self.manifest = merged
        }
        progress = ProgressReporter(enabled: configuration.showProgress)
        verifier = Verifier(cacheDirectory: configuration.cacheDirectory, progress: progress)
    }

    // MARK: - Convenience with the environment's configuration

    public static func resolve(_ ref: EntryRef, file: String, explicitPath: URL? = nil) throws -> URL {
        try Store().resolve(ref, file: file, explicitPath: explicitPath)
    }

    public static func resolveDirectory(_ ref: EntryRef, files: [String]? = nil, explicitDirectory: URL? = nil) throws -> URL {
        try Store().resolveDirectory(ref, files: files, explicitDirectory: explicitDirectory)
    }

    // MARK: - Paths

    /// `CACHE/KIND/NAME`.
    public func cacheDirectory(for ref: EntryRef) -> URL {
        configuration.cacheDirectory.appendingPathComponent(ref.relativePath, isDirectory: true)
    }

    /// `CACHE/KIND/NAME/FILE`.
    public func cachePath(_ ref: EntryRef, file: String) -> URL {
        cacheDirectory(for: ref).appendingPathComponent(file, isDirectory: false)
    }

    // MARK: - Resolution

    /// A local path to `file` of the entry `ref`, checked against the manifest. Tries, in
    /// order: `explicitPath`; the cache; each mirror; each URL (unless offline), downloading
    /// into the cache. Throws `ResolutionError` listing every place tried.
    public func resolve(_ ref: EntryRef, file: String, explicitPath: URL? = nil) throws -> URL {
        try locate(ref, file: file, explicitPath: explicitPath).url
    }

    /// Like `resolve`, and says where the file came from and how far it was checked.
    public func locate(_ ref: EntryRef, file: String, explicitPath: URL? = nil) throws -> ResolvedFile {
        let (_, spec) = try manifest.require(ref, file: file)
        if let explicitPath { return try checkExplicit(explicitPath, ref: ref, spec: spec) }
        return try find(ref, spec: spec)
    }

    /// A directory holding the entry's files (all of them, or just `files`), each checked:
    /// the cache directory or a mirror directory when either holds them all; otherwise the
    /// cache directory, completed by downloads and by symbolic links to mirror files (mirror
    /// files are never copied here).
    public func resolveDirectory(_ ref: EntryRef, files: [String]? = nil, explicitDirectory: URL? = nil) throws -> URL {
        let entry = try manifest.require(ref)
        let specs = try (files ?? entry.files.map(\.name)).map { try manifest.require(ref, file: $0).1 }
        if let explicitDirectory {
            for spec in specs {
                _ = try checkExplicit(explicitDirectory.appendingPathComponent(spec.name), ref: ref, spec: spec)
            }
            return explicitDirectory
        }
        let cacheDir = cacheDirectory(for: ref)
        let fm = FileManager.default
        let cacheHasAll = specs.allSatisfy { fm.fileExists(atPath: cacheDir.appendingPathComponent($0.name).path) }
        if !cacheHasAll {
            for root in configuration.mirrors {
                let dir = root.appendingPathComponent(ref.relativePath, isDirectory: true)
                let complete = specs.allSatisfy { spec in
                    let path = dir.appendingPathComponent(spec.name)
                    guard fm.fileExists(atPath: path.path), case .passed = verifier.check(path, against: spec) else { return false }
                    return true
                }
                if complete { return dir }
            }
        }
        var resolved: [ResolvedFile] = []
        for spec in specs { resolved.append(try find(ref, spec: spec)) }
        let directories = Set(resolved.map { $0.url.deletingLastPathComponent().standardizedFileURL.path })
        if directories.count == 1, let only = resolved.first { return only.url.deletingLastPathComponent() }
        // Mixed sources: gather them in the cache directory, linking to mirror files.
        for file in resolved where file.url.deletingLastPathComponent().standardizedFileURL.path != cacheDir.standardizedFileURL.path {
            let link = cacheDir.appendingPathComponent(file.file)
            try? fm.removeItem(at: link)
            do {
                try fm.createDirectory(at: cacheDir, withIntermediateDirectories: true)
                try fm.createSymbolicLink(at: link, withDestinationURL: file.url)
            } catch {
                throw StoreIOError(path: link.path, action: "link \(file.url.path) as", reason: "\(error.localizedDescription)")
            }
        }
        return cacheDir
    }

    /// Puts every file of the entry into the cache (copying from a mirror, else downloading),
    /// so the cache directory alone holds the entry. Files already cached are checked only: by
    /// their verified stamp, or with `rehash` by hashing them again (a bad one is moved aside
    /// and fetched anew).
    public func fetch(_ ref: EntryRef, rehash: Bool = false) throws -> [ResolvedFile] {
        let entry = try manifest.require(ref)
        var fetched: [ResolvedFile] = []
        var failures: [ResolutionError] = []
        for spec in entry.files {
            do {
                fetched.append(try find(ref, spec: spec, copyMirror: true, replaceCacheLinks: true, rehash: rehash))
            } catch let error as ResolutionError {
                failures.append(error)
            }
        }
        if !failures.isEmpty {
            let urlsKnown = failures.contains { failure in entry.file(named: failure.file).map { !$0.urls.isEmpty } ?? false }
            throw FetchError(ref: ref, fetched: fetched, failures: failures, fix: fix(for: ref, file: nil, urlsKnown: urlsKnown))
        }
        return fetched
    }

    // MARK: - The search

    private func checkExplicit(_ path: URL, ref: EntryRef, spec: ManifestFile) throws -> ResolvedFile {
        guard FileManager.default.fileExists(atPath: path.path) else {
            throw ExplicitPathError(description: "\(ref) file \(spec.name): explicit path \(path.path) does not exist")
        }
        switch verifier.check(path, against: spec) {
        case .passed(let status):
            return ResolvedFile(ref: ref, file: spec.name, url: path, source: .explicit, status: status, bytes: Verifier.FileFacts(path)?.size ?? 0)
        case .failed(let reason):
            throw ExplicitPathError(description: "\(ref) file \(spec.name): explicit path \(path.path) \(reason); it was left in place and not used")
        }
    }

    /// Cache, then mirrors, then the URLs (unless offline). For `fetch`: `copyMirror` copies a
    /// mirror hit into the cache instead of using it in place, and `replaceCacheLinks` treats
    /// a cached link to a mirror file (made by `resolveDirectory`) as missing.
    private func find(_ ref: EntryRef, spec: ManifestFile, copyMirror: Bool = false,
                      replaceCacheLinks: Bool = false, rehash: Bool = false) throws -> ResolvedFile {
        var attempts: [ResolutionAttempt] = []
        let cached = cachePath(ref, file: spec.name)
        let isLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: cached.path)) != nil
        if replaceCacheLinks && isLink {
            attempts.append(.init(.cache, cached.path, "a link to a mirror file; replacing it with a copy"))
        } else if let hit = cacheHit(ref, spec: spec, at: cached, rehash: rehash, attempts: &attempts) {
            return hit
        }

        if configuration.mirrors.isEmpty {
            attempts.append(.init(.mirror, "(none)", "TEXTCLF_MIRROR is not set"))
        }
        for root in configuration.mirrors {
            let path = root.appendingPathComponent(ref.relativePath).appendingPathComponent(spec.name)
            guard FileManager.default.fileExists(atPath: path.path) else {
                attempts.append(.init(.mirror, path.path, "not found"))
                continue
            }
            switch verifier.check(path, against: spec) {
            case .passed(let status):
                if !copyMirror {
                    return ResolvedFile(ref: ref, file: spec.name, url: path, source: .mirror(root), status: status,
                                        bytes: Verifier.FileFacts(path)?.size ?? 0)
                }
                do {
                    return try withFileLock(for: cached) {
                        try copyIntoCache(from: path, root: root, ref: ref, spec: spec)
                    }
                } catch {
                    attempts.append(.init(.mirror, path.path, "copying into the cache failed: \(error)"))
                }
            case .failed(let reason):
                attempts.append(.init(.mirror, path.path, "\(reason); not used (mirrors are read-only, so it stays there)"))
            }
        }

        if spec.urls.isEmpty {
            attempts.append(.init(.download, "(no URL)", "the manifest knows no download URL for this file"))
        } else if configuration.offline {
            for url in spec.urls {
                attempts.append(.init(.download, url.absoluteString, "not tried: offline (--offline or TEXTCLF_OFFLINE=1)"))
            }
        } else {
            do {
                return try withFileLock(for: cached) {
                    // Another process may have finished the same download while we waited.
                    var ignored: [ResolutionAttempt] = []
                    if let hit = cacheHit(ref, spec: spec, at: cached, attempts: &ignored) { return hit }
                    return try downloadIntoCache(ref, spec: spec, attempts: &attempts)
                }
            } catch is DownloadsFailed {
                // Each URL's failure is already in `attempts`.
            } catch {
                attempts.append(.init(.download, "(all URLs)", "\(error)"))
            }
        }
        throw ResolutionError(ref: ref, file: spec.name, attempts: attempts, fix: fix(for: ref, file: spec.name, urlsKnown: !spec.urls.isEmpty))
    }

    /// A checked cache file, or nil (recording why) after moving a bad one aside.
    private func cacheHit(_ ref: EntryRef, spec: ManifestFile, at cached: URL, rehash: Bool = false,
                          attempts: inout [ResolutionAttempt]) -> ResolvedFile? {
        guard FileManager.default.fileExists(atPath: cached.path) else {
            attempts.append(.init(.cache, cached.path, "not found"))
            return nil
        }
        switch verifier.check(cached, against: spec, rehash: rehash) {
        case .passed(let status):
            return ResolvedFile(ref: ref, file: spec.name, url: cached, source: .cache, status: status, bytes: Verifier.FileFacts(cached)?.size ?? 0)
        case .failed(let reason):
            let kept = moveAside(cached)
            attempts.append(.init(.cache, cached.path, "\(reason); moved aside to \(kept)"))
            configuration.log("\(ref) \(spec.name): the cached copy \(reason); moved aside to \(kept)")
            return nil
        }
    }

    // MARK: - Downloads

    private struct DownloadsFailed: Error {}

    /// Tries each URL in order (the later ones are backups), each with bounded exponential
    /// backoff, resuming the `.part` file where the previous attempt stopped.
    private func downloadIntoCache(_ ref: EntryRef, spec: ManifestFile, attempts: inout [ResolutionAttempt]) throws -> ResolvedFile {
        let destination = cachePath(ref, file: spec.name)
        let part = destination.appendingPathExtension("part")
        let origin = PartOrigin(part: part)
        do {
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            attempts.append(.init(.download, "(all URLs)", "cannot create \(destination.deletingLastPathComponent().path): \(error.localizedDescription)"))
            throw DownloadsFailed()
        }
        for url in spec.urls {
            // A part written from another URL may hold other bytes: only resume our own.
            if origin.read()?.url != url.absoluteString {
                try? FileManager.default.removeItem(at: part)
                origin.remove()
            }
            var tries = 0
            var lastFailure: TransferFailure?
            retrying: while tries < configuration.retry.attempts {
                tries += 1
                if tries > 1 {
                    let delay = configuration.retry.delay(beforeRetry: tries - 1)
                    configuration.log("\(ref) \(spec.name): \(lastFailure.map { "\($0)" } ?? "failed"); retry \(tries - 1) of \(configuration.retry.attempts - 1) in \(String(format: "%.1f", delay)) s")
                    Thread.sleep(forTimeInterval: delay)
                } else {
                    let resumeNote = (Verifier.FileFacts(part)?.size ?? 0) > 0 ? " (resuming)" : ""
                    configuration.log("downloading \(ref) \(spec.name) from \(url.absoluteString)\(resumeNote)")
                }
                origin.write(url: url.absoluteString, etag: origin.read()?.etag)
                let transfer = HTTPTransfer(url: url, partFile: part, ifRange: origin.read()?.etag, expectedSize: spec.size,
                                            idleTimeout: configuration.idleTimeout, progress: progress, label: spec.name)
                do {
                    let result = try transfer.run()
                    if result.restarted { configuration.log("\(ref) \(spec.name): the server sent the whole file again (no resume)") }
                    origin.write(url: url.absoluteString, etag: result.etag)
                    switch land(part, at: destination, spec: spec, digest: result.digest) {
                    case .landed(let status):
                        origin.remove()
                        return ResolvedFile(ref: ref, file: spec.name, url: destination, source: .download(url), status: status, bytes: result.bytes)
                    case .rejected(let message):
                        origin.remove()
                        configuration.log("\(ref) \(spec.name): \(message)")
                        attempts.append(.init(.download, url.absoluteString, message))
                        lastFailure = nil
                    }
                    break retrying
                } catch {
                    lastFailure = error
                    // Keep the validator of what is in the part, for If-Range on the retry.
                    if let etag = transfer.responseETag { origin.write(url: url.absoluteString, etag: etag) }
                    if case .rangeNotSatisfiable = error {
                        try? FileManager.default.removeItem(at: part)
                    }
                    if !error.isRetryable { break retrying }
                }
            }
            if let lastFailure {
                let retried = tries > 1 ? " (\(tries) attempts)" : ""
                attempts.append(.init(.download, url.absoluteString, "\(lastFailure)\(retried)"))
            }
        }
        // Keep a partial download for the next run, but not an empty one.
        if (Verifier.FileFacts(part)?.size ?? 0) == 0 {
            try? FileManager.default.removeItem(at: part)
            origin.remove()
        }
        throw DownloadsFailed()
    }

    private enum Landing {
        case landed(VerificationStatus)
        case rejected(String)
    }

    /// Checks a complete `.part` and renames it into place, or moves it aside as
    /// `FILE.bad-<time>` (never used, kept for inspection).
    private func land(_ part: URL, at destination: URL, spec: ManifestFile, digest: SHA256Digest?) -> Landing {
        switch verifier.check(part, against: spec, digest: digest, writeStamp: false) {
        case .passed(let status):
            guard rename(part.path, destination.path) == 0 else {
                return .rejected("cannot move \(part.path) into place: \(String(cString: strerror(errno)))")
            }
            if status == .verified { verifier.stamp(destination, for: spec) }
            return .landed(status)
        case .failed(let reason):
            let kept = moveAside(part, as: destination)
            return .rejected("the downloaded file \(reason); moved aside to \(kept) and not used")
        }
    }

    private func copyIntoCache(from source: URL, root: URL, ref: EntryRef, spec: ManifestFile) throws -> ResolvedFile {
        let destination = cachePath(ref, file: spec.name)
        let part = destination.appendingPathExtension("part")
        PartOrigin(part: part).remove()
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: part)
        guard let input = try? FileHandle(forReadingFrom: source) else { throw StoreIOError(path: source.path, action: "open", reason: "unreadable") }
        defer { try? input.close() }
        guard FileManager.default.createFile(atPath: part.path, contents: nil), let output = try? FileHandle(forWritingTo: part) else {
            throw StoreIOError(path: part.path, action: "create", reason: "cannot write in the cache")
        }
        var hasher = SHA256()
        var copied: Int64 = 0
        let line = progress.line("copying \(spec.name)", total: Verifier.FileFacts(source)?.size)
        do {
            defer { try? output.close() }
            while let chunk = try input.read(upToCount: 4 << 20), !chunk.isEmpty {
                try output.write(contentsOf: chunk)
                hasher.update(chunk)
                copied += Int64(chunk.count)
                line.update(copied)
            }
            try output.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: part)
            throw StoreIOError(path: part.path, action: "copy \(source.path) to", reason: "\(error)")
        }
        line.finish()
        switch land(part, at: destination, spec: spec, digest: hasher.finalize()) {
        case .landed(let status):
            return ResolvedFile(ref: ref, file: spec.name, url: destination, source: .copiedFromMirror(root), status: status, bytes: copied)
        case .rejected(let message):
            throw StoreIOError(path: destination.path, action: "copy into", reason: message)
        }
    }

    // MARK: - Helpers

    /// Renames a bad file to `FILE.bad-YYYYmmdd-HHMMSS` beside `destination` (default: itself)
    /// and returns that path, or a note that it was deleted when even that failed.
    private func moveAside(_ file: URL, as destination: URL? = nil) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let base = (destination ?? file).path + ".bad-" + formatter.string(from: Date())
        var target = base
        var n = 1
        while FileManager.default.fileExists(atPath: target) {
            n += 1
            target = "\(base)-\(n)"
        }
        if rename(file.path, target) == 0 { return target }
        try? FileManager.default.removeItem(at: file)
        return "(nowhere: renaming failed, so it was deleted)"
    }

    /// Serialises work on one cache file across processes (two `textclf` runs fetching the
    /// same model), with an advisory lock on `.FILE.lock` beside it.
    private func withFileLock<T>(for file: URL, _ body: () throws -> T) throws -> T {
        let dir = file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let lockPath = dir.appendingPathComponent(".\(file.lastPathComponent).lock").path
        let fd = open(lockPath, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw StoreIOError(path: lockPath, action: "open", errno: errno) }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            configuration.log("waiting for another textclf process working on \(file.path)")
            while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// The advice closing a resolution error, for one file or (file nil) a whole entry.
    private func fix(for ref: EntryRef, file: String?, urlsKnown: Bool) -> String {
        let mirrorHint = file.map { "put the file at DIR/\(ref.relativePath)/\($0) and `export TEXTCLF_MIRROR=DIR`" }
            ?? "put the files in DIR/\(ref.relativePath)/ and `export TEXTCLF_MIRROR=DIR`"
        let fetchName = manifest.entries(named: ref.name).count > 1 ? "--kind \(ref.kind.rawValue) \(ref.name)" : ref.name
        if !urlsKnown {
            let cacheTarget = file.map { cachePath(ref, file: $0).path } ?? cacheDirectory(for: ref).path + "/"
            return "no download URL is known for this file: \(mirrorHint), or copy it to \(cacheTarget)"
        }
        if configuration.offline {
            return "run `textclf fetch \(fetchName)` on a machine with internet access and copy its cache directory "
                + "(\(ref.relativePath) under TEXTCLF_HOME) to \(cacheDirectory(for: ref).path), or \(mirrorHint), "
                + "or allow downloads (drop --offline / TEXTCLF_OFFLINE)"
        }
        return "check the network (the download errors are listed) and rerun `textclf fetch \(fetchName)`, or \(mirrorHint)"
    }
}

/// Remembers which URL (and ETag) a `.part` file came from, in `.FILE.part.origin`, so a
/// download resumes only from its own bytes.
private struct PartOrigin {
    struct Record: Codable {
        var url: String
        var etag: String?
    }

    let path: URL

    init(part: URL) {
        path = part.deletingLastPathComponent().appendingPathComponent(".\(part.lastPathComponent).origin")
    }

    func read() -> Record? {
        guard let data = try? Data(contentsOf: path) else { return nil }
        return try? JSONDecoder().decode(Record.self, from: data)
    }

    func write(url: String, etag: String?) {
        guard let data = try? JSONEncoder().encode(Record(url: url, etag: etag)) else { return }
        try? data.write(to: path, options: .atomic)
    }

    func remove() { try? FileManager.default.removeItem(at: path) }
}
