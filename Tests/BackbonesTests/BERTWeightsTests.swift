import Backbones
import Common
import Foundation
import TensorEngine
import XCTest

/// Loading BERT weights and config.json: the `bert.` prefix of task checkpoints, and the errors
/// for a missing tensor, a wrong shape or a config we cannot build, on broken copies of the
/// tiny fixture that each test writes to a temporary directory.
final class BERTWeightsTests: XCTestCase {
    /// A temporary model directory with the fixture's config.json and tokenizer files, and a model.safetensors made
    /// from the fixture's tensors by `edit` (name → tensor; return nil to drop one).
    private func directory(config: String? = nil,
                           edit: (String, StoredTensor, inout SafeTensorsWriter) throws -> Void) throws -> URL {
        let source = try tinyBERTDirectory()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-bert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        if let config {
            try Data(config.utf8).write(to: dir.appendingPathComponent("config.json"))
        } else {
            try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        }
        for name in ["vocab.txt", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let file = try SafeTensorsFile(url: source.appendingPathComponent("model.safetensors"))
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        for name in file.names { try edit(name, try file.floats(name), &writer) }
        try writer.write(to: dir.appendingPathComponent("model.safetensors"))
        return dir
    }

    private func assertLoadFails(_ dir: URL, mentioning fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try BERTModel.load(directory: dir), file: file, line: line) { error in
            XCTAssertTrue(error is InputError, "\(type(of: error)): \(error)", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue("\(error)".contains(fragment), "'\(error)' does not mention '\(fragment)'", file: file, line: line)
            }
        }
    }

    /// A task checkpoint (`bert.` prefix, plus a classifier head and the pooler) loads the same
    /// parameters and gives the same hidden states.
    func testBertPrefixVariantLoadsIdentically() throws {
        let prefixed = try directory { name, tensor, writer in try writer.add(tensor, as: "bert." + name) }
        let withHead = try directory { name, tensor, writer in
            try writer.add(tensor, as: "bert." + name)
            if name == "pooler.dense.bias" { try writer.add("classifier.weight", shape: [2, 32], values: Array(repeating: 0.5, count: 64)) }
        }
        let plain = try BERTModel.load(directory: tinyBERTDirectory())
        let input = try BERTReference("reference.safetensors").input
        let expected = try plain.forward(input, tape: nil).value.scalars
        for dir in [prefixed, withHead] {
            let model = try BERTModel.load(directory: dir)
            XCTAssertEqual(model.namedParameters.map(\.name), plain.namedParameters.map(\.name))
            for ((_, a), (_, b)) in zip(model.namedParameters, plain.namedParameters) {
                XCTAssertEqual(a.value.scalars, b.value.scalars, a.name)
            }
            XCTAssertEqual(try model.forward(input, tape: nil).value.scalars, expected)
        }
    }

    func testMissingTensorIsNamedWithItsExpectedShape() throws {
        let dir = try directory { name, tensor, writer in
            if name != "encoder.layer.1.output.dense.bias" { try writer.add(tensor) }
        }
        assertLoadFails(dir, mentioning: ["model.safetensors", "encoder.layer.1.output.dense.bias", "missing", "[32]"])
        let prefixed = try directory { name, tensor, writer in
            if name != "encoder.layer.0.attention.self.key.weight" { try writer.add(tensor, as: "bert." + name) }
        }
        assertLoadFails(prefixed, mentioning: ["bert.encoder.layer.0.attention.self.key.weight", "missing", "[32, 32]"])
    }

    /// A transposed intermediate weight ([in, out] instead of nn.Linear's [out, in]).
    func testWrongShapeIsNamedWithBothShapes() throws {
        let dir = try directory { name, tensor, writer in
            if name == "encoder.layer.0.intermediate.dense.weight" {
                try writer.add(name, shape: [32, 64], values: tensor.toArray())
            } else {
                try writer.add(tensor)
            }
        }
        assertLoadFails(dir, mentioning: ["encoder.layer.0.intermediate.dense.weight", "has shape [32, 64], expected [64, 32]"])
    }

    /// config.json sizes drive the expected shapes: a config that disagrees with the file is a shape error.
    func testConfigDisagreeingWithTheWeights() throws {
        let config = try String(contentsOf: tinyBERTDirectory().appendingPathComponent("config.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"intermediate_size\": 64", with: "\"intermediate_size\": 48")
        let dir = try directory(config: config) { _, tensor, writer in try writer.add(tensor) }
        assertLoadFails(dir, mentioning: ["encoder.layer.0.intermediate.dense.weight", "has shape [64, 32], expected [48, 32]"])
    }

    func testConfigErrorsNameTheFileAndKey() throws {
        let cases: [(String, [String])] = [
            (#"{"vocab_size": 100, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64}"#, ["config.json", "has no hidden_size"]),
            (#"{"vocab_size": 100, "hidden_size": 30, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64}"#,
             ["hidden_size 30 is not a multiple of num_attention_heads 4"]),
            (#"{"vocab_size": 100, "hidden_size": "32", "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64}"#,
             ["hidden_size has the wrong type"]),
            (#"{"model_type": "electra", "vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64}"#,
             ["model_type is \"electra\""]),
            (#"{"vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64, "hidden_act": "relu"}"#,
             ["hidden_act is \"relu\""]),
            (#"{"vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64, "position_embedding_type": "relative_key"}"#,
             ["position_embedding_type"]),
            ("[1, 2]", ["config.json", "is not a JSON object"]),
        ]
        for (json, fragments) in cases {
            let dir = try directory(config: json) { _, tensor, writer in try writer.add(tensor) }
            assertLoadFails(dir, mentioning: fragments)
        }
    }

    func testMissingFilesAreNamed() throws {
        let dir = try directory { _, tensor, writer in try writer.add(tensor) }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("model.safetensors"))
        assertLoadFails(dir, mentioning: ["model.safetensors"])
        try FileManager.default.removeItem(at: dir.appendingPathComponent("config.json"))
        assertLoadFails(dir, mentioning: ["config.json"])
    }

    /// The tokenizer must not produce ids past the embedding table.
    func testTokenizerLargerThanTheEmbeddingTableIsRefused() throws {
        XCTAssertThrowsError(try BERTModel.load(directory: tinyBERTDirectory(), tokenizer: IDOnlyTokenizer(vocabularySize: 101))) {
            XCTAssertTrue("\($0)".contains("101 ids"), "\($0)")
        }
    }
}
