// The classification heads as ONNX nodes: pooled [B, hidden] to logits [B, labels]. Gemm reads
// the weights in nn.Linear's [out, in] layout as they are (transB).
import Heads
import TensorEngine

extension ONNXGraphBuilder {
    mutating func head(_ pooled: String, _ head: any ClassificationHead) throws -> String {
        switch head {
        case let linear as LinearHead:
            return dense(pooled, linear.weight, linear.bias, hint: Self.logits)
        case let mlp as MLPHead:
            let hidden = dense(pooled, mlp.dense.weight, mlp.dense.bias, hint: "head_hidden")
            let activated = switch mlp.activation {
            case .gelu: gelu(hidden, .tanh)
            case .tanh: op("Tanh", hidden)
            }
            return dense(activated, mlp.outProjection.weight, mlp.outProjection.bias, hint: Self.logits)
        default:
            throw InvalidExport("head kind \"\(head.spec.kind)\" has no ONNX form here (linear and mlp do)")
        }
    }

    private mutating func dense(_ x: String, _ weight: Parameter, _ bias: Parameter, hint: String) -> String {
        op("Gemm", x, self.weight(weight.name, weight.value), self.weight(bias.name, bias.value), attributes: [.int("transB", 1)], hint: hint)
    }
}
