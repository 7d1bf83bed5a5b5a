// Every textclf pooling as ONNX nodes: final hidden states [B, T, C] and the attention mask to
// one vector per text [B, C], reading the rows `Pooling.pool` reads.
import Backbones

extension ONNXGraphBuilder {
    mutating func pool(_ hidden: String, _ pooling: Pooling) -> String {
        switch pooling {
        case .first:
            return op("Gather", hidden, int64s([0], shape: []), attributes: [.int("axis", 1)], hint: "pooled")
        case .positionLast:
            // The batch's last position, padding or not (the reference recipe's choice).
            return op("Gather", hidden, int64s([-1], shape: []), attributes: [.int("axis", 1)], hint: "pooled")
        case .last:
            // Row length - 1 of each text: its last real token under right padding.
            let lengths = op("ReduceSum", Self.attentionMask, int64s([1]), attributes: [.int("keepdims", 1)])  // [B, 1]
            let last = op("Unsqueeze", op("Sub", lengths, int64s([1], shape: [])), int64s([2]))                // [B, 1, 1]
            let width = op("Gather", op("Shape", hidden), int64s([2]), attributes: [.int("axis", 0)])           // [1]: C
            let index = op("Expand", last, op("Concat", int64s([1, 1]), width, attributes: [.int("axis", 0)]))  // [B, 1, C]
            let rows = op("GatherElements", hidden, index, attributes: [.int("axis", 1)])
            return op("Squeeze", rows, int64s([1]), hint: "pooled")
        case .mean:
            let real = realTokens3D()
            let sum = op("ReduceSum", op("Mul", hidden, real), int64s([1]), attributes: [.int("keepdims", 0)])  // [B, C]
            let count = op("ReduceSum", real, int64s([1]), attributes: [.int("keepdims", 0)])                   // [B, 1]
            return op("Div", sum, count, hint: "pooled")
        case .max:
            let padded = op("Unsqueeze", op("Equal", Self.attentionMask, int64s([0], shape: [])), int64s([2]))  // [B, T, 1]
            let masked = op("Where", padded, scalar(-Float.greatestFiniteMagnitude), hidden)
            return op("ReduceMax", masked, attributes: [.ints("axes", [1]), .int("keepdims", 0)], hint: "pooled")
        }
    }
}
