import TensorEngine

/// GPT-2's linear layer, Hugging Face's `Conv1D`: out = x · weight + bias with the weight
/// stored [in, out] (the transpose of `nn.Linear`), as both released layouts store it.
public struct GPT2Conv1D {
    /// [in, out]
    public let weight: Parameter
    /// [out]
    public let bias: Parameter

    public init(weight: Parameter, bias: Parameter) {
        self.weight = weight
        self.bias = bias
    }

    public func callAsFunction(_ x: Variable, tape: Tape?) -> Variable {
        Ops.linear(x, weight: weight, bias: bias, layout: .inOut, tape: tape)
    }

    public var parameters: [Parameter] { [weight, bias] }
}

/// LayerNorm over the channels, with GPT-2's gain (`weight`, OpenAI's `g`) and `bias` (`b`).
public struct GPT2LayerNorm {
    public let weight: Parameter
    public let bias: Parameter
    public let epsilon: Float

    public init(weight: Parameter, bias: Parameter, epsilon: Float) {
        self.weight = weight
        self.bias = bias
        self.epsilon = epsilon
    }

    public func callAsFunction(_ x: Variable, tape: Tape?) -> Variable {
        Ops.layerNorm(x, weight: weight, bias: bias, eps: epsilon, tape: tape)
    }

    public var parameters: [Parameter] { [weight, bias] }
}

/// Where a module finds its parameters by Hugging Face name (without `transformer.`) while a
/// model is assembled; the loaders and the random initialiser fill one of these.
struct GPT2ParameterTable {
    private let parameters: [String: Parameter]

    init(_ parameters: [String: Parameter]) { self.parameters = parameters }

    /// Present by construction: the table is built from `GPT2WeightNames.parameterNames`.
    subscript(_ name: String) -> Parameter {
        guard let parameter = parameters[name] else { preconditionFailure("GPT-2 parameter \(name) was not loaded") }
        return parameter
    }

    func conv1D(_ prefix: String) -> GPT2Conv1D {
        GPT2Conv1D(weight: self[prefix + ".weight"], bias: self[prefix + ".bias"])
    }

    func layerNorm(_ prefix: String, epsilon: Float) -> GPT2LayerNorm {
        GPT2LayerNorm(weight: self[prefix + ".weight"], bias: self[prefix + ".bias"], epsilon: epsilon)
    }
}
