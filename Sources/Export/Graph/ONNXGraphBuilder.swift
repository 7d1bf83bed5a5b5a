// Builds an ONNX graph node by node: fresh value names, weights as initializers (raw float32,
// little-endian, written from the tensors' own memory), small constants, and values computed
// once per graph (positions, masks) shared by every layer.
import Foundation
import TensorEngine

struct ONNXGraphBuilder {
    /// The graph's inputs, as a tokenizer gives them: right-padded ids and 1/0 for real/padding.
    static let inputIDs = "input_ids"
    static let attentionMask = "attention_mask"
    static let logits = "logits"

    private(set) var nodes: [ONNXNode] = []
    private(set) var initializers: [ONNXTensor] = []
    private var initializerNames: Set<String> = []
    private var counter = 0
    /// Values computed once per graph, by what they are (see `shared`).
    private var sharedValues: [String: String] = [:]

    /// A value name not used before, from `hint`.
    mutating func fresh(_ hint: String) -> String {
        counter += 1
        return "\(hint)_\(counter)"
    }

    /// Appends a node and returns its outputs' names.
    @discardableResult
    mutating func node(_ opType: String, _ inputs: [String], _ attributes: [ONNXAttribute] = [], outputs count: Int = 1,
                       hint: String? = nil) -> [String] {
        let base = hint ?? opType.lowercased()
        let outputs = (0..<count).map { _ in fresh(base) }
        nodes.append(ONNXNode(opType: opType, inputs: inputs, outputs: outputs, name: "\(opType)_\(nodes.count)", attributes: attributes))
        return outputs
    }

    /// A node with one output.
    mutating func op(_ opType: String, _ inputs: String..., attributes: [ONNXAttribute] = [], hint: String? = nil) -> String {
        node(opType, inputs, attributes, hint: hint)[0]
    }

    /// Names `value` `name` (an Identity node): a graph output's name is fixed.
    mutating func output(_ value: String, as name: String) {
        nodes.append(ONNXNode(opType: "Identity", inputs: [value], outputs: [name], name: name, attributes: []))
    }

    /// The value called `key`, made by `make` the first time it is asked for.
    mutating func shared(_ key: String, _ make: (inout ONNXGraphBuilder) throws -> String) rethrows -> String {
        if let value = sharedValues[key] { return value }
        let value = try make(&self)
        sharedValues[key] = value
        return value
    }

    // MARK: Initializers

    /// A float32 weight as it is in memory, under `name` (a parameter's name).
    mutating func weight(_ name: String, _ tensor: Tensor) -> String {
        let bytes = tensor.count * MemoryLayout<Float>.size
        return initializer(ONNXTensor(name: unique(name), dims: tensor.shape, dataType: .float, data: ProtoBytes(count: bytes) { sink in
            try Self.writeLittleEndian(tensor, to: &sink)
        }))
    }

    /// A 2-D weight [rows, columns] stored transposed, [columns, rows] (nn.Linear's [out, in] as
    /// the [in, out] a MatMul reads).
    mutating func transposedWeight(_ name: String, _ tensor: Tensor) -> String {
        let (rows, columns) = (tensor.shape[0], tensor.shape[1])
        var values = [Float](repeating: 0, count: tensor.count)
        tensor.withUnsafeBufferPointer { source in
            for r in 0..<rows { for c in 0..<columns { values[c * rows + r] = source[r * columns + c] } }
        }
        return floats(name, values, shape: [columns, rows])
    }

    mutating func floats(_ name: String, _ values: [Float], shape: [Int]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 4)
        for value in values { Self.appendLittleEndian(value.bitPattern, to: &bytes) }
        return initializer(ONNXTensor(name: unique(name), dims: shape, dataType: .float, data: ProtoBytes(bytes)))
    }

    /// A float scalar constant.
    mutating func scalar(_ value: Float) -> String {
        shared("float:\(value.bitPattern)") { $0.floats($0.fresh("const"), [value], shape: []) }
    }

    /// An int64 constant of `shape` ([] for a scalar, nil for a vector of the values).
    mutating func int64s(_ values: [Int], shape: [Int]? = nil) -> String {
        let shape = shape ?? [values.count]
        return shared("int64:\(shape):\(values)") { graph in
            var bytes: [UInt8] = []
            for value in values { Self.appendLittleEndian(UInt64(bitPattern: Int64(value)), to: &bytes) }
            return graph.initializer(ONNXTensor(name: graph.fresh("const"), dims: shape, dataType: .int64, data: ProtoBytes(bytes)))
        }
    }

    private mutating func initializer(_ tensor: ONNXTensor) -> String {
        initializers.append(tensor)
        initializerNames.insert(tensor.name)
        return tensor.name
    }

    private mutating func unique(_ name: String) -> String {
        initializerNames.contains(name) ? fresh(name) : name
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// ONNX's raw_data is little-endian: on such a machine the floats go out as they are.
    private static func writeLittleEndian(_ tensor: Tensor, to sink: inout ProtoSink) throws {
        try tensor.withUnsafeBufferPointer { floats in
            if 1.littleEndian == 1 {
                try sink.append(UnsafeRawBufferPointer(floats))
            } else {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(floats.count * 4)
                for value in floats { appendLittleEndian(value.bitPattern, to: &bytes) }
                try sink.append(bytes)
            }
        }
    }
}
