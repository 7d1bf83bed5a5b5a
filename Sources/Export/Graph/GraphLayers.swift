// The layers of textclf's backbones as ONNX nodes, written against opset 17 (LayerNormalization
// exists from 17; Gelu only from 20, so GELU is spelt with Erf or Tanh). Activations are
// [batch, sequence, hidden] throughout.
import Backbones
import Common
import TensorEngine

extension ONNXGraphBuilder {
    /// x·W + b for a `Linear` in either weight layout; the weight goes in as the [in, out] matrix
    /// MatMul reads (nn.Linear's [out, in] transposed once, at export).
    mutating func linear(_ x: String, _ layer: Linear) throws -> String {
        guard layer.adapter == nil else {
            throw InvalidExport("\(layer.weight.name) has an adapter; merge it into the weight before exporting")
        }
        let weight = layer.layout == .inOut ? self.weight(layer.weight.name, layer.weight.value)
            : transposedWeight(layer.weight.name, layer.weight.value)
        let product = op("MatMul", x, weight)
        guard let bias = layer.bias else { return product }
        return op("Add", product, self.weight(bias.name, bias.value))
    }

    mutating func layerNorm(_ x: String, _ norm: LayerNorm) -> String {
        op("LayerNormalization", x, weight(norm.weight.name, norm.weight.value), weight(norm.bias.name, norm.bias.value),
           attributes: [.int("axis", -1), .float("epsilon", norm.epsilon)])
    }

    /// GELU as textclf computes it: the exact form 0.5·x·(1 + erf(x/√2)) or the tanh
    /// approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    mutating func gelu(_ x: String, _ kind: GELUKind) -> String {
        let inner: String
        switch kind {
        case .erf:
            inner = op("Erf", op("Mul", x, scalar(Float(0.5.squareRoot()))))
        case .tanh:
            let cube = op("Mul", op("Mul", x, x), x)
            let sum = op("Add", x, op("Mul", cube, scalar(0.044715)))
            inner = op("Tanh", op("Mul", sum, scalar(Float((2 / Double.pi).squareRoot()))))
        }
        return op("Mul", op("Mul", x, scalar(0.5)), op("Add", inner, scalar(1)))
    }

    /// Multi-head scaled dot-product attention of projected q, k, v [B, T, heads·headSize]:
    /// softmax(q·kᵀ/√headSize) · v per head, padded keys (and with `causal`, later positions)
    /// never attended; padded query rows give 0, as textclf's attention kernel gives them.
    mutating func attention(query q: String, key k: String, value v: String, heads: Int, headSize: Int, causal: Bool) -> String {
        let split = int64s([0, 0, heads, headSize])
        func splitHeads(_ x: String, _ perm: [Int], _ graph: inout ONNXGraphBuilder) -> String {
            graph.op("Transpose", graph.op("Reshape", x, split), attributes: [.ints("perm", perm)])
        }
        let qh = splitHeads(q, [0, 2, 1, 3], &self)  // [B, H, T, D]
        let kt = splitHeads(k, [0, 2, 3, 1], &self)  // [B, H, D, T]
        let vh = splitHeads(v, [0, 2, 1, 3], &self)  // [B, H, T, D]
        let scores = op("Mul", op("MatMul", qh, kt), scalar(1 / Float(headSize).squareRoot()))
        let masked = op("Where", attentionMask(causal: causal), scalar(-Float.greatestFiniteMagnitude), scores)
        let probabilities = op("Softmax", masked, attributes: [.int("axis", -1)])
        let context = op("Transpose", op("MatMul", probabilities, vh), attributes: [.ints("perm", [0, 2, 1, 3])])
        let merged = op("Reshape", context, int64s([0, 0, heads * headSize]))
        return op("Mul", merged, realTokens3D())
    }
}

/// A model that cannot be written as an ONNX graph (an unsupported part); exit 2.
public struct InvalidExport: InputError {
    public let description: String
    public init(_ description: String) { self.description = description }
}
