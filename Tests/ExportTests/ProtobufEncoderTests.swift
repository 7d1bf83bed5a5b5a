@testable import Export
@testable import TensorEngine
import XCTest

/// The hand-written protobuf encoder against the decoder of the TF-checkpoint reader (an
/// independent implementation of the wire format) and against bytes protoc gives.
final class ProtobufEncoderTests: XCTestCase {
    func testVarintsMatchTheWireFormat() throws {
        // protoc: field 1 = 150 is 08 96 01 (the protobuf encoding guide's example).
        var message = ProtoMessage()
        message.varint(1, 150)
        XCTAssertEqual(try message.encoded(), [0x08, 0x96, 0x01])
        // An int64 of -1 is ten bytes (two's complement), and a string is length-delimited.
        var negative = ProtoMessage()
        negative.int64(3, -1)
        negative.string(2, "testing")
        XCTAssertEqual(try negative.encoded(), [0x18] + [UInt8](repeating: 0xFF, count: 9) + [0x01, 0x12, 0x07] + Array("testing".utf8))
        XCTAssertEqual(negative.size, try negative.encoded().count)
    }

    func testNestedMessagesRoundTripThroughTheCheckpointDecoder() throws {
        var inner = ProtoMessage()
        inner.int64(1, 7)
        inner.float(2, 1.5)
        inner.bytes(3, ProtoBytes([UInt8](repeating: 0xAB, count: 300)))  // a two-byte length
        var outer = ProtoMessage()
        outer.string(2, "graph")
        for _ in 0..<3 { outer.message(5, inner) }
        outer.int64(20, Int64.max)
        let bytes = try outer.encoded()
        XCTAssertEqual(bytes.count, outer.size)

        let fields = try Protobuf.fields(bytes)
        XCTAssertEqual(fields.map(\.number), [2, 5, 5, 5, 20])
        guard case .bytes(let name) = fields[0].value else { return XCTFail("field 2 is not length-delimited") }
        XCTAssertEqual(String(decoding: name, as: UTF8.self), "graph")
        XCTAssertEqual(fields[4].value.integer, Int64.max)
        guard case .bytes(let nested) = fields[1].value else { return XCTFail("field 5 is not length-delimited") }
        let innerFields = try Protobuf.fields(nested)
        XCTAssertEqual(innerFields.map(\.number), [1, 2, 3])
        XCTAssertEqual(innerFields[0].value.integer, 7)
        guard case .fixed32(let bits) = innerFields[1].value else { return XCTFail("field 2 is not fixed32") }
        XCTAssertEqual(Float(bitPattern: bits), 1.5)
        guard case .bytes(let payload) = innerFields[2].value else { return XCTFail("field 3 is not length-delimited") }
        XCTAssertEqual(payload, [UInt8](repeating: 0xAB, count: 300))
    }

    /// A sink smaller than the fields: large blocks pass through, small ones are buffered, and
    /// the bytes come out the same as one in-memory encoding.
    func testStreamingGivesTheSameBytes() throws {
        var message = ProtoMessage()
        for i in 0..<50 {
            message.string(1, "node \(i)")
            message.bytes(9, ProtoBytes(count: 40) { try $0.append([UInt8](repeating: UInt8(i), count: 40)) })
        }
        var streamed: [UInt8] = []
        var sink = ProtoSink(capacity: 16) { streamed.append(contentsOf: $0) }
        try message.write(to: &sink)
        try sink.flush()
        XCTAssertEqual(streamed, try message.encoded())
        XCTAssertEqual(sink.written, message.size)
    }

    func testATensorInitializerHoldsItsFloatsLittleEndian() throws {
        var graph = ONNXGraphBuilder()
        let tensor = try Tensor(shape: [2, 3], values: [1, -2, 0.5, 3, 4, 1e-3])
        _ = graph.weight("w", tensor)
        _ = graph.transposedWeight("wt", tensor)
        let fields = try Protobuf.fields(graph.initializers[0].proto.encoded())
        XCTAssertEqual(fields.filter { $0.number == 1 }.map { $0.value.integer }, [2, 3])  // dims, unpacked
        XCTAssertEqual(fields.first { $0.number == 2 }?.value.integer, 1)  // FLOAT
        guard case .bytes(let raw)? = fields.first(where: { $0.number == 9 })?.value else { return XCTFail("no raw_data") }
        XCTAssertEqual(floats(raw), tensor.scalars)
        let transposed = try Protobuf.fields(graph.initializers[1].proto.encoded())
        XCTAssertEqual(transposed.filter { $0.number == 1 }.map { $0.value.integer }, [3, 2])
        guard case .bytes(let rawT)? = transposed.first(where: { $0.number == 9 })?.value else { return XCTFail("no raw_data") }
        XCTAssertEqual(floats(rawT), [1, 3, -2, 4, 0.5, 1e-3])
    }

    private func floats(_ bytes: [UInt8]) -> [Float] {
        stride(from: 0, to: bytes.count, by: 4).map { i in
            Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
    }
}
