import Common
import CArchive
import Foundation

/// Writes small archives: test fixtures (tests build their broken and healthy archives with it
/// instead of committing binaries) and exports. The file appears atomically (`AtomicFile`).
public enum ArchiveWriter {
    public enum Format: Sendable {
        /// Zip with each member deflated (`compressed: true`) or stored.
        case zip(compressed: Bool)
        /// POSIX (pax) tar, optionally gzip-compressed (.tar.gz).
        case tar(gzip: Bool)
        /// One gzip-compressed file (`name.gz`, not a tar); takes exactly one member.
        case gzipFile
    }

    /// A write that libarchive refused; a failure of the run, not of the user's input.
    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Writes `members` (name, bytes) in order. Modification times are fixed at the epoch so the
    /// same input gives the same bytes.
    public static func write(_ members: [(name: String, bytes: [UInt8])], format: Format, to path: String) throws {
        try AtomicFile.write(to: URL(fileURLWithPath: path)) { handle in
            guard let archive = archive_write_new() else { throw WriteError(description: "libarchive could not allocate a writer") }
            defer { archive_write_free(archive) }
            func failure(_ what: String) -> WriteError {
                let message = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
                return WriteError(description: "cannot write \(path) (\(what)): \(message)")
            }
            func check(_ status: Int32, _ what: String) throws {
                guard status >= ARCHIVE_WARN else { throw failure(what) }
            }
            switch format {
            case .zip(let compressed):
                try check(archive_write_set_format_zip(archive), "zip format")
                try check(compressed ? archive_write_zip_set_compression_deflate(archive)
                                     : archive_write_zip_set_compression_store(archive), "zip compression")
            case .tar(let gzip):
                try check(archive_write_set_format_pax_restricted(archive), "tar format")
                if gzip { try check(archive_write_add_filter_gzip(archive), "gzip filter") }
            case .gzipFile:
                guard members.count == 1 else { throw WriteError(description: "a .gz file holds exactly one member, not \(members.count)") }
                try check(archive_write_set_format_raw(archive), "raw format")
                try check(archive_write_add_filter_gzip(archive), "gzip filter")
            }
            try check(archive_write_open_fd(archive, handle.fileDescriptor), "open")
            for member in members {
                guard let entry = archive_entry_new() else { throw WriteError(description: "libarchive could not allocate an entry") }
                defer { archive_entry_free(entry) }
                archive_entry_set_pathname_utf8(entry, member.name)
                archive_entry_set_size(entry, Int64(member.bytes.count))
                archive_entry_set_filetype(entry, S_IFREG)
                archive_entry_set_perm(entry, 0o644)
                archive_entry_set_mtime(entry, 0, 0)
                try check(archive_write_header(archive, entry), "header of \(member.name)")
                try member.bytes.withUnsafeBytes { bytes in
                    var offset = 0
                    while offset < bytes.count {
                        let n = archive_write_data(archive, bytes.baseAddress! + offset, bytes.count - offset)
                        guard n > 0 else { throw failure("data of \(member.name)") }
                        offset += n
                    }
                }
            }
            try check(archive_write_close(archive), "close")
        }
    }
}
