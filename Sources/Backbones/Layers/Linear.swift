// The layer vocabulary every backbone family is written in: Linear, LayerNorm, Embedding, and
// the table a loader fills by Hugging Face name. Families differ in how they wire these and in
// their weight names, not in the layers, so a change to a layer (an adapter, another weight
// precision) reaches every family at once.
import TensorEngine

/// A dense layer: out = x·Wᵀ + b with the weight stored [out, in] (`nn.Linear`, `.outIn`), or
/// out = x·W + b with it stored [in, out] (GPT-2's `Conv1D`, `.inOut`), as the checkpoints
/// store them.
public final class Linear {
    public let weight: Parameter
    public let bias: Parameter?
    public let layout: WeightLayout
    /// Adds to the layer's output, on the same input, without touching `weight`: a low-rank
    /// adapter (LoRA) goes here, and can be merged back into the weight. nil: the plain layer.
    public var adapter: (any LinearAdapter)?

    public init(weight: Parameter, bias: Parameter?, layout: WeightLayout) {
        self.weight = weight
        self.bias = bias
        self.layout = layout
    }

    public var inFeatures: Int { layout == .inOut ? weight.shape[0] : weight.shape[1] }
    public var outFeatures: Int { layout == .inOut ? weight.shape[1] : weight.shape[0] }

    public func callAsFunction(_ x: Variable, tape: Tape?) -> Variable {
        guard let adapter else { return Ops.linear(x, weight: weight, bias: bias, layout: layout, tape: tape) }
        return adapter.output(of: self, x, tape: tape)
    }

    /// The weight and bias, then the adapter's parameters (checkpoint order).
    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) + (adapter?.parameters ?? []) }
}

/// What a `Linear` adds to its output for an input: out = linear(x) + adapter(x).
public protocol LinearAdapter: AnyObject {
    func callAsFunction(_ x: Variable, tape: Tape?) -> Variable
    var parameters: [Parameter] { get }
    /// Adds what the adapter adds to the output into `weight` (stored as `layout`), so that the
    /// plain layer computes linear(x) + adapter(x).
    func merge(into weight: Parameter, layout: WeightLayout)
    /// linear(x) + adapter(x) for `linear`, the layer this adapter is on. An adapter may fuse
    /// the two into one op (LoRA does, to keep less for the backward pass).
    func output(of linear: Linear, _ x: Variable, tape: Tape?) -> Variable
}

extension LinearAdapter {
    public func output(of linear: Linear, _ x: Variable, tape: Tape?) -> Variable {
        Ops.add(Ops.linear(x, weight: linear.weight, bias: linear.bias, layout: linear.layout, tape: tape), self(x, tape: tape), tape: tape)
    }
}

/// LayerNorm over the channels, with a gain (`weight`; OpenAI's `g`, old BERT's `gamma`) and a
/// `bias` (`b`, `beta`).
public struct LayerNorm {
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

/// A lookup table [entries, width]: token, position or token-type embeddings. Families sum
/// their tables in one fused op (`Ops.embedding`, `Ops.embeddingSum`), so the layer holds the
/// table and says what it is.
public struct Embedding {
    public let weight: Parameter

    public init(weight: Parameter) { self.weight = weight }

    public var count: Int { weight.shape[0] }
    public var width: Int { weight.shape[1] }

    /// One lookup of `ids` in this table, for `Ops.embeddingSum`.
    public func lookup(_ ids: [Int32]) -> EmbeddingLookup { EmbeddingLookup(table: weight, ids: ids) }
}

/// Where a family's layers find their parameters by Hugging Face name (without a model prefix
/// such as `transformer.` or `bert.`) while a model is assembled; a loader or a random
/// initialiser fills one, after checking every name and shape.
struct ParameterTable {
    private let parameters: [String: Parameter]

    init(_ parameters: [String: Parameter]) { self.parameters = parameters }

    /// Present by construction: the callers check the family's names before building the table.
    subscript(_ name: String) -> Parameter {
        guard let parameter = parameters[name] else { preconditionFailure("parameter \(name) was not loaded") }
        return parameter
    }

    func linear(_ prefix: String, layout: WeightLayout, bias: Bool = true) -> Linear {
        Linear(weight: self[prefix + ".weight"], bias: bias ? self[prefix + ".bias"] : nil, layout: layout)
    }

    func layerNorm(_ prefix: String, epsilon: Float) -> LayerNorm {
        LayerNorm(weight: self[prefix + ".weight"], bias: self[prefix + ".bias"], epsilon: epsilon)
    }

    func embedding(_ name: String) -> Embedding { Embedding(weight: self[name]) }
}
