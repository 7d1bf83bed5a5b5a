// `textclf export --format onnx`: a trained classifier as one ONNX graph (opset 17).
//
//   inputs   input_ids       int64 [batch, sequence]   right-padded token ids
//            attention_mask  int64 [batch, sequence]   1 for real tokens, 0 for padding
//   output   logits          float [batch, labels]
//
// The backbone, the pooling and the head are all in the graph; the labels, tokenizer, max
// length, pooling and family are in the model's metadata_props.
import Backbones
import Common
import Foundation
import Heads
import Inference
import TensorEngine

public enum ONNXExport {
    /// What was written.
    public struct Summary: Sendable {
        public let bytes: Int
        public let nodes: Int
        public let initializers: Int
        public let metadata: [String: String]
    }

    /// Writes `model` to `url` (atomically: a temporary file renamed into place).
    @discardableResult
    public static func write(_ model: TrainedModel, to url: URL) throws -> Summary {
        try ExportDestination.checkFile(url)
        let onnx = try build(model)
        let proto = onnx.proto
        // A protobuf message (and so an ONNX file without external data) stops at 2 GiB.
        guard proto.size < Int(Int32.max) else {
            throw InvalidExport("the model would take \(proto.size) bytes; an ONNX file without external data stops at 2 GiB (2,147,483,647 bytes)")
        }
        try ExportDestination.writing(url) {
            try AtomicFile.write(to: url) { handle in
                var sink = ProtoSink { bytes in
                    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
                    try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: bytes.count, deallocator: .none))
                }
                try proto.write(to: &sink)
                try sink.flush()
            }
        }
        return Summary(bytes: proto.size, nodes: onnx.graph.nodes.count, initializers: onnx.graph.initializers.count,
                       metadata: Dictionary(uniqueKeysWithValues: onnx.metadata.map { ($0.key, $0.value) }))
    }

    /// The ONNX model of `model` (nothing written).
    static func build(_ model: TrainedModel, families: ExportFamilies = .builtIn) throws -> ONNXModel {
        let classifier = model.classifier
        // The graph holds each dense layer as one weight; a LoRA model's adapters must be in it.
        guard !classifier.hasAdapters else {
            throw InvalidExport("the classifier has LoRA adapters (policy \(model.configuration.trainable)): merge them into the weights first (Classifier.mergeAdapters, `textclf export --merge-lora`)")
        }
        let family = try families.family(for: classifier.backbone)
        let tokenizer = try ExportedTokenizer(classifier.backbone.tokenizer, of: model.source.name)
        var graph = ONNXGraphBuilder()
        let hidden = try family.hiddenStates(classifier.backbone, into: &graph)
        let logits = try graph.head(graph.pool(hidden, classifier.pooling), classifier.head)
        graph.output(logits, as: ONNXGraphBuilder.logits)
        let text: [ONNXValueInfo.Dim] = [.symbolic("batch"), .symbolic("sequence")]
        let onnxGraph = ONNXGraph(
            name: "textclf-classifier", nodes: graph.nodes, initializers: graph.initializers,
            inputs: [ONNXValueInfo(name: ONNXGraphBuilder.inputIDs, elementType: .int64, dims: text),
                     ONNXValueInfo(name: ONNXGraphBuilder.attentionMask, elementType: .int64, dims: text)],
            outputs: [ONNXValueInfo(name: ONNXGraphBuilder.logits, elementType: .float, dims: [.symbolic("batch"), .fixed(model.labels.count)])])
        let labels = String(decoding: try JSONSerialization.data(withJSONObject: model.labels, options: [.withoutEscapingSlashes]), as: UTF8.self)
        let metadata: [(key: String, value: String)] = [
            ("labels", labels),
            ("tokenizer", tokenizer.kind),
            ("max_length", String(model.maxLength)),
            ("pad_token_id", String(model.tokenizer.padTokenID)),
            ("pooling", model.pooling.rawValue),
            ("family", family.family),
            ("backbone", model.source.name),
            ("head", classifier.head.spec.description),
            ("padding", "right"),
            // The graph ends at the logits; these say how textclf turns them into labels and reads
            // a text longer than max_length, so a runtime can do the same.
            ("decision", try Self.decisionJSON(classifier.decision)),
            ("long_text", classifier.longText.policy.description),
        ]
        return ONNXModel(graph: onnxGraph, producerVersion: textclfVersion, metadata: metadata)
    }

    /// {"output": "softmax"|"sigmoid", "temperature": T, "thresholds": [...] or null}: logits ÷ T,
    /// then softmax (the argmax, or with two classes class 1 at or above its threshold) or a sigmoid
    /// per class (every class at or above its threshold; null means 0.5 each).
    static func decisionJSON(_ rule: DecisionRule) throws -> String {
        func number(_ x: Float) -> Double { Double(String(describing: x)) ?? Double(x) }  // 0.3, not 0.30000001192…
        let object: [String: Any] = [
            "output": rule.output.rawValue,
            "temperature": number(rule.temperature),
            "thresholds": rule.thresholds.map { $0.map(number) } ?? NSNull(),
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
