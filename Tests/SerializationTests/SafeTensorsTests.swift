import Backbones
import Foundation
import TensorEngine
import XCTest

final class SafeTensorsReaderTests: XCTestCase {
    func testReadsTheHuggingFaceFixture() throws {
        let file = try SafeTensorsFile(url: Fixtures.huggingFace.appendingPathComponent("model.safetensors"))
        let reference = try SafeTensorsFile(url: Fixtures.reference)
        XCTAssertEqual(file.metadata["format"], "pt")
        // save_pretrained writes the transformer's tensors under `transformer.` and drops the tied head.
        let expected = GPT2WeightNames.parameterShapes(vocabSize: 300, contextLength: 32, embeddingSize: 32, layerCount: 2)
        XCTAssertEqual(file.names, expected.map { "transformer." + $0.name }.sorted())
        for (name, shape) in expected {
            let tensor = try file.floats("transformer." + name, shape: shape)
            XCTAssertEqual(tensor.shape, shape)
            XCTAssertEqual(tensor.count, shape.reduce(1, *))
            XCTAssertTrue(tensor.isMapped, "\(name) should be used in place, not copied")
            // Python's float64 sum of the same float32 values.
            let sum = tensor.floats.reduce(0.0) { $0 + Double($1) }
            let expectedSum = Double(try reference.floats("sum." + name).toArray()[0])
            XCTAssertEqual(sum, expectedSum, accuracy: 1e-5 * max(1, abs(expectedSum)), name)
        }
        XCTAssertEqual(reference.info("sum.wte.weight")?.dtype, .float64)
    }

    func testReadsIntegerTensors() throws {
        let reference = try SafeTensorsFile(url: Fixtures.reference)
        XCTAssertEqual(try reference.int64s("lengths"), [7, 12, 3])
        XCTAssertEqual(reference.info("input_ids")?.dtype, .int64)
        XCTAssertEqual(try reference.shape(of: "input_ids"), [3, 12])
        let ids = try reference.int64s("input_ids")
        // Right-padded with <|endoftext|> (299) after each sequence's length.
        XCTAssertEqual(Array(ids[7 ..< 12]), [299, 299, 299, 299, 299])
        XCTAssertEqual(Array(ids[24 + 3 ..< 36]), Array(repeating: 299, count: 9))
        let asFloats = try reference.floats("lengths")
        XCTAssertEqual(asFloats.toArray(), [7, 12, 3])
        XCTAssertFalse(asFloats.isMapped)
        assertTensorFileError(try reference.int64s("logits"), mentions: ["reference.safetensors", "'logits'", "not an integer"])
        assertTensorFileError(try reference.floats("nope"), mentions: ["reference.safetensors", "'nope'", "not in the file"])
        assertTensorFileError(try reference.floats("logits", shape: [3, 12]), mentions: ["'logits'", "[3, 12, 300]", "expected [3, 12]"])
    }

    func testOpensByDirectoryOrFile() throws {
        let byDirectory = try TensorArchives.open(Fixtures.huggingFace)
        XCTAssertTrue(byDirectory is SafeTensorsFile)
        XCTAssertEqual(byDirectory.names.count, 28)
        let byFile = try TensorArchives.open(Fixtures.reference)
        XCTAssertTrue(byFile.contains("logits"))
        assertTensorFileError(try TensorArchives.open(Fixtures.tinyGPT2.appendingPathComponent("missing")), mentions: ["missing", "no such file"])
    }

    func testConvertsFloat16AndBFloat16() throws {
        let dir = try makeTemporaryDirectory(self)
        // F16: 1, -2, 65504 (largest), 2^-24 (smallest subnormal), +inf, 0.333251953125
        let f16: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x3555]
        // BF16: 1, -3, 2^-133 (subnormal), the top half of pi
        let bf16: [UInt16] = [0x3F80, 0xC040, 0x0001, 0x4049]
        let bytes: [UInt8] = (f16 + bf16).flatMap { v -> [UInt8] in withUnsafeBytes(of: v.littleEndian) { Array($0) } } + [0]
        var header = #"{"half":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]},"brain":{"dtype":"BF16","shape":[4],"data_offsets":[12,20]},"odd":{"dtype":"F32","shape":[1],"data_offsets":[21,25]}}"#
        while (8 + header.utf8.count) % 8 != 0 { header += " " }  // so "odd" lands at an address ≡ 1 (mod 4)
        let url = dir.appendingPathComponent("halves.safetensors")
        try safetensorsBytes(header: header, data: bytes + floatBytes([0.5])).write(to: url)
        let file = try SafeTensorsFile(url: url)
        let half = try file.floats("half")
        XCTAssertEqual(half.shape, [2, 3])
        XCTAssertEqual(Array(half.toArray()[0 ..< 4]), [1, -2, 65504, Float(sign: .plus, exponent: -24, significand: 1)])
        XCTAssertEqual(half.toArray()[4], .infinity)
        XCTAssertEqual(half.toArray()[5], 0.333251953125)
        XCTAssertFalse(half.isMapped)
        let brain = try file.floats("brain").toArray()
        XCTAssertEqual(Array(brain[0 ..< 2]), [1, -3])
        XCTAssertEqual(brain[2], Float(sign: .plus, exponent: -133, significand: 1))
        XCTAssertEqual(brain[3], 3.140625)
        // A float32 tensor at an unaligned position is copied rather than mapped.
        let odd = try file.floats("odd")
        XCTAssertEqual(odd.toArray(), [0.5])
        XCTAssertFalse(odd.isMapped)
    }
}

final class SafeTensorsWriterTests: XCTestCase {
    func testRoundTrip() throws {
        let dir = try makeTemporaryDirectory(self)
        let url = dir.appendingPathComponent("checkpoint.safetensors")
        var writer = SafeTensorsWriter(metadata: ["format": "pt", "note": "quote \" backslash \\ newline \n é"])
        let weight = (0 ..< 6).map { Float($0) * 0.25 - 1 }
        try writer.add("score.weight", shape: [2, 3], values: weight)
        try writer.add("score.bias", shape: [2], values: [0.5, -0.5])
        try writer.add("step", shape: [], values: [42])
        try writer.add("empty", shape: [0, 4], values: [])
        let source = try SafeTensorsFile(url: Fixtures.huggingFace.appendingPathComponent("model.safetensors"))
        try writer.add(try source.floats("transformer.wpe.weight"), as: "wpe.weight")
        try writer.write(to: url)

        let bytes = try Data(contentsOf: url)
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual((8 + headerLength) % 8, 0, "data must start 8-byte aligned")

        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.names, ["empty", "score.bias", "score.weight", "step", "wpe.weight"])
        XCTAssertEqual(file.metadata, writer.metadata)
        XCTAssertEqual(try file.floats("score.weight").toArray(), weight)
        XCTAssertEqual(try file.floats("score.weight").shape, [2, 3])
        XCTAssertEqual(try file.floats("score.bias").toArray(), [0.5, -0.5])
        XCTAssertEqual(try file.floats("step").shape, [])
        XCTAssertEqual(try file.floats("step").toArray(), [42])
        XCTAssertEqual(try file.floats("empty").count, 0)
        XCTAssertEqual(try file.floats("wpe.weight").toArray(), try source.floats("transformer.wpe.weight").toArray())
        for name in file.names where name != "empty" {
            XCTAssertTrue(try file.floats(name).isMapped, name)
        }

        // Rewriting replaces the file as a whole and leaves no temporary files behind.
        var second = SafeTensorsWriter()
        try second.add("only", shape: [1], values: [7])
        try second.write(to: url)
        XCTAssertEqual(try SafeTensorsFile(url: url).names, ["only"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["checkpoint.safetensors"])
    }

    func testRejectsInconsistentTensors() throws {
        var writer = SafeTensorsWriter()
        XCTAssertThrowsError(try writer.add("w", shape: [2, 3], values: [1, 2, 3])) {
            XCTAssertTrue("\($0)".contains("'w'"), "\($0)")
        }
        try writer.add("w", shape: [3], values: [1, 2, 3])
        XCTAssertThrowsError(try writer.add("w", shape: [3], values: [1, 2, 3])) {
            XCTAssertTrue("\($0)".contains("twice"), "\($0)")
        }
        XCTAssertThrowsError(try writer.add("__metadata__", shape: [1], values: [1]))
        XCTAssertThrowsError(try writer.add("x", shape: [-1], values: []))
    }
}

final class SafeTensorsErrorTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try makeTemporaryDirectory(self)
    }

    private func write(_ data: Data, _ name: String) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    private let good = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#

    func testAWellFormedFileReads() throws {
        let url = try write(safetensorsBytes(header: good, data: floatBytes([1, 2])), "good.safetensors")
        XCTAssertEqual(try SafeTensorsFile(url: url).floats("a").toArray(), [1, 2])
    }

    func testTruncatedFixture() throws {
        let original = try Data(contentsOf: Fixtures.huggingFace.appendingPathComponent("model.safetensors"))
        let url = try write(original.prefix(original.count / 2), "truncated.safetensors")
        assertTensorFileError(try SafeTensorsFile(url: url), mentions: ["truncated.safetensors", "tensor '", "past the end of the data"])
    }

    func testTooShort() throws {
        let url = try write(Data([1, 2, 3]), "short.safetensors")
        assertTensorFileError(try SafeTensorsFile(url: url), mentions: ["short.safetensors", "too short"])
        let empty = try write(Data(), "empty.safetensors")
        assertTensorFileError(try SafeTensorsFile(url: empty), mentions: ["empty.safetensors", "too short"])
    }

    func testHeaderLengthPastTheEnd() throws {
        let url = try write(safetensorsBytes(header: good, data: floatBytes([1, 2]), declaredHeaderLength: 1000), "long.safetensors")
        assertTensorFileError(try SafeTensorsFile(url: url), mentions: ["long.safetensors", "header length 1000", "past the end"])
        let huge = try write(safetensorsBytes(header: good, data: [], declaredHeaderLength: UInt64.max), "huge.safetensors")
        assertTensorFileError(try SafeTensorsFile(url: huge), mentions: ["huge.safetensors", "header length"])
    }

    func testBadJSON() throws {
        let url = try write(safetensorsBytes(header: #"{"a":{"dtype":"F32","#, data: []), "badjson.safetensors")
        assertTensorFileError(try SafeTensorsFile(url: url), mentions: ["badjson.safetensors", "header is not valid JSON", "at the end (truncated?)"])
        let array = try write(safetensorsBytes(header: "[1,2]", data: []), "array.safetensors")
        assertTensorFileError(try SafeTensorsFile(url: array), mentions: ["array.safetensors", "JSON"])
    }

    func testOffsetsOutOfRange() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#
        let url = try write(safetensorsBytes(header: header, data: floatBytes([1, 2, 3])), "range.safetensors")
        assertTensorFileError(try SafeTensorsFile(url: url), mentions: ["range.safetensors", "tensor 'b'", "[8, 16]", "past the end"])
        let reversed = #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#
        let url2 = try write(safetensorsBytes(header: reversed, data: floatBytes([1, 2])), "reversed.safetensors")
        assertTensorFileError(try SafeTensorsFile(url: url2), mentions: ["reversed.safetensors", "tensor 'a'", "invalid data_offsets"])
    }

    func testSizeDoesNotMatchShape() throws {
        let header = #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
        let url = try write(safetensorsBytes(header: header, data: floatBytes([1, 2])), "size.safetensors")
        assertTensorFileError(try SafeTensorsFile(url: url), mentions: ["size.safetensors", "tensor 'w'", "8 bytes", "[3]", "needs 12"])
        let overflow = #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#
        let url2 = try write(safetensorsBytes(header: overflow, data: floatBytes([1, 2])), "overflow.safetensors")
        assertTensorFileError(try SafeTensorsFile(url: url2), mentions: ["overflow.safetensors", "tensor 'w'"])
    }

    func testOverlappingTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let url = try write(safetensorsBytes(header: header, data: floatBytes([1, 2, 3])), "overlap.safetensors")
        assertTensorFileError(try SafeTensorsFile(url: url), mentions: ["overlap.safetensors", "tensor 'b'", "overlaps", "'a'"])
    }

    /// The one-line property Fuzz/FuzzSpec found broken holds here too: a tensor name holding a
    /// line break no longer splits the message.
    func testMessagesNamingATensorStayOneLine() throws {
        let header = #"{"a\nb":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}"#
        let url = try write(safetensorsBytes(header: header, data: floatBytes([1])), "lines.safetensors")
        assertTensorFileError(try SafeTensorsFile(url: url), mentions: ["lines.safetensors: tensor 'a\\nb' has dtype Q7"])
    }

    func testMalformedEntries() throws {
        let cases: [(String, String)] = [
            (#"{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}"#, "dtype Q7"),
            (#"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, "no dtype"),
            (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, "shape"),
            (#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, "shape"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, "data_offsets"),
            (#"{"a":[1,2]}"#, "not an object"),
        ]
        for (i, (header, fragment)) in cases.enumerated() {
            let url = try write(safetensorsBytes(header: header, data: floatBytes([1])), "entry\(i).safetensors")
            assertTensorFileError(try SafeTensorsFile(url: url), mentions: ["entry\(i).safetensors", "tensor 'a'", fragment])
        }
        let meta = #"{"__metadata__":{"format":1},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let url = try write(safetensorsBytes(header: meta, data: floatBytes([1])), "meta.safetensors")
        assertTensorFileError(try SafeTensorsFile(url: url), mentions: ["meta.safetensors", "__metadata__", "'format'"])
    }
}
