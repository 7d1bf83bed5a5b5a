// Low-rank adaptation (Hu et al. 2021; Raschka's appendix E; `peft`'s `LoraLayer`): a frozen
// dense layer gains a trainable update of rank r,
//
//     out = linear(x) + (alpha / r) · (x · Aᵀ) · Bᵀ        A [r, in], B [out, r]
//
// A starts random (kaiming-uniform with a = √5, as `nn.Linear` and peft: U(−1/√in, 1/√in)), B at
// zero, so training starts from the pretrained model exactly. The update can be folded into the
// weight (`Linear.mergeAdapter`), after which the layer costs what it did before.
import Common
import TensorEngine

/// Which dense layers of a block get adapters.
public enum LinearRole: String, CaseIterable, Hashable, Sendable {
    /// The attention projections: GPT-2's c_attn and c_proj; BERT's query, key, value and the
    /// attention output dense.
    case attention
    /// The feed-forward layers: GPT-2's c_fc and c_proj; BERT's intermediate and output dense.
    case mlp
}

/// The LoRA update of one `Linear`: its two factors and the scale alpha / r.
public final class LoRAAdapter: LinearAdapter {
    /// [rank, in] (peft's `lora_A.weight`).
    public let a: Parameter
    /// [out, rank] (peft's `lora_B.weight`).
    public let b: Parameter
    public let rank: Int
    public let alpha: Double

    /// Factors for `linear`, named after its weight (`h.0.attn.c_attn.lora_A.weight`); A drawn
    /// from `seed`.
    public init(for linear: Linear, rank: Int, alpha: Double, seed: UInt64) {
        precondition(rank >= 1, "LoRA rank must be at least 1")
        let prefix = linear.weight.name.hasSuffix(".weight") ? String(linear.weight.name.dropLast(".weight".count)) : linear.weight.name
        let inFeatures = linear.inFeatures
        let bound = 1 / Float(inFeatures).squareRoot()
        var rng = SplitMix64(seed: seed)
        let initial = Tensor(zeros: [rank, inFeatures])
        let values = initial.mutablePointer
        for i in 0..<initial.count { values[i] = (2 * rng.nextUnitFloat() - 1) * bound }
        a = Parameter(name: prefix + ".lora_A.weight", value: initial)
        b = Parameter(name: prefix + ".lora_B.weight", value: Tensor(zeros: [linear.outFeatures, rank]))
        self.rank = rank
        self.alpha = alpha
    }

    public var scale: Float { Float(alpha / Double(rank)) }

    public func callAsFunction(_ x: Variable, tape: Tape?) -> Variable {
        let low = Ops.linear(x, weight: a, bias: nil, layout: .outIn, tape: tape)
        return Ops.scale(Ops.linear(low, weight: b, bias: nil, layout: .outIn, tape: tape), by: scale, tape: tape)
    }

    public var parameters: [Parameter] { [a, b] }

    /// The layer and its update as one op (`Ops.linearWithLowRank`): the same function as
    /// linear(x) + self(x), keeping x·Aᵀ rather than three [rows, out] tensors for the backward pass.
    public func output(of linear: Linear, _ x: Variable, tape: Tape?) -> Variable {
        Ops.linearWithLowRank(x, weight: linear.weight, bias: linear.bias, layout: linear.layout, a: a, b: b, scale: scale, tape: tape)
    }

    /// weight += scale · B·A, in the weight's layout ([out, in] gets B·A, [in, out] gets Aᵀ·Bᵀ).
    public func merge(into weight: Parameter, layout: WeightLayout) {
        let out = b.shape[0], inFeatures = a.shape[1]
        withExtendedLifetime((a, b)) {
            switch layout {
            case .outIn:  // [out, in] += s · B[out, r] · A[r, in]
                BLAS.sgemm(transposeA: false, transposeB: false, m: out, n: inFeatures, k: rank, alpha: scale,
                           a: b.value.pointer, lda: rank, b: a.value.pointer, ldb: inFeatures,
                           beta: 1, c: weight.value.mutablePointer, ldc: inFeatures)
            case .inOut:  // [in, out] += s · Aᵀ[in, r] · Bᵀ[r, out]
                BLAS.sgemm(transposeA: true, transposeB: true, m: inFeatures, n: out, k: rank, alpha: scale,
                           a: a.value.pointer, lda: inFeatures, b: b.value.pointer, ldb: rank,
                           beta: 1, c: weight.value.mutablePointer, ldc: out)
            }
        }
    }
}

extension Linear {
    /// Gives the layer a LoRA adapter of `rank` and `alpha` unless it has one of that rank and
    /// alpha already (which keeps its trained values). Returns the adapter.
    @discardableResult
    public func installLoRA(rank: Int, alpha: Double, seed: UInt64) -> LoRAAdapter {
        if let existing = adapter as? LoRAAdapter, existing.rank == rank, existing.alpha == alpha { return existing }
        let lora = LoRAAdapter(for: self, rank: rank, alpha: alpha, seed: seed)
        adapter = lora
        return lora
    }

    /// Folds the adapter into `weight` and removes it: the layer computes what it computed with
    /// the adapter, as one matmul. No-op without an adapter.
    public func mergeAdapter() {
        guard let adapter else { return }
        adapter.merge(into: weight, layout: layout)
        self.adapter = nil
    }
}
