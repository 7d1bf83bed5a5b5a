import Common
import Foundation

/// A `.safetensors` file (Hugging Face's weight format), memory-mapped.
///
/// Layout: an 8-byte little-endian header length N, N bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {..}}`,
/// then the tensor data; offsets count from the first byte after the header.
public final class SafeTensorsFile: TensorArchive, @unchecked Sendable {
    public let path: String
    public let names: [String]
    /// The optional `__metadata__` string map (e.g. `{"format": "pt"}`).
    public let metadata: [String: String]

    private struct Entry {
        let info: TensorInfo
        let range: Range<Int>  // absolute byte range in the file
    }

    private let entries: [String: Entry]
    private let mapping: MappedFile

    /// The safetensors format's own limit on the header size.
    static let maxHeaderLength = 100_000_000

    public convenience init(url: URL) throws {
        try self.init(mapping: MappedFile(path: url.path))
    }

    /// Parses a copy of `bytes` as if they were the file at `path` (named in errors).
    convenience init(bytes: UnsafeRawBufferPointer, path: String) throws {
        try self.init(mapping: MappedFile(copying: bytes, path: path))
    }

    private init(mapping: MappedFile) throws {
        path = mapping.path
        self.mapping = mapping
        let file = mapping.bytes
        guard file.count >= 8 else {
            throw TensorFileError(path, "is too short to be a safetensors file (\(file.count) bytes)")
        }
        let headerLength = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard headerLength <= UInt64(file.count - 8) else {
            throw TensorFileError(path, "header length \(headerLength) runs past the end of the file (\(file.count) bytes); truncated or not a safetensors file")
        }
        guard headerLength <= UInt64(Self.maxHeaderLength) else {
            throw TensorFileError(path, "header length \(headerLength) is larger than safetensors allows")
        }
        let dataStart = 8 + Int(headerLength)
        let json: [String: JSONValue]
        do {
            guard case .object(let object) = try JSONReader.parse([UInt8](file[8 ..< dataStart])) else {
                throw TensorFileError(path, "header is not a JSON object")
            }
            json = object
        } catch let error as JSONSyntaxError {
            throw TensorFileError(path, "header is not valid JSON (\(error))")
        }
        let dataCount = file.count - dataStart
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in json {
            if name == "__metadata__" {
                guard case .object(let fields) = value else {
                    throw TensorFileError(path, "__metadata__ in the header is not an object")
                }
                for (key, v) in fields {
                    guard case .string(let s) = v else {
                        throw TensorFileError(path, "__metadata__ value for '\(key)' is not a string")
                    }
                    metadata[key] = s
                }
                continue
            }
            do {
                let (info, offsets) = try Self.parseEntry(name: name, value)
                guard offsets.upperBound <= dataCount else {
                    throw FormatError("has data_offsets [\(offsets.lowerBound), \(offsets.upperBound)] past the end of the data (\(dataCount) bytes after the header); truncated file?")
                }
                guard let size = byteCount(shape: info.shape, elementSize: info.dtype.byteSize ?? 0), size == offsets.count else {
                    throw FormatError("has \(offsets.count) bytes of data, but shape \(info.shape) of \(info.dtype) needs \(byteCount(shape: info.shape, elementSize: info.dtype.byteSize ?? 0).map(String.init) ?? "too many")")
                }
                entries[name] = Entry(info: info, range: (dataStart + offsets.lowerBound) ..< (dataStart + offsets.upperBound))
            } catch let error as FormatError {
                throw TensorFileError(path, tensor: name, error.reason)
            }
        }
        // Tensors must not share bytes: a writer bug or a crafted file, either way not weights.
        let ordered = entries.values.filter { !$0.range.isEmpty }.sorted { $0.range.lowerBound < $1.range.lowerBound }
        for (a, b) in zip(ordered, ordered.dropFirst()) where b.range.lowerBound < a.range.upperBound {
            throw TensorFileError(path, tensor: b.info.name, "overlaps the data of tensor '\(a.info.name)'")
        }
        self.entries = entries
        self.metadata = metadata
        self.names = entries.keys.sorted()
    }

    public func info(_ name: String) -> TensorInfo? { entries[name]?.info }

    public func floats(_ name: String) throws -> StoredTensor {
        let entry = try entry(name)
        let data = UnsafeRawBufferPointer(rebasing: mapping.bytes[entry.range])
        guard let view = floatView(name: name, shape: entry.info.shape, dtype: entry.info.dtype, data: data, mapping: mapping) else {
            throw TensorFileError(path, tensor: name, "has dtype \(entry.info.dtype), which cannot be read as float32")
        }
        return view
    }

    public func int64s(_ name: String) throws -> [Int64] {
        let entry = try entry(name)
        guard let values = int64Values(dtype: entry.info.dtype, data: UnsafeRawBufferPointer(rebasing: mapping.bytes[entry.range])) else {
            throw TensorFileError(path, tensor: name, "has dtype \(entry.info.dtype), not an integer type")
        }
        return values
    }

    /// An I8 tensor's values as stored (quantised weights).
    public func int8s(_ name: String) throws -> [Int8] {
        let entry = try entry(name)
        guard entry.info.dtype == .int8 else { throw TensorFileError(path, tensor: name, "has dtype \(entry.info.dtype), not I8") }
        return mapping.bytes[entry.range].map { Int8(bitPattern: $0) }
    }

    private func entry(_ name: String) throws -> Entry {
        guard let entry = entries[name] else { throw TensorFileError(path, tensor: name, "is not in the file") }
        return entry
    }

    static func dtype(named name: String) -> TensorDType? {
        switch name {
        case "F32": return .float32
        case "F16": return .float16
        case "BF16": return .bfloat16
        case "F64": return .float64
        case "I64": return .int64
        case "I32": return .int32
        case "I16": return .int16
        case "I8": return .int8
        case "U8": return .uint8
        case "BOOL": return .bool
        default: return nil
        }
    }

    private static func parseEntry(name: String, _ value: JSONValue) throws -> (TensorInfo, Range<Int>) {
        guard case .object(let fields) = value else { throw FormatError("has a header entry that is not an object") }
        guard case .string(let dtypeName)? = fields["dtype"] else { throw FormatError("has no dtype string in the header") }
        guard let dtype = dtype(named: dtypeName) else { throw FormatError("has dtype \(dtypeName), which is not supported") }
        guard case .array(let dims)? = fields["shape"] else { throw FormatError("has no shape array in the header") }
        var shape: [Int] = []
        for d in dims {
            guard let n = d.int, n >= 0 else { throw FormatError("has a shape that is not a list of whole numbers from 0 to 2^53") }
            shape.append(n)
        }
        guard case .array(let offsets)? = fields["data_offsets"], offsets.count == 2 else {
            throw FormatError("has no data_offsets [begin, end] in the header")
        }
        // From 2^53 on, offsets may have been rounded in JSON's doubles; no file is that large.
        for case .number(let value) in offsets where value.rounded() == value && value.magnitude >= 0x1p53 {
            throw FormatError("has data_offsets out of range (a value above 2^53)")
        }
        guard let begin = offsets[0].int, let end = offsets[1].int else {
            throw FormatError("has no data_offsets [begin, end] in the header")
        }
        guard begin >= 0, begin <= end else { throw FormatError("has invalid data_offsets [\(begin), \(end)]") }
        return (TensorInfo(name: name, dtype: dtype, shape: shape), begin ..< end)
    }
}
