// The protobuf wire format, writing side: just what ONNX files need. A message is a sequence of
// fields, each a varint key (field number << 3 | wire type) followed by a varint (type 0), a
// length-prefixed byte string or nested message (type 2), or four little-endian bytes (type 5).
// A message keeps its encoded size as fields are appended, so a nested message's length prefix
// is known without a second pass and a model is streamed to disk without being copied whole.

/// A protobuf message being built: its fields in order and their encoded size.
struct ProtoMessage {
    private(set) var fields: [ProtoField] = []
    /// Bytes of the encoded fields (without any length prefix of its own).
    private(set) var size = 0

    enum WireType: UInt64 {
        case varint = 0
        case lengthDelimited = 2
        case fixed32 = 5
    }

    private mutating func append(_ field: ProtoField) {
        size += field.encodedSize
        fields.append(field)
    }

    /// An unsigned integer, enum or bool field.
    mutating func varint(_ number: Int, _ value: UInt64) {
        append(ProtoField(number: number, content: .varint(value)))
    }

    /// An int64 / int32 field: negative values take ten bytes, as two's complement.
    mutating func int64(_ number: Int, _ value: Int64) {
        varint(number, UInt64(bitPattern: value))
    }

    /// A float field (fixed32).
    mutating func float(_ number: Int, _ value: Float) {
        append(ProtoField(number: number, content: .fixed32(value.bitPattern)))
    }

    mutating func string(_ number: Int, _ value: String) {
        bytes(number, ProtoBytes(Array(value.utf8)))
    }

    mutating func bytes(_ number: Int, _ payload: ProtoBytes) {
        append(ProtoField(number: number, content: .bytes(payload)))
    }

    mutating func message(_ number: Int, _ message: ProtoMessage) {
        append(ProtoField(number: number, content: .message(message)))
    }

    /// The message's bytes (for small messages and tests; files are streamed with `write`).
    func encoded() throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size)
        var sink = ProtoSink { out.append(contentsOf: $0) }
        try write(to: &sink)
        try sink.flush()
        return out
    }

    func write(to sink: inout ProtoSink) throws {
        for field in fields { try field.write(to: &sink) }
    }
}

/// One field of a message.
struct ProtoField {
    enum Content {
        case varint(UInt64)
        case fixed32(UInt32)
        case bytes(ProtoBytes)
        case message(ProtoMessage)
    }

    let number: Int
    let content: Content

    private var wireType: ProtoMessage.WireType {
        switch content {
        case .varint: .varint
        case .fixed32: .fixed32
        case .bytes, .message: .lengthDelimited
        }
    }

    private var key: UInt64 { UInt64(number) << 3 | wireType.rawValue }

    var encodedSize: Int {
        let keySize = ProtoVarint.size(key)
        switch content {
        case .varint(let value): return keySize + ProtoVarint.size(value)
        case .fixed32: return keySize + 4
        case .bytes(let payload): return keySize + ProtoVarint.size(UInt64(payload.count)) + payload.count
        case .message(let message): return keySize + ProtoVarint.size(UInt64(message.size)) + message.size
        }
    }

    func write(to sink: inout ProtoSink) throws {
        try sink.varint(key)
        switch content {
        case .varint(let value):
            try sink.varint(value)
        case .fixed32(let value):
            try sink.append([UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
                             UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24)])
        case .bytes(let payload):
            try sink.varint(UInt64(payload.count))
            try payload.write(&sink)
        case .message(let message):
            try sink.varint(UInt64(message.size))
            try message.write(to: &sink)
        }
    }
}

/// The bytes of a length-delimited field: a small array, or a large block (a weight tensor)
/// written straight from the memory that holds it when the file is written.
struct ProtoBytes {
    let count: Int
    let write: (inout ProtoSink) throws -> Void

    init(_ bytes: [UInt8]) {
        count = bytes.count
        write = { try $0.append(bytes) }
    }

    init(count: Int, write: @escaping (inout ProtoSink) throws -> Void) {
        self.count = count
        self.write = write
    }
}

enum ProtoVarint {
    /// Bytes of `value` as a base-128 varint (1 to 10).
    static func size(_ value: UInt64) -> Int {
        var value = value, count = 1
        while value >= 0x80 {
            value >>= 7
            count += 1
        }
        return count
    }
}

/// Where encoded bytes go: a buffer handed to `output` whenever it fills (and on `flush`), so
/// small fields are not written one by one, and large blocks pass through unbuffered.
struct ProtoSink {
    private var buffer: [UInt8] = []
    private let capacity: Int
    private let output: (UnsafeRawBufferPointer) throws -> Void
    /// Bytes handed on so far, flushed or not.
    private(set) var written = 0

    init(capacity: Int = 1 << 20, output: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.capacity = capacity
        self.output = output
        buffer.reserveCapacity(capacity)
    }

    mutating func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
        written += bytes.count
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try output(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    mutating func varint(_ value: UInt64) throws {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
        try append(bytes)
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try output($0) }
        buffer.removeAll(keepingCapacity: true)
    }
}
