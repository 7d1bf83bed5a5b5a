import TensorEngine

/// The feed-forward sublayer of a GPT-2 block: widen 4×, tanh GELU (`gelu_new`), project back.
///
///     out = gelu(x · c_fc.weight + c_fc.bias) · c_proj.weight + c_proj.bias
public struct GPT2MLP {
    /// [C, 4C]
    public let cFc: Linear
    /// [4C, C]
    public let cProj: Linear

    public init(cFc: Linear, cProj: Linear) {
        self.cFc = cFc
        self.cProj = cProj
    }

    public func callAsFunction(_ x: Variable, tape: Tape?) -> Variable {
        cProj(Ops.gelu(cFc(x, tape: tape), kind: .tanh, tape: tape), tape: tape)
    }

    public var parameters: [Parameter] { cFc.parameters + cProj.parameters }
}
