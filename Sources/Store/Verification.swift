import Common
import DataIO
import Foundation

/// How far a file handed out by the Store was checked.
public enum VerificationStatus: String, Sendable {
    /// Its size and sha256 (or its member's sha256) match the manifest.
    case verified
    /// The manifest knows no checksum for it, so only its size (if known) was compared.
    case unchecked
}

/// Checks files against their manifest record, remembering successes in small "verified"
/// stamps keyed by size and modification time, so a 500 MB checkpoint is hashed once rather
/// than on every run. Stamps of cache files sit beside them (`.FILE.verified`); stamps of
/// mirror and explicit files, which are not ours to write next to, go to `CACHE/.verified/`.
struct Verifier {
    let cacheDirectory: URL
    let progress: ProgressReporter

    enum Outcome: Equatable {
        case passed(VerificationStatus)
        case failed(String)
    }

    /// Size and modification time: what a stamp is keyed by.
    struct FileFacts: Equatable {
        let size: Int64
        let modified: Int64  // nanoseconds since 1970

        init?(_ url: URL) {
            var info = stat()
            guard stat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            size = Int64(info.st_size)
            #if canImport(Darwin)
            let time = info.st_mtimespec
            #else
            let time = info.st_mtim
            #endif
            modified = Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
        }
    }

    private struct Stamp: Codable {
        var size: Int64
        var mtime_ns: Int64
        var sha256: String?
        var member_sha256: String?
    }

    /// Checks `file`; `digest` is the file's SHA-256 when the caller already has it (a download
    /// hashes as it writes). Files without any known checksum pass as `.unchecked`. `rehash`
    /// ignores a stamp: a stamp trusts size and mtime, which a corruption in place can keep.
    func check(_ file: URL, against spec: ManifestFile, digest: SHA256Digest? = nil, writeStamp shouldStamp: Bool = true,
               rehash: Bool = false) -> Outcome {
        guard let facts = FileFacts(file) else { return .failed("is not a readable regular file") }
        if let size = spec.size, facts.size != size {
            return .failed("is \(facts.size) B, expected \(size) B")
        }
        guard spec.hasChecksum else { return .passed(.unchecked) }
        if !rehash, let stamp = readStamp(for: file), stamp.size == facts.size, stamp.mtime_ns == facts.modified,
           spec.sha256 == nil || stamp.sha256 == spec.sha256,
           spec.member == nil || stamp.member_sha256 == spec.member?.sha256 {
            return .passed(.verified)
        }
        if let expected = spec.sha256 {
            let actual: String
            if let digest {
                actual = digest.hex
            } else {
                do {
                    actual = try progress.hashing(file.lastPathComponent, size: facts.size) { report in
                        try SHA256.hash(fileAt: file, progress: report).hex
                    }
                } catch {
                    return .failed("could not be read: \(error)")
                }
            }
            guard actual == expected else { return .failed("has sha256 \(actual), expected \(expected)") }
        }
        if let member = spec.member {
            let found: (digest: SHA256Digest, bytes: Int64)
            do {
                found = try SHA256.hash(ArchiveReader(url: file).open(member: member.name))
            } catch let error as ReadError where error.kind == .missingMember {
                return .failed("has no member '\(member.name)'")
            } catch let error as ReadError {
                return .failed("is not a readable archive (\(error.location.member.map { "member '\($0)': " } ?? "")\(error.detail))")
            } catch {
                return .failed("could not be read: \(error)")
            }
            if let size = member.size, found.bytes != size {
                return .failed("has member '\(member.name)' of \(found.bytes) B, expected \(size) B")
            }
            guard found.digest.hex == member.sha256 else {
                return .failed("has member '\(member.name)' with sha256 \(found.digest.hex), expected \(member.sha256)")
            }
        }
        // Stamp the facts as they are now: if the file changed while we hashed, the next
        // run sees different facts and checks again.
        if shouldStamp { writeStamp(Stamp(size: facts.size, mtime_ns: facts.modified, sha256: spec.sha256, member_sha256: spec.member?.sha256), for: file) }
        return .passed(.verified)
    }

    /// Records that `file` (just checked under another name, then renamed) is verified.
    func stamp(_ file: URL, for spec: ManifestFile) {
        guard spec.hasChecksum, let facts = FileFacts(file) else { return }
        writeStamp(Stamp(size: facts.size, mtime_ns: facts.modified, sha256: spec.sha256, member_sha256: spec.member?.sha256), for: file)
    }

    /// Whether `file` carries a stamp that is still valid for `spec` (no hashing).
    func hasValidStamp(_ file: URL, for spec: ManifestFile) -> Bool {
        guard let facts = FileFacts(file), let stamp = readStamp(for: file) else { return false }
        return stamp.size == facts.size && stamp.mtime_ns == facts.modified
            && (spec.sha256 == nil || stamp.sha256 == spec.sha256)
            && (spec.member == nil || stamp.member_sha256 == spec.member?.sha256)
    }

    func stampURL(for file: URL) -> URL {
        let path = file.standardizedFileURL.path
        let cachePrefix = cacheDirectory.standardizedFileURL.path + "/"
        if path.hasPrefix(cachePrefix) {
            return file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).verified")
        }
        let key = SHA256.hash(Data(path.utf8)).hex
        return cacheDirectory.appendingPathComponent(".verified/\(key).json")
    }

    private func readStamp(for file: URL) -> Stamp? {
        guard let data = try? Data(contentsOf: stampURL(for: file)) else { return nil }
        return try? JSONDecoder().decode(Stamp.self, from: data)
    }

    /// Best effort: a read-only cache only costs a re-hash next time.
    private func writeStamp(_ stamp: Stamp, for file: URL) {
        guard let data = try? JSONEncoder().encode(stamp) else { return }
        try? AtomicFile.write(data, to: stampURL(for: file))
    }
}
