import CArchive
import Foundation

/// The one place that talks to libarchive's read API. Each instance is one pass over the archive
/// from its start (libarchive reads sequentially; for zip it uses the central directory).
final class LibArchiveReader {
    /// Which libarchive readers to enable. Enabling only what the file should be gives precise
    /// errors ("not a zip") instead of libarchive guessing some other format.
    enum Formats {
        case zip
        /// tar, optionally compressed (gzip, bzip2, xz, zstd, ...).
        case tar
        /// A compressed tar, or failing that a single compressed file ("raw" format).
        case tarOrSingleCompressedFile
    }

    struct Entry {
        let name: String
        let size: Int?
        let isRegularFile: Bool
        let isEncrypted: Bool
    }

    let location: DataLocation
    private let archive: OpaquePointer

    init(path: String, formats: Formats, location: DataLocation) throws {
        self.location = location
        guard let archive = archive_read_new() else {
            throw ReadError(.notReadable, location, "libarchive could not allocate a reader")
        }
        self.archive = archive
        switch formats {
        case .zip:
            // The central directory is the authority on what a zip holds (and on sizes of entries
            // written with data descriptors), so read it rather than scanning local headers.
            archive_read_support_format_zip_seekable(archive)
        case .tar:
            archive_read_support_filter_all(archive)
            archive_read_support_format_tar(archive)
            archive_read_support_format_empty(archive)
        case .tarOrSingleCompressedFile:
            archive_read_support_filter_all(archive)
            archive_read_support_format_tar(archive)
            // raw bids lowest, so a real tar always wins; anything else is the one decompressed file.
            archive_read_support_format_raw(archive)
        }
        if archive_read_open_filename(archive, path, 1 << 18) != ARCHIVE_OK {
            // Every stored property is set, so deinit runs for this throw and frees the handle.
            throw failure(.notReadable, prefix: "cannot open", hint: nil)
        }
    }

    deinit { archive_read_free(archive) }

    /// True if the entry just read came from libarchive's "raw" format (a lone compressed file).
    var isRawFormat: Bool { archive_format(archive) == ARCHIVE_FORMAT_RAW }

    /// True if a decompression filter is in the chain (besides "none", the file itself). A
    /// compressed file's magic followed by bytes no decompressor accepts has none.
    var isDecompressing: Bool { archive_filter_count(archive) > 1 }

    /// The next entry's header, or nil at the end of the archive.
    func nextEntry() throws -> Entry? {
        var entryPointer: OpaquePointer?
        let status = archive_read_next_header(archive, &entryPointer)
        if status == ARCHIVE_EOF { return nil }
        guard status >= ARCHIVE_WARN, let entry = entryPointer else {
            throw failure(.corruptArchive, prefix: "cannot read the next member header")
        }
        let namePointer = archive_entry_pathname_utf8(entry) ?? archive_entry_pathname(entry)
        let name = namePointer.map { String(cString: $0) } ?? ""
        let size = archive_entry_size_is_set(entry) != 0 ? Int(archive_entry_size(entry)) : nil
        // S_IFREG has AE_IFREG's value; the libarchive macro has a cast Swift cannot import.
        return Entry(name: name, size: size,
                     isRegularFile: archive_entry_filetype(entry) == S_IFREG,
                     isEncrypted: archive_entry_is_encrypted(entry) != 0)
    }

    /// Skips the current entry's data (so truncation of it is noticed while listing).
    func skipData(member: String) throws {
        if archive_read_data_skip(archive) < ARCHIVE_WARN {
            throw failure(.corruptArchive, member: member, prefix: "cannot skip over the member's data")
        }
    }

    /// Decompresses the current entry's next bytes into `buffer`; 0 at its end.
    func readData(into buffer: UnsafeMutableRawBufferPointer, member: String) throws -> Int {
        let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
        if n >= 0 { return n }
        // A warning here is no small matter: libarchive reports a zip CRC mismatch as ARCHIVE_WARN.
        throw failure(.corruptArchive, member: member, prefix: "cannot read member data")
    }

    private func failure(_ kind: ReadError.Kind, member: String? = nil, prefix: String,
                         hint: String? = "the archive is truncated or corrupt") -> ReadError {
        // Some libarchive messages end in a newline (zip's "uncompressed data is wrong size").
        let message = archive_error_string(archive).map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) }
            ?? "unknown libarchive error"
        let place = member.map { DataLocation(file: location.file, member: $0) } ?? location
        return ReadError(kind, place, "\(prefix): \(message)" + (hint.map { " (\($0))" } ?? ""))
    }
}
