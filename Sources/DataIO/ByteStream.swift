import Foundation

/// A source of bytes read front to back in chunks: a plain file, an archive member being
/// decompressed, or bytes in memory. Nothing is extracted to disk and nothing forces the whole
/// input into memory; the CSV reader pulls chunks as it goes.
public protocol ByteStream: AnyObject {
    /// The file (and member) the bytes come from, for error messages.
    var location: DataLocation { get }

    /// Copies up to `buffer.count` next bytes into `buffer` and returns how many; 0 means the end.
    /// Throws a `ReadError` if the source turns out to be truncated or corrupt.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension ByteStream {
    /// The remaining bytes, all of them. For small members (labels, configs); stream big ones.
    public func readAll() throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    /// The remaining bytes as UTF-8 text; invalid bytes become U+FFFD.
    public func readAllText() throws -> String {
        String(decoding: try readAll(), as: UTF8.self)
    }
}

/// Bytes already in memory, e.g. text a test builds or a file read earlier. `maxRead` caps the
/// bytes one `read` delivers, so a reader's handling of chunk boundaries can be exercised.
public final class MemoryByteStream: ByteStream {
    public let location: DataLocation
    private let bytes: [UInt8]
    private let maxRead: Int
    private var offset = 0

    public init(_ bytes: [UInt8], location: DataLocation = DataLocation(file: "<memory>"), maxRead: Int = .max) {
        precondition(maxRead > 0, "maxRead must be positive")
        self.bytes = bytes
        self.location = location
        self.maxRead = maxRead
    }

    public convenience init(_ text: String, location: DataLocation = DataLocation(file: "<memory>")) {
        self.init(Array(text.utf8), location: location)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, maxRead, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}

/// A plain (uncompressed, unarchived) file read with read(2).
public final class FileByteStream: ByteStream {
    public let location: DataLocation
    private let fd: Int32

    /// Opens `path`; a missing or unreadable file is a `ReadError`.
    public init(path: String, location: DataLocation? = nil) throws {
        let location = location ?? DataLocation(file: path)
        self.location = location
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ReadError.openFailed(path: path, errno: errno, location) }
    }

    deinit { close(fd) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = Foundation.read(fd, base, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw ReadError(.notReadable, location, "cannot read: \(String(cString: strerror(errno)))")
        }
    }
}

extension ReadError {
    /// The error for a failed open(2) of a user-named file.
    static func openFailed(path: String, errno code: Int32, _ location: DataLocation) -> ReadError {
        if code == ENOENT { return ReadError(.fileNotFound, location, "no such file") }
        return ReadError(.notReadable, location, "cannot open: \(String(cString: strerror(code)))")
    }
}
