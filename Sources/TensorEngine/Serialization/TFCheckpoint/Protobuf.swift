/// Just enough of the protobuf wire format to read TensorFlow's BundleHeaderProto and
/// BundleEntryProto: a message is a sequence of (field number << 3 | wire type) varint keys,
/// each followed by a varint (type 0), 8 bytes (1), a length-prefixed byte string (2, also used
/// for nested messages) or 4 bytes (5).
enum ProtoValue {
    case varint(UInt64)
    case fixed64(UInt64)
    case bytes([UInt8])
    case fixed32(UInt32)

    var integer: Int64? {
        if case .varint(let v) = self { return Int64(bitPattern: v) }
        return nil
    }
}

enum Protobuf {
    static func fields(_ message: [UInt8]) throws -> [(number: Int, value: ProtoValue)] {
        try message.withUnsafeBytes { bytes throws in
            var r = ByteReader(bytes)
            var out: [(number: Int, value: ProtoValue)] = []
            while !r.isAtEnd {
                let key = try r.varint()
                let number = Int(truncatingIfNeeded: key >> 3)
                switch key & 7 {
                case 0: out.append((number, .varint(try r.varint())))
                case 1: out.append((number, .fixed64(try r.uint64())))
                case 2: out.append((number, .bytes(Array(try r.bytes(try r.length(atMost: r.remaining))))))
                case 5: out.append((number, .fixed32(try r.uint32())))
                default: throw FormatError("holds a protobuf field of unsupported wire type \(key & 7)")
                }
            }
            return out
        }
    }
}

/// tensorflow/core/protobuf/tensor_bundle.proto: BundleHeaderProto, stored under the empty key.
struct BundleHeader {
    var numShards = 0
    var isBigEndian = false
    var minConsumer = 0

    init(_ message: [UInt8]) throws {
        for (number, value) in try Protobuf.fields(message) {
            switch (number, value) {
            case (1, .varint(let v)): numShards = Int(truncatingIfNeeded: Int64(bitPattern: v))
            case (2, .varint(let v)): isBigEndian = v == 1
            case (3, .bytes(let version)):  // VersionDef: producer = 1, min_consumer = 2
                for (n, v) in try Protobuf.fields(version) where n == 2 {
                    minConsumer = Int(truncatingIfNeeded: v.integer ?? 0)
                }
            default: break
            }
        }
    }
}

/// BundleEntryProto: where one tensor's bytes are and what they hold.
struct BundleEntry {
    var dtype: TensorDType = .other("DT_INVALID")
    var shape: [Int] = []
    var shardID = 0
    var offset: Int64 = 0
    var size: Int64 = 0
    var maskedCRC32C: UInt32 = 0
    /// Partitioned variables store slices under other keys; we do not reassemble them.
    var isSliced = false

    init(_ message: [UInt8]) throws {
        for (number, value) in try Protobuf.fields(message) {
            switch (number, value) {
            case (1, .varint(let v)): dtype = Self.dtype(Int(truncatingIfNeeded: v))
            case (2, .bytes(let shapeMessage)): shape = try Self.shape(shapeMessage)
            case (3, .varint(let v)): shardID = Int(truncatingIfNeeded: Int64(bitPattern: v))
            case (4, .varint(let v)): offset = Int64(bitPattern: v)
            case (5, .varint(let v)): size = Int64(bitPattern: v)
            case (6, .fixed32(let v)): maskedCRC32C = v
            case (7, _): isSliced = true
            default: break
            }
        }
    }

    /// TensorShapeProto: repeated Dim dim = 2 (Dim: int64 size = 1); unknown_rank = 3.
    static func shape(_ message: [UInt8]) throws -> [Int] {
        var shape: [Int] = []
        for (number, value) in try Protobuf.fields(message) {
            if number == 3, case .varint(let unknown) = value, unknown != 0 {
                throw FormatError("has a shape of unknown rank")
            }
            guard number == 2, case .bytes(let dim) = value else { continue }
            var size: Int64 = 0
            for (n, v) in try Protobuf.fields(dim) where n == 1 { size = v.integer ?? -1 }
            guard size >= 0 else { throw FormatError("has a dimension of unknown size (\(size))") }
            shape.append(Int(size))
        }
        return shape
    }

    /// tensorflow/core/framework/types.proto DataType numbers.
    static func dtype(_ code: Int) -> TensorDType {
        switch code {
        case 1: return .float32
        case 2: return .float64
        case 3: return .int32
        case 4: return .uint8
        case 5: return .int16
        case 6: return .int8
        case 7: return .other("DT_STRING")
        case 9: return .int64
        case 10: return .bool
        case 14: return .bfloat16
        case 19: return .float16
        default: return .other("DT_\(code)")
        }
    }
}
