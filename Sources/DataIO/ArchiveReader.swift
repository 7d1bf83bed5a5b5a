import Foundation

/// One file inside an archive. `size` is the uncompressed size when the archive records it
/// (zip and tar do; a lone `.gz` does not).
public struct ArchiveMember: Sendable, Hashable {
    public let name: String
    public let size: Int?

    public init(name: String, size: Int?) {
        self.name = name
        self.size = size
    }
}

/// Reads files out of a zip (stored or deflate), a tar (plain, .tar.gz/.tgz, .tar.bz2, .tar.xz), a
/// single compressed file (.gz, .bz2, .xz), or a plain file, through one API, streaming the bytes of
/// one member without extracting anything to disk.
///
///     let archive = try ArchiveReader(path: "imdb.zip")
///     print(try archive.members())               // [imdb_train.csv (33634422 B), ...]
///     let stream = try archive.open(member: "imdb_train.csv")   // or a glob: "*/test.csv"
///     let rows = try CSVReader(stream, format: .csv).readAll()
///
/// A plain file is its own single member, so `ArchiveReader(path: "train.csv").open()` reads it.
/// What a path holds is decided from its first bytes; a name that promises an archive (`.zip`,
/// `.tar.gz`, ...) must hold one, or the reader says so instead of parsing garbage.
public final class ArchiveReader {
    public enum Kind: String, Sendable {
        /// Not an archive: the file's bytes are the one member.
        case plainFile
        case zip
        /// A tar, possibly compressed.
        case tar
        /// One compressed file (e.g. `train.csv.gz`); its member is named without the suffix.
        case compressedFile
    }

    public let path: String
    public let kind: Kind
    private var cachedMembers: [ArchiveMember]?
    /// For a zip, the entry count its end-of-central-directory record states (nil for zip64),
    /// checked against what the central directory yields.
    private var zipEntryCount: Int?

    /// Opens `path` and works out what it holds. Throws a `ReadError` for a missing file, a
    /// directory, an empty or non-archive file whose name promises an archive.
    public init(path: String) throws {
        self.path = path
        let location = DataLocation(file: path)
        var info = stat()
        guard stat(path, &info) == 0 else { throw ReadError.openFailed(path: path, errno: errno, location) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw ReadError(.notReadable, location, "is a directory, not a file") }

        let head = try Self.firstBytes(of: path, count: 512, location: location)
        let signature = Signature(head)
        let promised = Promise(fileName: (path as NSString).lastPathComponent)

        if let promised, head.isEmpty {
            throw ReadError(.emptyFile, location, "is empty (0 bytes), but its name says it is \(promised.noun)")
        }
        switch (promised, signature) {
        case (nil, nil): kind = .plainFile
        case (nil, .zip), (.zip, .zip):
            guard let end = try ZipDirectoryEnd(path, size: Int(info.st_size), location: location) else {
                throw ReadError(.corruptArchive, location, "the zip is truncated or corrupt: its end-of-central-directory record is missing")
            }
            try end.checkDirectory(in: path, location: location)
            zipEntryCount = end.entryCount
            kind = .zip
        case (nil, .tar), (.tar, .tar): kind = .tar
        case (nil, .compressed), (.compressedTar, .compressed), (.compressedFile, .compressed):
            // Only decompressing tells a compressed tar from a lone compressed file.
            let probe = try LibArchiveReader(path: path, formats: .tarOrSingleCompressedFile, location: location)
            _ = try probe.nextEntry()
            guard probe.isDecompressing else {
                throw ReadError(.corruptArchive, location, "starts with the signature of compressed data, but no decompressor accepts what follows: the file is corrupt")
            }
            let isSingleFile = probe.isRawFormat
            if isSingleFile, promised == .compressedTar {
                throw ReadError(.notAnArchive, location, "the decompressed data is not a tar archive, though the name ends in a tar suffix")
            }
            kind = isSingleFile ? .compressedFile : .tar
        case (let promised?, _):
            throw ReadError(.notAnArchive, location, "is not \(promised.noun): \(Signature.describe(head))")
        }
    }

    public convenience init(url: URL) throws { try self.init(path: url.path) }

    /// The regular files in the archive, in archive order (directories and links are left out).
    /// Reading the list walks the whole archive, so a truncated or corrupt archive fails here.
    public func members() throws -> [ArchiveMember] {
        if let cachedMembers { return cachedMembers }
        let result: [ArchiveMember]
        switch kind {
        case .plainFile:
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            result = [ArchiveMember(name: fileName, size: size)]
        case .compressedFile:
            result = [ArchiveMember(name: decompressedName, size: nil)]
        case .zip where zipEntryCount == 0:
            result = []  // libarchive calls a zip without entries an unrecognised format
        case .zip, .tar:
            let reader = try libArchiveReader()
            var list: [ArchiveMember] = []
            var entries = 0
            while let entry = try reader.nextEntry() {
                entries += 1
                if entry.isRegularFile { list.append(ArchiveMember(name: entry.name, size: entry.size)) }
                try reader.skipData(member: entry.name)
            }
            if let expected = zipEntryCount, entries != expected {
                throw ReadError(.corruptArchive, location, "the zip's central directory is corrupt: it should list \(expected) entries, but \(entries) could be read")
            }
            result = list
        }
        cachedMembers = result
        return result
    }

    /// Finds the one member that `nameOrGlob` names. `nil` means "the only file there is" (a plain
    /// or single compressed file, or an archive holding one file). A name with `*`, `?` or `[` is a
    /// shell-style glob in which `*` also matches `/` (so `*/test.csv` finds `ag_news_csv/test.csv`)
    /// and must match exactly one member. A leading `./` on member names is ignored.
    public func member(_ nameOrGlob: String?) throws -> ArchiveMember {
        let all = try members()
        guard let nameOrGlob else {
            if all.count == 1 { return all[0] }
            throw ReadError(.memberRequired, location,
                            "holds \(all.count) files, so name the one to read: \(Self.list(all))")
        }
        if MemberPattern.isGlob(nameOrGlob) {
            let matches = all.filter { MemberPattern.matches(glob: nameOrGlob, name: $0.name) }
            if matches.count == 1 { return matches[0] }
            if matches.isEmpty {
                throw ReadError(.missingMember, location, "no member matches \"\(nameOrGlob)\"; members are: \(Self.list(all))")
            }
            throw ReadError(.ambiguousMember, location,
                            "\(matches.count) members match \"\(nameOrGlob)\", name one: \(Self.list(matches))")
        }
        if let found = all.first(where: { MemberPattern.sameName($0.name, nameOrGlob) }) { return found }
        throw missingMember(nameOrGlob, all: all)
    }

    private func missingMember(_ name: String, all: [ArchiveMember]) -> ReadError {
        let what = kind == .plainFile ? "is a plain file, not an archive, so it has no member \"\(name)\"" :
            "has no member \"\(name)\"; members are: \(Self.list(all))"
        return ReadError(.missingMember, location, what)
    }

    /// Streams one member's bytes (see `member(_:)` for how it is named). An encrypted zip entry is
    /// a `ReadError` of kind `.encryptedMember`; corruption surfaces from the stream's `read`.
    public func open(member nameOrGlob: String? = nil) throws -> ByteStream {
        switch kind {
        case .plainFile:
            _ = try member(nameOrGlob)
            return try FileByteStream(path: path, location: location)
        case .compressedFile:
            let target = try member(nameOrGlob)
            let reader = try libArchiveReader()
            let memberLocation = DataLocation(file: path, member: target.name)
            guard try reader.nextEntry() != nil else {
                throw ReadError(.corruptArchive, memberLocation, "the compressed stream holds no data")
            }
            return ArchiveMemberStream(reader: reader, location: memberLocation)
        case .zip where zipEntryCount == 0:
            throw ReadError(.missingMember, location, "is an empty zip archive (no members), so it has no member \"\(nameOrGlob ?? "")\"")
        case .zip, .tar:
            // An exact name is looked for in the same pass that reads it (a compressed tar is not
            // decompressed twice); a glob or no name needs the list first.
            let exactName = nameOrGlob.flatMap { MemberPattern.isGlob($0) ? nil : $0 }
            let wanted = try exactName ?? member(nameOrGlob).name
            let reader = try libArchiveReader()
            var seen: [ArchiveMember] = []
            while let entry = try reader.nextEntry() {
                if entry.isRegularFile {
                    if MemberPattern.sameName(entry.name, wanted) {
                        let memberLocation = DataLocation(file: path, member: entry.name)
                        if entry.isEncrypted {
                            throw ReadError(.encryptedMember, memberLocation, "is encrypted (password-protected); decrypt the archive first, e.g. `unzip` it and zip it again without a password")
                        }
                        return ArchiveMemberStream(reader: reader, location: memberLocation, size: entry.size)
                    }
                    seen.append(ArchiveMember(name: entry.name, size: entry.size))
                }
                try reader.skipData(member: entry.name)
            }
            cachedMembers = seen
            throw missingMember(wanted, all: seen)
        }
    }

    /// All bytes of one member. For small members; stream large ones with `open`.
    public func readAll(member nameOrGlob: String? = nil) throws -> [UInt8] {
        try open(member: nameOrGlob).readAll()
    }

    // MARK: - Details

    private var location: DataLocation { DataLocation(file: path) }
    private var fileName: String { (path as NSString).lastPathComponent }

    /// `train.csv.gz` → `train.csv`: the name the decompressed file would get.
    private var decompressedName: String {
        for suffix in [".gz", ".bz2", ".xz", ".zst", ".lz4", ".z"] where fileName.lowercased().hasSuffix(suffix) {
            return String(fileName.dropLast(suffix.count))
        }
        return fileName
    }

    private func libArchiveReader() throws -> LibArchiveReader {
        let formats: LibArchiveReader.Formats = switch kind {
        case .zip: .zip
        case .tar: .tar
        case .compressedFile, .plainFile: .tarOrSingleCompressedFile
        }
        return try LibArchiveReader(path: path, formats: formats, location: location)
    }

    private static func list(_ members: [ArchiveMember], limit: Int = 20) -> String {
        if members.isEmpty { return "(none)" }
        var names = members.prefix(limit).map(\.name).joined(separator: ", ")
        if members.count > limit { names += ", ... (\(members.count - limit) more)" }
        return names
    }

    private static func firstBytes(of path: String, count: Int, location: DataLocation) throws -> [UInt8] {
        let stream = try FileByteStream(path: path, location: location)
        var head = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try head.withUnsafeMutableBytes { try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if n == 0 { break }
            filled += n
        }
        return Array(head[0..<filled])
    }
}

/// A zip's end-of-central-directory record: where the member list is, and how long.
private struct ZipDirectoryEnd {
    /// Entries the record states; nil when it defers to a zip64 record (counts of 0xFFFF).
    let entryCount: Int?
    let directorySize: Int
    let directoryOffset: Int
    /// Where the record itself starts.
    let position: Int

    /// A whole zip ends with this record (signature PK\u{5}\u{6}) in its last 65,557 bytes
    /// (22-byte record + a comment of up to 65,535 bytes). A download cut short lacks it even
    /// when the first members are intact: then nil.
    init?(_ path: String, size: Int, location: DataLocation) throws {
        let tailLength = min(size, 22 + 65_535)
        guard tailLength >= 22, let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let tail: [UInt8]
        do {
            try handle.seek(toOffset: UInt64(size - tailLength))
            guard let read = try handle.read(upToCount: tailLength).map(Array.init), read.count == tailLength else { return nil }
            tail = read
        } catch {
            throw ReadError(.notReadable, location, "cannot read: \(error.localizedDescription)")
        }
        func le(_ at: Int, _ count: Int) -> Int { (0..<count).reduce(0) { $0 | Int(tail[at + $1]) << (8 * $1) } }
        var i = tail.count - 22
        while i >= 0, !(tail[i] == 0x50 && tail[i + 1] == 0x4B && tail[i + 2] == 0x05 && tail[i + 3] == 0x06) { i -= 1 }
        guard i >= 0 else { return nil }
        let count = le(i + 10, 2)
        entryCount = count == 0xFFFF ? nil : count
        directorySize = le(i + 12, 4)
        directoryOffset = le(i + 16, 4)
        position = size - tailLength + i
    }

    /// The central directory must lie before the record and start with an entry's signature
    /// (PK\u{1}\u{2}); otherwise libarchive would list nothing, and "(none)" hides the damage.
    /// Zip64 offsets (0xFFFFFFFF) live in another record, which libarchive checks.
    func checkDirectory(in path: String, location: DataLocation) throws {
        guard entryCount != nil, directoryOffset != 0xFFFF_FFFF, directorySize != 0xFFFF_FFFF else { return }
        let corrupt = { (why: String) in ReadError(.corruptArchive, location, "the zip's central directory is corrupt: \(why)") }
        guard directoryOffset + directorySize <= position else {
            throw corrupt("it is said to span bytes \(directoryOffset)..<\(directoryOffset + directorySize), past its end record at byte \(position)")
        }
        guard entryCount != 0 else { return }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ReadError(.notReadable, location, "cannot be opened for reading") }
        defer { try? handle.close() }
        let head: [UInt8]
        do {
            try handle.seek(toOffset: UInt64(directoryOffset))
            head = try handle.read(upToCount: 4).map(Array.init) ?? []
        } catch {
            throw ReadError(.notReadable, location, "cannot read: \(error.localizedDescription)")
        }
        guard head == [0x50, 0x4B, 0x01, 0x02] else {
            throw corrupt("no entry starts at byte \(directoryOffset), where the end record says it does")
        }
    }
}

/// The bytes of one archive member, decompressed as they are read.
final class ArchiveMemberStream: ByteStream {
    let location: DataLocation
    private let reader: LibArchiveReader
    /// The size the archive gives the member, if it gives one.
    private let size: Int?
    private var delivered = 0

    init(reader: LibArchiveReader, location: DataLocation, size: Int? = nil) {
        self.reader = reader
        self.location = location
        self.size = size
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try reader.readData(into: buffer, member: location.member ?? "")
        delivered += n
        // libarchive ends a stored zip member whose local header claims more bytes than its
        // data holds without an error; a member that does not match its size is corrupt.
        if let size, n == 0 ? delivered != size : delivered > size {
            throw ReadError(.corruptArchive, location, "cannot read member data: it holds \(delivered)\(n == 0 ? "" : "+") bytes, but the archive gives its size as \(size) (the archive is truncated or corrupt)")
        }
        return n
    }
}

/// What a file's first bytes say it is.
private enum Signature: Equatable {
    case zip, tar, compressed

    init?(_ head: [UInt8]) {
        func starts(_ magic: [UInt8]) -> Bool { head.starts(with: magic) }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) || starts([0x50, 0x4B, 0x07, 0x08]) {
            self = .zip
        } else if head.count >= 262, Array(head[257..<262]) == Array("ustar".utf8) {
            self = .tar
        } else if starts([0x1F, 0x8B]) || starts(Array("BZh".utf8)) || starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])
                    || starts([0x28, 0xB5, 0x2F, 0xFD]) {
            self = .compressed
        } else {
            return nil
        }
    }

    /// A short account of what the bytes look like, for "is not a zip archive: ..." messages.
    static func describe(_ head: [UInt8]) -> String {
        switch Signature(head) {
        case .zip?: return "it is a zip archive"
        case .tar?: return "it is an uncompressed tar archive"
        case .compressed?: return "it is compressed data"
        case nil: break
        }
        let sample = head.prefix(32)
        if sample.allSatisfy({ $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || (0x20..<0x7F).contains($0) || $0 >= 0x80 }) {
            let text = String(decoding: sample, as: UTF8.self)
                .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t")
            return "it starts with text \"\(text)\(head.count > 32 ? "..." : "")\""
        }
        return "it starts with bytes " + head.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}

/// What a file's name says it should be.
private enum Promise: Equatable {
    case zip, tar, compressedTar, compressedFile

    init?(fileName: String) {
        let name = fileName.lowercased()
        func ends(_ suffixes: String...) -> Bool { suffixes.contains { name.hasSuffix($0) } }
        if ends(".zip") { self = .zip }
        else if ends(".tar") { self = .tar }
        else if ends(".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst", ".tzst") { self = .compressedTar }
        else if ends(".gz", ".bz2", ".xz", ".zst") { self = .compressedFile }
        else { return nil }
    }

    var noun: String {
        switch self {
        case .zip: "a zip archive"
        case .tar: "a tar archive"
        case .compressedTar: "a compressed tar archive"
        case .compressedFile: "a compressed file"
        }
    }
}
