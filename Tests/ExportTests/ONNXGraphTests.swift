import Backbones
@testable import Export
import Foundation
import Heads
import Inference
@testable import TensorEngine
import TestRequirements
import XCTest

/// The ONNX model of the tiny BERT, RoBERTa, DistilBERT and GPT-2 classifiers, read back with the TF-checkpoint
/// reader's protobuf decoder: the header fields, a well-formed graph (every value defined
/// before use, only opset-17 operators), the inputs and output, and the metadata. (Parity with
/// ONNX Runtime is CLITests.ExportTests' part.)
final class ONNXGraphTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("BackbonesTests/Fixtures")

    /// Operators of the default domain at opset 17 that the graphs may use.
    static let operators: Set<String> = ["Gather", "Add", "Sub", "Mul", "Div", "MatMul", "Gemm", "Reshape", "Transpose", "Softmax",
                                         "Split", "Unsqueeze", "Squeeze", "ReduceSum", "ReduceMax", "LayerNormalization", "Erf",
                                         "Tanh", "Where", "Equal", "Greater", "Or", "Cast", "Shape", "Range", "Expand",
                                         "GatherElements", "Concat", "Identity", "Not", "CumSum"]

    override func setUpWithError() throws {
        do { try BLAS.ensureLoaded() } catch { throw missingPrerequisite("OpenBLAS not available: \(error)") }
    }

    private func trained(_ backbone: any Backbone, pooling: Pooling, head: HeadSpec) throws -> TrainedModel {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-onnx-graph-\(UUID().uuidString.prefix(8))")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let classifier = try Classifier(backbone: backbone, labels: ["ham", "spam", "other"], head: head, pooling: pooling, maxLength: 16)
        try ClassifierCheckpoint.save(classifier, source: BackboneSource(name: "tiny", weights: .random, seed: 1), policy: .all,
                                      to: directory.appendingPathComponent("model"), content: .full)
        // The checkpoint holds every tensor; the backbone instance only gives the architecture.
        return try ClassifierCheckpoint.load(directory, verifyBackbone: false) { _ in backbone }
    }

    func testGraphsAreWellFormedForEveryFamilyPoolingAndHead() throws {
        let encoders = try ["tiny-bert", "tiny-roberta", "tiny-distilbert"].map {
            try BERTModel.load(directory: Self.fixtures.appendingPathComponent($0), dropout: 0)
        }
        XCTAssertEqual(encoders.map(\.config.layout), [.bert, .roberta, .distilBERT])
        let backbones: [any Backbone] = encoders + [try GPT2Model.load(directory: Self.fixtures.appendingPathComponent("tiny-gpt2/hf"), dropout: 0)]
        for backbone in backbones {
            for (index, pooling) in Pooling.allCases.enumerated() {
                let head = [HeadSpec.linear, .mlp(hiddenSize: 8), .mlp(hiddenSize: 8, activation: .tanh)][index % 3]
                let model = try trained(backbone, pooling: pooling, head: head)
                try check(ONNXExport.build(model).proto.encoded(), model: model, context: "\(backbone.name) \(pooling) \(head)")
            }
        }
    }

    /// A tuned decision rule and a long-text policy travel in the metadata, as the checkpoint keeps them.
    func testDecisionRuleAndLongTextPolicyAreInTheMetadata() throws {
        let backbone = try BERTModel.load(directory: Self.fixtures.appendingPathComponent("tiny-bert"), dropout: 0)
        let model = try trained(backbone, pooling: .mean, head: .linear)
        model.classifier.decision = DecisionRule(output: .sigmoid, temperature: 1.5, thresholds: [0.25, 0.3, 0.75])
        try model.classifier.useLongText(.chunks(stride: 4, aggregation: .max))
        let fields = try Protobuf.fields(try ONNXExport.build(model).proto.encoded())
        var metadata: [String: String] = [:]
        for entry in fields.filter({ $0.number == 14 }) {
            guard case .bytes(let b) = entry.value else { continue }
            let pair = try Protobuf.fields(b).compactMap { if case .bytes(let v) = $0.value { String(decoding: v, as: UTF8.self) } else { nil } }
            metadata[pair[0]] = pair[1]
        }
        XCTAssertEqual(metadata["decision"], #"{"output":"sigmoid","temperature":1.5,"thresholds":[0.25,0.3,0.75]}"#)
        XCTAssertEqual(metadata["long_text"], "chunks:4:max")
    }

    private func check(_ bytes: [UInt8], model: TrainedModel, context: String) throws {
        let fields = try Protobuf.fields(bytes)
        func strings(_ fields: [(number: Int, value: ProtoValue)], _ number: Int) -> [String] {
            fields.filter { $0.number == number }.compactMap { if case .bytes(let b) = $0.value { String(decoding: b, as: UTF8.self) } else { nil } }
        }
        func messages(_ fields: [(number: Int, value: ProtoValue)], _ number: Int) throws -> [[(number: Int, value: ProtoValue)]] {
            try fields.filter { $0.number == number }.compactMap { if case .bytes(let b) = $0.value { try Protobuf.fields(b) } else { nil } }
        }
        XCTAssertEqual(fields.first { $0.number == 1 }?.value.integer, 8, "ir_version, \(context)")
        XCTAssertEqual(try messages(fields, 8).first?.first { $0.number == 2 }?.value.integer, 17, "opset, \(context)")
        var metadata: [String: String] = [:]
        for entry in try messages(fields, 14) { metadata[strings(entry, 1)[0]] = strings(entry, 2)[0] }
        XCTAssertEqual(metadata["labels"], #"["ham","spam","other"]"#, context)
        XCTAssertEqual(metadata["max_length"], "16", context)
        XCTAssertEqual(metadata["pooling"], model.pooling.rawValue, context)
        let (family, tokenizer) = switch (model.classifier.backbone as? BERTModel)?.config.layout {
        case nil: ("gpt2", "gpt2-bpe")
        case .roberta?: ("roberta", "roberta-bpe")
        case .distilBERT?: ("distilbert", "bert-wordpiece")
        default: ("bert", "bert-wordpiece")
        }
        XCTAssertEqual(metadata["family"], family, context)
        XCTAssertEqual(metadata["tokenizer"], tokenizer, context)
        XCTAssertEqual(metadata["decision"], #"{"output":"softmax","temperature":1,"thresholds":null}"#, context)
        XCTAssertEqual(metadata["long_text"], "truncate", context)

        let graph = try XCTUnwrap(try messages(fields, 7).first, context)
        let inputs = try messages(graph, 11).map { strings($0, 1)[0] }
        XCTAssertEqual(inputs, ["input_ids", "attention_mask"], context)
        XCTAssertEqual(try messages(graph, 12).map { strings($0, 1)[0] }, ["logits"], context)
        var defined = Set(inputs).union(try messages(graph, 5).map { strings($0, 8)[0] })  // initializer names
        let initializerCount = defined.count - inputs.count
        XCTAssertEqual(initializerCount, try messages(graph, 5).count, "initializer names are unique, \(context)")
        for node in try messages(graph, 1) {
            let op = strings(node, 4)[0]
            XCTAssertTrue(Self.operators.contains(op), "\(op) is not an expected opset-17 operator, \(context)")
            for input in strings(node, 1) { XCTAssertTrue(defined.contains(input), "\(op) reads \(input) before it is defined, \(context)") }
            for output in strings(node, 2) { XCTAssertTrue(defined.insert(output).inserted, "\(output) is defined twice, \(context)") }
        }
        XCTAssertTrue(defined.contains("logits"), context)
    }
}
