import Foundation

/// A TensorFlow (V2, "tensor bundle") checkpoint such as OpenAI's original GPT-2 release,
/// read without TensorFlow.
///
/// `PREFIX.index` is a LevelDB-format table: the empty key holds a BundleHeaderProto (number of
/// data shards, endianness), every other key is a variable name (`model/h0/attn/c_attn/w`) whose
/// value is a BundleEntryProto (dtype, shape, shard, byte offset and size, masked CRC-32C).
/// The bytes themselves are raw little-endian in `PREFIX.data-0000i-of-0000N`, memory-mapped here.
public final class TFCheckpoint: TensorArchive, @unchecked Sendable {
    /// The `.index` file.
    public let path: String
    /// The checkpoint prefix, e.g. `.../model.ckpt`.
    public let prefix: String
    public let names: [String]
    /// Whether `floats` checks each tensor's CRC-32C before handing out its data.
    public let verifiesChecksums: Bool

    private struct Entry {
        let info: TensorInfo
        let shard: Int
        let range: Range<Int>
        let maskedCRC32C: UInt32
        let isSliced: Bool
    }

    private let entries: [String: Entry]
    private let shards: [MappedFile]

    /// `url` may be the directory holding the checkpoint (its `checkpoint` file names the prefix,
    /// else `model.ckpt` is assumed), the prefix itself, the `.index` file or a data shard.
    public init(url: URL, verifyChecksums: Bool = true) throws {
        prefix = try Self.resolvePrefix(url)
        path = prefix + ".index"
        verifiesChecksums = verifyChecksums
        let index = try MappedFile(path: path)
        let table: [(key: [UInt8], value: [UInt8])]
        var header: BundleHeader?
        var parsed: [String: BundleEntry] = [:]
        do {
            table = try LevelDBTable.entries(of: index.bytes)
        } catch let error as FormatError {
            throw TensorFileError(path, error.reason)
        }
        for (key, value) in table {
            let name = String(decoding: key, as: UTF8.self)
            do {
                if key.isEmpty { header = try BundleHeader(value) } else { parsed[name] = try BundleEntry(value) }
            } catch let error as FormatError {
                if key.isEmpty { throw TensorFileError(path, "bundle header \(error.reason)") }
                throw TensorFileError(path, tensor: name, error.reason)
            }
        }
        guard let header else { throw TensorFileError(path, "has no bundle header: not a TensorFlow V2 checkpoint index") }
        guard !header.isBigEndian else { throw TensorFileError(path, "is a big-endian checkpoint, which is not supported") }
        guard header.minConsumer <= 1 else {
            throw TensorFileError(path, "needs a newer reader (bundle min_consumer \(header.minConsumer))")
        }
        guard header.numShards >= 1, header.numShards <= 100_000 else {
            throw TensorFileError(path, "declares \(header.numShards) data shards")
        }
        var shards: [MappedFile] = []
        for i in 0 ..< header.numShards {
            shards.append(try MappedFile(path: Self.shardPath(prefix: prefix, shard: i, of: header.numShards)))
        }
        var entries: [String: Entry] = [:]
        for (name, e) in parsed {
            guard e.shardID >= 0, e.shardID < shards.count else {
                throw TensorFileError(path, tensor: name, "lives in data shard \(e.shardID), but there are \(shards.count)")
            }
            let shardSize = shards[e.shardID].bytes.count
            guard e.offset >= 0, e.size >= 0, e.offset <= Int64(shardSize), e.size <= Int64(shardSize) - e.offset else {
                throw TensorFileError(shards[e.shardID].path, tensor: name,
                                      "has \(e.size) bytes at offset \(e.offset), past the end of the data file (\(shardSize) bytes): truncated?")
            }
            if let elementSize = e.dtype.byteSize, !e.isSliced {
                guard let expected = byteCount(shape: e.shape, elementSize: elementSize), Int64(expected) == e.size else {
                    throw TensorFileError(path, tensor: name, "has \(e.size) bytes of data, which does not match shape \(e.shape) of \(e.dtype)")
                }
            }
            entries[name] = Entry(info: TensorInfo(name: name, dtype: e.dtype, shape: e.shape), shard: e.shardID,
                                  range: Int(e.offset) ..< Int(e.offset + e.size), maskedCRC32C: e.maskedCRC32C, isSliced: e.isSliced)
        }
        self.entries = entries
        self.shards = shards
        self.names = entries.keys.sorted()
    }

    public func info(_ name: String) -> TensorInfo? { entries[name]?.info }

    public func floats(_ name: String) throws -> StoredTensor {
        let (entry, data) = try checkedData(name)
        guard let view = floatView(name: name, shape: entry.info.shape, dtype: entry.info.dtype, data: data, mapping: shards[entry.shard]) else {
            throw TensorFileError(path, tensor: name, "has dtype \(entry.info.dtype), which cannot be read as float32")
        }
        return view
    }

    public func int64s(_ name: String) throws -> [Int64] {
        let (entry, data) = try checkedData(name)
        guard let values = int64Values(dtype: entry.info.dtype, data: data) else {
            throw TensorFileError(path, tensor: name, "has dtype \(entry.info.dtype), not an integer type")
        }
        return values
    }

    private func checkedData(_ name: String) throws -> (Entry, UnsafeRawBufferPointer) {
        guard let entry = entries[name] else { throw TensorFileError(path, tensor: name, "is not in the file") }
        guard !entry.isSliced else {
            throw TensorFileError(path, tensor: name, "is a partitioned (sliced) variable, which is not supported")
        }
        let shard = shards[entry.shard]
        let data = UnsafeRawBufferPointer(rebasing: shard.bytes[entry.range])
        if verifiesChecksums {
            let computed = CRC32C.checksum(data)
            let stored = CRC32C.unmask(entry.maskedCRC32C)
            guard computed == stored else {
                throw TensorFileError(shard.path, tensor: name,
                                      "fails its checksum (stored \(LevelDBTable.hex(stored)), computed \(LevelDBTable.hex(computed))): the data file is corrupt")
            }
        }
        return (entry, data)
    }

    /// `PREFIX.data-00000-of-00001`, TensorFlow's shard naming.
    static func shardPath(prefix: String, shard: Int, of count: Int) -> String {
        func five(_ n: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: Swift.max(0, 5 - s.count)) + s
        }
        return "\(prefix).data-\(five(shard))-of-\(five(count))"
    }

    static func resolvePrefix(_ url: URL) throws -> String {
        var isDirectory: ObjCBool = false
        let fm = FileManager.default
        if fm.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            let stateFile = url.appendingPathComponent("checkpoint")
            if let text = try? String(contentsOf: stateFile, encoding: .utf8) {
                // Text proto: model_checkpoint_path: "model.ckpt" (relative to the directory, or absolute).
                for line in text.split(separator: "\n") where line.hasPrefix("model_checkpoint_path:") {
                    let parts = line.split(separator: "\"", omittingEmptySubsequences: false)
                    guard parts.count >= 3 else { break }
                    let named = String(parts[1])
                    return named.hasPrefix("/") ? named : url.appendingPathComponent(named).path
                }
                throw TensorFileError(stateFile.path, "has no model_checkpoint_path line")
            }
            return url.appendingPathComponent("model.ckpt").path
        }
        let path = url.path
        if path.hasSuffix(".index") { return String(path.dropLast(".index".count)) }
        if let range = path.range(of: ".data-", options: .backwards) { return String(path[..<range.lowerBound]) }
        return path
    }
}
