import Common
import TensorEngine

/// logits = pooled · Wᵀ + b, with W [N, hidden] and b [N] in torch `nn.Linear` layout, named
/// `head.weight` and `head.bias`.
public final class LinearHead: ClassificationHead {
    public let weight: Parameter
    public let bias: Parameter

    /// Initialised like `nn.Linear`: weight and bias uniform in ±1/√hidden (seeded).
    public init(inputSize: Int, classCount: Int, seed: UInt64) throws {
        guard inputSize >= 1, classCount >= 2 else {
            throw InvalidInput("a linear head needs an input size ≥ 1 and at least 2 classes, got \(inputSize) → \(classCount)")
        }
        var rng = SplitMix64(seed: seed)
        weight = Parameter(name: "head.weight", value: HeadInit.uniform([classCount, inputSize], fanIn: inputSize, &rng))
        bias = Parameter(name: "head.bias", value: HeadInit.uniform([classCount], fanIn: inputSize, &rng))
    }

    public var spec: HeadSpec { .linear }
    public var inputSize: Int { weight.shape[1] }
    public var classCount: Int { weight.shape[0] }
    public var parameters: [Parameter] { [weight, bias] }
    public var denseWeights: [(weight: Parameter, layout: WeightLayout)] { [(weight, .outIn)] }

    public func forward(_ pooled: Variable, tape: Tape?) throws -> Variable {
        try HeadInit.checkInput(pooled, inputSize)
        return Ops.linear(pooled, weight: weight, bias: bias, layout: .outIn, tape: tape)
    }
}

/// pooled → dense (hidden → hidden') → activation → out_proj (hidden' → N), both `nn.Linear`
/// layout: `head.dense.weight` [hidden', hidden], `head.out_proj.weight` [N, hidden'] (+ biases),
/// as RoBERTa's classification head names them.
public final class MLPHead: ClassificationHead {
    public let dense: (weight: Parameter, bias: Parameter)
    public let outProjection: (weight: Parameter, bias: Parameter)
    public let activation: HeadActivation

    public init(inputSize: Int, hiddenSize: Int, classCount: Int, activation: HeadActivation = .gelu, seed: UInt64) throws {
        guard inputSize >= 1, hiddenSize >= 1, classCount >= 2 else {
            throw InvalidInput("an MLP head needs sizes ≥ 1 and at least 2 classes, got \(inputSize) → \(hiddenSize) → \(classCount)")
        }
        var rng = SplitMix64(seed: seed)
        dense = (Parameter(name: "head.dense.weight", value: HeadInit.uniform([hiddenSize, inputSize], fanIn: inputSize, &rng)),
                 Parameter(name: "head.dense.bias", value: HeadInit.uniform([hiddenSize], fanIn: inputSize, &rng)))
        outProjection = (Parameter(name: "head.out_proj.weight", value: HeadInit.uniform([classCount, hiddenSize], fanIn: hiddenSize, &rng)),
                         Parameter(name: "head.out_proj.bias", value: HeadInit.uniform([classCount], fanIn: hiddenSize, &rng)))
        self.activation = activation
    }

    public var spec: HeadSpec { .mlp(hiddenSize: dense.weight.shape[0], activation: activation) }
    public var inputSize: Int { dense.weight.shape[1] }
    public var classCount: Int { outProjection.weight.shape[0] }
    public var parameters: [Parameter] { [dense.weight, dense.bias, outProjection.weight, outProjection.bias] }
    public var denseWeights: [(weight: Parameter, layout: WeightLayout)] { [(dense.weight, .outIn), (outProjection.weight, .outIn)] }

    public func forward(_ pooled: Variable, tape: Tape?) throws -> Variable {
        try HeadInit.checkInput(pooled, inputSize)
        var x = Ops.linear(pooled, weight: dense.weight, bias: dense.bias, layout: .outIn, tape: tape)
        switch activation {
        case .gelu: x = Ops.gelu(x, kind: .tanh, tape: tape)
        case .tanh: x = Ops.tanh(x, tape: tape)
        }
        return Ops.linear(x, weight: outProjection.weight, bias: outProjection.bias, layout: .outIn, tape: tape)
    }
}

enum HeadInit {
    /// torch `nn.Linear`'s default (kaiming_uniform with a = √5, and its bias rule): U(±1/√fanIn).
    static func uniform(_ shape: [Int], fanIn: Int, _ rng: inout SplitMix64) -> Tensor {
        let bound = 1 / Float(fanIn).squareRoot()
        let count = shape.reduce(1, *)
        let values = (0..<count).map { _ in (rng.nextUnitFloat() * 2 - 1) * bound }
        // The count matches the shape by construction.
        return (try? Tensor(shape: shape, values: values)) ?? Tensor(zeros: shape)
    }

    static func checkInput(_ pooled: Variable, _ inputSize: Int) throws {
        guard pooled.shape.count == 2, pooled.shape[1] == inputSize else {
            throw TensorShapeError("head: pooled input has shape \(pooled.shape), expected [batch, \(inputSize)]")
        }
    }
}
