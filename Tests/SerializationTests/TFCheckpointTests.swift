import Backbones
import Foundation
import TensorEngine
import XCTest

final class TFCheckpointTests: XCTestCase {
    static let dataName = "model.ckpt.data-00000-of-00001"

    func testReadsTheOpenAIFixture() throws {
        let checkpoint = try TFCheckpoint(url: Fixtures.openAI)
        XCTAssertTrue(checkpoint.path.hasSuffix("openai/model.ckpt.index"))
        let expected = GPT2WeightNames.parameterShapes(vocabSize: 300, contextLength: 32, embeddingSize: 32, layerCount: 2)
        XCTAssertEqual(checkpoint.names, expected.compactMap { GPT2WeightNames.openAI(huggingFace: $0.name) }.sorted())
        XCTAssertEqual(checkpoint.info("model/h0/attn/c_attn/w"), TensorInfo(name: "model/h0/attn/c_attn/w", dtype: .float32, shape: [1, 32, 96]))
        XCTAssertEqual(try checkpoint.shape(of: "model/wte"), [300, 32])
        XCTAssertEqual(try checkpoint.shape(of: "model/ln_f/g"), [32])
        for name in checkpoint.names {
            let tensor = try checkpoint.floats(name)  // also verifies each tensor's CRC-32C
            XCTAssertEqual(tensor.count, tensor.shape.reduce(1, *))
            XCTAssertTrue(tensor.isMapped, name)
        }
        assertTensorFileError(try checkpoint.floats("model/h9/ln_1/g"), mentions: ["model.ckpt.index", "'model/h9/ln_1/g'", "not in the file"])
        assertTensorFileError(try checkpoint.int64s("model/wte"), mentions: ["'model/wte'", "not an integer"])
    }

    func testAcceptsDirectoryPrefixIndexOrDataPath() throws {
        let dir = Fixtures.openAI
        let paths = [dir, dir.appendingPathComponent("model.ckpt"), dir.appendingPathComponent("model.ckpt.index"),
                     dir.appendingPathComponent(Self.dataName)]
        for url in paths {
            let checkpoint = try TFCheckpoint(url: url)
            XCTAssertEqual(checkpoint.prefix, dir.appendingPathComponent("model.ckpt").path, url.path)
            XCTAssertEqual(checkpoint.names.count, 28)
        }
        XCTAssertTrue(try TensorArchives.open(dir) is TFCheckpoint)
        XCTAssertTrue(try TensorArchives.open(dir.appendingPathComponent("model.ckpt")) is TFCheckpoint)
    }

    /// TensorFlow never compresses its index; this one has the same entries in many small,
    /// Snappy-compressed blocks with restart points every 3 keys (scripts/make_serialization_fixtures.py).
    func testSnappyCompressedMultiBlockIndex() throws {
        let dir = try makeTemporaryDirectory(self)
        try FileManager.default.copyItem(at: try Fixtures.own.appendingPathComponent("snappy-index/model.ckpt.index"),
                                         to: dir.appendingPathComponent("model.ckpt.index"))
        try FileManager.default.copyItem(at: Fixtures.openAI.appendingPathComponent(Self.dataName),
                                         to: dir.appendingPathComponent(Self.dataName))
        let snappy = try TFCheckpoint(url: dir)
        let plain = try TFCheckpoint(url: Fixtures.openAI)
        XCTAssertEqual(snappy.names, plain.names)
        for name in plain.names {
            XCTAssertEqual(snappy.info(name), plain.info(name))
            XCTAssertEqual(try snappy.floats(name).toArray(), try plain.floats(name).toArray(), name)
        }
    }

    private func copyFixture() throws -> URL {
        let dir = try makeTemporaryDirectory(self)
        for name in ["model.ckpt.index", Self.dataName, "checkpoint"] {
            try FileManager.default.copyItem(at: Fixtures.openAI.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        return dir
    }

    private func modify(_ url: URL, _ change: (inout Data) -> Void) throws {
        var data = try Data(contentsOf: url)
        change(&data)
        try data.write(to: url)
    }

    func testCorruptIndexBlock() throws {
        let dir = try copyFixture()
        try modify(dir.appendingPathComponent("model.ckpt.index")) { $0[20] ^= 0x01 }
        assertTensorFileError(try TFCheckpoint(url: dir), mentions: ["model.ckpt.index", "data block at offset 0", "checksum", "corrupt"])
    }

    func testTruncatedIndex() throws {
        let dir = try copyFixture()
        let index = dir.appendingPathComponent("model.ckpt.index")
        try modify(index) { $0.removeLast(10) }
        assertTensorFileError(try TFCheckpoint(url: dir), mentions: ["model.ckpt.index", "magic", "truncated"])
        try modify(index) { $0 = $0.prefix(30) }
        assertTensorFileError(try TFCheckpoint(url: dir), mentions: ["model.ckpt.index", "too short"])
        try Data().write(to: index)
        assertTensorFileError(try TFCheckpoint(url: dir), mentions: ["model.ckpt.index", "too short"])
    }

    func testNotAnIndex() throws {
        let dir = try makeTemporaryDirectory(self)
        let url = dir.appendingPathComponent("model.ckpt.index")
        try Data(repeating: 0x41, count: 200).write(to: url)
        assertTensorFileError(try TFCheckpoint(url: url), mentions: ["model.ckpt.index", "magic"])
    }

    func testCorruptData() throws {
        let dir = try copyFixture()
        // The first tensor in key order sits at offset 0 of the data shard.
        try modify(dir.appendingPathComponent(Self.dataName)) { $0[0] ^= 0x40 }
        let checkpoint = try TFCheckpoint(url: dir)
        assertTensorFileError(try checkpoint.floats("model/h0/attn/c_attn/b"),
                              mentions: [Self.dataName, "'model/h0/attn/c_attn/b'", "checksum", "corrupt"])
        XCTAssertNoThrow(try checkpoint.floats("model/wte"))
        let unchecked = try TFCheckpoint(url: dir, verifyChecksums: false)
        XCTAssertNoThrow(try unchecked.floats("model/h0/attn/c_attn/b"))
    }

    func testTruncatedData() throws {
        let dir = try copyFixture()
        try modify(dir.appendingPathComponent(Self.dataName)) { $0.removeLast(100) }
        // model/wte comes last in key order, so it is the tensor cut short.
        assertTensorFileError(try TFCheckpoint(url: dir), mentions: [Self.dataName, "'model/wte'", "past the end of the data file"])
    }

    func testMissingDataShard() throws {
        let dir = try copyFixture()
        try FileManager.default.removeItem(at: dir.appendingPathComponent(Self.dataName))
        assertTensorFileError(try TFCheckpoint(url: dir), mentions: [Self.dataName, "cannot be opened"])
    }

    func testCheckpointStateFileNamesThePrefix() throws {
        let dir = try makeTemporaryDirectory(self)
        for name in ["model.ckpt.index", Self.dataName] {
            try FileManager.default.copyItem(at: Fixtures.openAI.appendingPathComponent(name),
                                             to: dir.appendingPathComponent(name.replacingOccurrences(of: "model.ckpt", with: "step-7")))
        }
        try #"model_checkpoint_path: "step-7""#.write(to: dir.appendingPathComponent("checkpoint"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try TFCheckpoint(url: dir).names.count, 28)
        try "nothing useful".write(to: dir.appendingPathComponent("checkpoint"), atomically: true, encoding: .utf8)
        assertTensorFileError(try TFCheckpoint(url: dir), mentions: ["checkpoint", "model_checkpoint_path"])
    }
}
