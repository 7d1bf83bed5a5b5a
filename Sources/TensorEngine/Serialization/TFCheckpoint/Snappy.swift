/// Decompressor for raw Snappy (the block format LevelDB/TensorFlow tables may use; not the
/// framed stream format). A Snappy block is a varint with the uncompressed length followed by
/// elements: literals (bytes copied from the input) and copies (bytes repeated from `offset`
/// bytes back in the output, possibly overlapping what is being written, as in run-length data).
public enum Snappy {
    public struct DecompressionError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The uncompressed bytes; `maxLength` guards against a corrupt length claiming gigabytes.
    public static func decompress(_ input: UnsafeRawBufferPointer, maxLength: Int = 1 << 30) throws -> [UInt8] {
        do {
            return try decode(input, maxLength: maxLength)
        } catch let error as FormatError {
            throw DecompressionError(description: "Snappy data " + error.reason)
        }
    }

    public static func decompress(_ input: [UInt8], maxLength: Int = 1 << 30) throws -> [UInt8] {
        try input.withUnsafeBytes { try decompress($0, maxLength: maxLength) }
    }

    private static func decode(_ input: UnsafeRawBufferPointer, maxLength: Int) throws -> [UInt8] {
        var reader = ByteReader(input)
        let length = try reader.varint()
        guard length <= UInt64(maxLength) else { throw FormatError("claims \(length) uncompressed bytes, more than the \(maxLength) allowed") }
        let expected = Int(length)
        var out = [UInt8]()
        // A copy element expands at most ~21x, so a larger claim is corrupt; never reserve for it.
        out.reserveCapacity(Swift.min(expected, 32 * input.count))
        while !reader.isAtEnd {
            let tag = try reader.byte()
            switch tag & 3 {
            case 0:  // literal; lengths above 60 are stored in 1-4 extra bytes
                var n = Int(tag >> 2)
                if n >= 60 {
                    let extra = n - 59
                    n = 0
                    for k in 0 ..< extra { n |= Int(try reader.byte()) << (8 * k) }
                }
                n += 1
                guard n <= expected - out.count else { throw FormatError("has a literal past the declared length \(expected)") }
                out.append(contentsOf: try reader.bytes(n))
            case 1:  // copy, length 4-11, 11-bit offset
                let n = 4 + Int((tag >> 2) & 7)
                let offset = (Int(tag >> 5) << 8) | Int(try reader.byte())
                try copy(&out, offset: offset, count: n, expected: expected)
            case 2:  // copy, length 1-64, 16-bit offset
                let n = 1 + Int(tag >> 2)
                let offset = Int(try reader.byte()) | Int(try reader.byte()) << 8
                try copy(&out, offset: offset, count: n, expected: expected)
            default:  // copy, length 1-64, 32-bit offset
                let n = 1 + Int(tag >> 2)
                let offset = Int(try reader.uint32())
                try copy(&out, offset: offset, count: n, expected: expected)
            }
        }
        guard out.count == expected else {
            throw FormatError("decompresses to \(out.count) bytes, but declares \(expected)")
        }
        return out
    }

    private static func copy(_ out: inout [UInt8], offset: Int, count: Int, expected: Int) throws {
        guard offset > 0, offset <= out.count else {
            throw FormatError("has a copy from offset \(offset) with only \(out.count) bytes written")
        }
        guard count <= expected - out.count else { throw FormatError("has a copy past the declared length \(expected)") }
        let start = out.count - offset
        // Byte by byte: when offset < count the copy reads bytes it has just written.
        for k in 0 ..< count { out.append(out[start + k]) }
    }
}
