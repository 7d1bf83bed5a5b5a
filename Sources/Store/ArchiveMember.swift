import CArchive
import Foundation

/// Streams one member of an archive (zip, tar, ...) through SHA-256 without extracting it, for
/// manifest files checked by a member's checksum rather than the archive's own bytes.
enum ArchiveMember {
    struct Digest {
        let size: Int64
        let sha256: SHA256Digest
    }

    enum Failure: Error, CustomStringConvertible {
        case unreadable(String)
        case missing(member: String)

        var description: String {
            switch self {
            case .unreadable(let reason): "is not a readable archive (\(reason))"
            case .missing(let member): "has no member '\(member)'"
            }
        }
    }

    static func sha256(of member: String, inArchiveAt url: URL) throws -> Digest {
        guard let archive = archive_read_new() else { throw Failure.unreadable("libarchive could not start") }
        defer { archive_read_free(archive) }
        archive_read_support_format_all(archive)
        archive_read_support_filter_all(archive)
        guard archive_read_open_filename(archive, url.path, 1 << 16) == ARCHIVE_OK else {
            throw Failure.unreadable(message(archive))
        }
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { throw Failure.missing(member: member) }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else { throw Failure.unreadable(message(archive)) }
            guard let path = archive_entry_pathname(entry), String(cString: path) == member else {
                archive_read_data_skip(archive)
                continue
            }
            var hasher = SHA256()
            var size: Int64 = 0
            let chunk = 1 << 20
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = archive_read_data(archive, buffer.baseAddress, chunk)
                if n < 0 { throw Failure.unreadable("member '\(member)': \(message(archive))") }
                if n == 0 { break }
                hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0 ..< n]))
                size += Int64(n)
            }
            return Digest(size: size, sha256: hasher.finalize())
        }
    }

    private static func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
    }
}
