// The ONNX messages an exported classifier needs, with the field numbers of onnx/onnx.proto
// (IR version 8, the one that goes with opset 17). Each type builds its `ProtoMessage`.

/// TensorProto.DataType values used here.
enum ONNXDataType: UInt64 {
    case float = 1
    case int64 = 7
    case bool = 9
}

/// AttributeProto: a node's named setting.
struct ONNXAttribute {
    enum Value {
        case float(Float)
        case int(Int64)
        case ints([Int64])
        case string(String)
    }

    let name: String
    let value: Value

    static func int(_ name: String, _ value: Int) -> ONNXAttribute { ONNXAttribute(name: name, value: .int(Int64(value))) }
    static func ints(_ name: String, _ values: [Int]) -> ONNXAttribute { ONNXAttribute(name: name, value: .ints(values.map(Int64.init))) }
    static func float(_ name: String, _ value: Float) -> ONNXAttribute { ONNXAttribute(name: name, value: .float(value)) }

    var proto: ProtoMessage {
        var m = ProtoMessage()
        m.string(1, name)  // name
        switch value {
        case .float(let f):
            m.float(2, f)       // f
            m.varint(20, 1)     // type FLOAT
        case .int(let i):
            m.int64(3, i)       // i
            m.varint(20, 2)     // type INT
        case .string(let s):
            m.string(4, s)      // s
            m.varint(20, 3)     // type STRING
        case .ints(let values):
            for v in values { m.int64(8, v) }  // ints (unpacked, as proto2 writes them)
            m.varint(20, 7)     // type INTS
        }
        return m
    }
}

/// NodeProto: one operator application.
struct ONNXNode {
    let opType: String
    let inputs: [String]
    let outputs: [String]
    let name: String
    let attributes: [ONNXAttribute]

    var proto: ProtoMessage {
        var m = ProtoMessage()
        for input in inputs { m.string(1, input) }
        for output in outputs { m.string(2, output) }
        m.string(3, name)
        m.string(4, opType)
        for attribute in attributes { m.message(5, attribute.proto) }
        return m
    }
}

/// TensorProto: an initializer (a weight or a constant), its data raw and little-endian.
struct ONNXTensor {
    let name: String
    let dims: [Int]
    let dataType: ONNXDataType
    let data: ProtoBytes

    var proto: ProtoMessage {
        var m = ProtoMessage()
        for dim in dims { m.int64(1, Int64(dim)) }  // dims
        m.varint(2, dataType.rawValue)               // data_type
        m.string(8, name)                            // name
        m.bytes(9, data)                             // raw_data
        return m
    }
}

/// ValueInfoProto of a tensor: name, element type, and dims (a number, or a symbolic name for
/// a dynamic axis such as "batch").
struct ONNXValueInfo {
    enum Dim {
        case fixed(Int)
        case symbolic(String)
    }

    let name: String
    let elementType: ONNXDataType
    let dims: [Dim]

    var proto: ProtoMessage {
        var shape = ProtoMessage()  // TensorShapeProto
        for dim in dims {
            var d = ProtoMessage()  // TensorShapeProto.Dimension
            switch dim {
            case .fixed(let value): d.int64(1, Int64(value))  // dim_value
            case .symbolic(let name): d.string(2, name)       // dim_param
            }
            shape.message(1, d)
        }
        var tensorType = ProtoMessage()  // TypeProto.Tensor
        tensorType.varint(1, elementType.rawValue)  // elem_type
        tensorType.message(2, shape)                // shape
        var type = ProtoMessage()  // TypeProto
        type.message(1, tensorType)                 // tensor_type
        var m = ProtoMessage()
        m.string(1, name)
        m.message(2, type)
        return m
    }
}

/// GraphProto.
struct ONNXGraph {
    let name: String
    let nodes: [ONNXNode]
    let initializers: [ONNXTensor]
    let inputs: [ONNXValueInfo]
    let outputs: [ONNXValueInfo]

    var proto: ProtoMessage {
        var m = ProtoMessage()
        for node in nodes { m.message(1, node.proto) }
        m.string(2, name)
        for tensor in initializers { m.message(5, tensor.proto) }
        for input in inputs { m.message(11, input.proto) }
        for output in outputs { m.message(12, output.proto) }
        return m
    }
}

/// ModelProto: the graph, the opset it is written against, and metadata (StringStringEntryProto).
struct ONNXModel {
    /// IR version 8 is the one released with opset 17.
    static let irVersion: Int64 = 8
    static let opsetVersion: Int64 = 17

    let graph: ONNXGraph
    let producerVersion: String
    let metadata: [(key: String, value: String)]

    var proto: ProtoMessage {
        var m = ProtoMessage()
        m.int64(1, Self.irVersion)            // ir_version
        m.string(2, "textclf")                // producer_name
        m.string(3, producerVersion)          // producer_version
        m.message(7, graph.proto)             // graph
        var opset = ProtoMessage()            // OperatorSetIdProto, the default domain ""
        opset.int64(2, Self.opsetVersion)     // version
        m.message(8, opset)                   // opset_import
        for (key, value) in metadata {
            var entry = ProtoMessage()
            entry.string(1, key)
            entry.string(2, value)
            m.message(14, entry)              // metadata_props
        }
        return m
    }
}
