import Foundation

/// A whole file mapped read-only into memory. Weight files are opened this way so that float32
/// tensors can be used in place, without a copy; the mapping lives as long as this object.
final class MappedFile: @unchecked Sendable {
    let path: String
    /// The file's bytes (empty, with a nil base, for an empty file).
    let bytes: UnsafeRawBufferPointer
    /// False for a copy made by `init(copying:path:)`, which is freed rather than unmapped.
    private let isMapped: Bool

    init(path: String) throws {
        self.path = path
        isMapped = true
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw TensorFileError(path, "cannot be opened: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw TensorFileError(path, "cannot be read: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw TensorFileError(path, "is not a regular file") }
        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let base, base != MAP_FAILED else {
            throw TensorFileError(path, "cannot be mapped into memory: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    /// A copy of `source` in memory, standing in for a file called `path` (for parsers fed bytes
    /// that never were a file, e.g. by a fuzzer).
    init(copying source: UnsafeRawBufferPointer, path: String) {
        self.path = path
        isMapped = false
        if source.isEmpty {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 16)
        copy.copyMemory(from: source)
        bytes = UnsafeRawBufferPointer(copy)
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        if isMapped { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) } else { base.deallocate() }
    }
}

/// Float32 values converted from another type; owns its memory.
final class FloatStorage: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Float>

    init(count: Int) {
        buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: Swift.max(count, 1))
    }

    deinit { buffer.deallocate() }
}

/// A reason a byte range does not parse; the reader that owns the file turns it into a
/// `TensorFileError` naming the file (and tensor).
struct FormatError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Bounds-checked reads from a byte range. TensorEngine is compiled with -Ounchecked, where
/// Swift's own bounds checks are gone, so every read of file data goes through these checks.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position >= bytes.count }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw FormatError("ends in the middle of a value") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func uint32() throws -> UInt32 {
        guard remaining >= 4 else { throw FormatError("ends in the middle of a 32-bit value") }
        defer { position += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    mutating func uint64() throws -> UInt64 {
        guard remaining >= 8 else { throw FormatError("ends in the middle of a 64-bit value") }
        defer { position += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    /// A base-128 varint (protobuf, LevelDB) of at most 10 bytes.
    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 64 {
            let b = try byte()
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
        throw FormatError("has a malformed varint")
    }

    /// A varint that must fit a non-negative Int no larger than `limit`.
    mutating func length(atMost limit: Int) throws -> Int {
        let value = try varint()
        guard value <= UInt64(limit) else { throw FormatError("has a length \(value) past the end of its data") }
        return Int(value)
    }

    mutating func bytes(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else { throw FormatError("ends in the middle of a value") }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position ..< position + count])
    }
}

/// Product of a shape's dimensions times an element size, or nil on overflow (no trap under
/// -Ounchecked, so overflow is checked explicitly).
func byteCount(shape: [Int], elementSize: Int) -> Int? {
    var total = elementSize
    for d in shape {
        guard d >= 0 else { return nil }
        let (p, overflow) = total.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        total = p
    }
    return total
}

/// Float32 view of `count` elements of `dtype` at `data`: the mapping itself when the data is
/// float32 and aligned, a converted copy otherwise.
func floatView(name: String, shape: [Int], dtype: TensorDType, data: UnsafeRawBufferPointer,
               mapping: AnyObject) -> StoredTensor? {
    let count = data.count / (dtype.byteSize ?? 1)
    if dtype == .float32, let base = data.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
        let floats = UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: count)
        return StoredTensor(name: name, shape: shape, floats: floats, owner: mapping, isMapped: true)
    }
    if data.count == 0 {
        let storage = FloatStorage(count: 0)
        return StoredTensor(name: name, shape: shape, floats: UnsafeBufferPointer(rebasing: storage.buffer[0 ..< 0]),
                            owner: storage, isMapped: false)
    }
    let storage = FloatStorage(count: count)
    let out = storage.buffer
    switch dtype {
    case .float32:
        for i in 0 ..< count { out[i] = Float(bitPattern: data.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
    case .float16:
        for i in 0 ..< count { out[i] = Float(Float16(bitPattern: data.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
    case .bfloat16:
        // bfloat16 is the top half of a float32.
        for i in 0 ..< count { out[i] = Float(bitPattern: UInt32(data.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
    case .float64:
        for i in 0 ..< count { out[i] = Float(Double(bitPattern: data.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) }
    case .int64:
        for i in 0 ..< count { out[i] = Float(data.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
    case .int32:
        for i in 0 ..< count { out[i] = Float(data.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
    case .int16:
        for i in 0 ..< count { out[i] = Float(data.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
    case .int8:
        for i in 0 ..< count { out[i] = Float(Int8(bitPattern: data[i])) }
    case .uint8, .bool:
        for i in 0 ..< count { out[i] = Float(data[i]) }
    case .other:
        return nil
    }
    return StoredTensor(name: name, shape: shape, floats: UnsafeBufferPointer(storage.buffer), owner: storage, isMapped: false)
}

/// Integer values as Int64, or nil for non-integer types.
func int64Values(dtype: TensorDType, data: UnsafeRawBufferPointer) -> [Int64]? {
    switch dtype {
    case .int64:
        return (0 ..< data.count / 8).map { data.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) }
    case .int32:
        return (0 ..< data.count / 4).map { Int64(data.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
    case .int16:
        return (0 ..< data.count / 2).map { Int64(data.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
    case .int8:
        return data.map { Int64(Int8(bitPattern: $0)) }
    case .uint8, .bool:
        return data.map { Int64($0) }
    default:
        return nil
    }
}
