/// Reader for LevelDB's sorted-table ("SSTable") format, which TensorFlow uses for a checkpoint's
/// `.index` file. Only a full scan is needed (checkpoints have a few hundred keys at most).
///
/// File: data blocks, a metaindex block, an index block, then a 48-byte footer holding the
/// metaindex and index block handles (varint offset + varint size each, zero-padded to 40 bytes)
/// and an 8-byte magic number. Each block is followed by a 1-byte compression type (0 none,
/// 1 Snappy) and the masked CRC-32C of the block bytes plus that type byte. The index block maps
/// a separator key to the handle of each data block. Inside a block, entries share key prefixes
/// with the previous key (shared length, unshared length, value length as varints, then the bytes);
/// the block ends with the offsets of the "restart" entries that store a whole key, and their count.
enum LevelDBTable {
    static let magic: UInt64 = 0xDB47_7524_8B80_FB57
    static let footerLength = 48

    struct BlockHandle {
        let offset: UInt64
        let size: UInt64
    }

    /// Every (key, value) pair, in file order.
    static func entries(of file: UnsafeRawBufferPointer) throws -> [(key: [UInt8], value: [UInt8])] {
        guard file.count >= footerLength else {
            throw FormatError("is too short (\(file.count) bytes) to be a table: truncated?")
        }
        var footer = ByteReader(UnsafeRawBufferPointer(rebasing: file[(file.count - footerLength)...]))
        _ = try handle(&footer)  // metaindex: holds only filter blocks, which a full scan does not need
        let indexHandle = try handle(&footer)
        footer.position = footerLength - 8
        guard try footer.uint64() == magic else {
            throw FormatError("does not end with the table magic number: not a TensorFlow checkpoint index, or truncated")
        }
        var result: [(key: [UInt8], value: [UInt8])] = []
        for (_, value) in try blockEntries(readBlock(file, indexHandle, what: "index block")) {
            let dataHandle = try value.withUnsafeBytes { bytes throws in
                var r = ByteReader(bytes)
                return try handle(&r)
            }
            result += try blockEntries(readBlock(file, dataHandle, what: "data block at offset \(dataHandle.offset)"))
        }
        return result
    }

    static func handle(_ r: inout ByteReader) throws -> BlockHandle {
        BlockHandle(offset: try r.varint(), size: try r.varint())
    }

    /// A block's contents after its checksum is verified and it is decompressed.
    static func readBlock(_ file: UnsafeRawBufferPointer, _ handle: BlockHandle, what: String) throws -> [UInt8] {
        let end = handle.offset.addingReportingOverflow(handle.size)
        guard !end.overflow, end.partialValue <= UInt64(file.count), UInt64(file.count) - end.partialValue >= 5 else {
            throw FormatError("\(what) (\(handle.size) bytes at offset \(handle.offset)) runs past the end of the file (\(file.count) bytes): truncated?")
        }
        let start = Int(handle.offset)
        let body = UnsafeRawBufferPointer(rebasing: file[start ..< start + Int(handle.size)])
        var trailer = ByteReader(UnsafeRawBufferPointer(rebasing: file[(start + Int(handle.size))...]))
        let type = try trailer.byte()
        let stored = CRC32C.unmask(try trailer.uint32())
        var computed = CRC32C.checksum(body)
        withUnsafeBytes(of: type) { computed = CRC32C.checksum($0, continuing: computed) }
        guard stored == computed else {
            throw FormatError("\(what) fails its checksum (stored \(hex(stored)), computed \(hex(computed))): the file is corrupt")
        }
        switch type {
        case 0:
            return Array(body)
        case 1:
            do {
                return try Snappy.decompress(body, maxLength: 1 << 30)
            } catch let error as Snappy.DecompressionError {
                throw FormatError("\(what): \(error.description)")
            }
        default:
            throw FormatError("\(what) uses compression type \(type); only none (0) and Snappy (1) are supported")
        }
    }

    /// The (key, value) pairs of one decompressed block.
    static func blockEntries(_ block: [UInt8]) throws -> [(key: [UInt8], value: [UInt8])] {
        try block.withUnsafeBytes { bytes throws in
            guard bytes.count >= 4 else { throw FormatError("has a block too short to hold its restart count") }
            var tail = ByteReader(bytes)
            tail.position = bytes.count - 4
            let restarts = UInt64(try tail.uint32())
            guard restarts * 4 + 4 <= UInt64(bytes.count) else {
                throw FormatError("has a block whose restart count \(restarts) does not fit in it")
            }
            let entriesEnd = bytes.count - 4 - 4 * Int(restarts)
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[..<entriesEnd]))
            var result: [(key: [UInt8], value: [UInt8])] = []
            var key: [UInt8] = []
            while !r.isAtEnd {
                let shared = try r.length(atMost: key.count)
                let unshared = try r.length(atMost: r.remaining)
                let valueLength = try r.length(atMost: r.remaining)
                key.removeSubrange(shared...)
                key.append(contentsOf: try r.bytes(unshared))
                result.append((key, Array(try r.bytes(valueLength))))
            }
            return result
        }
    }

    static func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
}
