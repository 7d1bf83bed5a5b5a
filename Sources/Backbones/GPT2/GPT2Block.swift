import TensorEngine

/// One transformer block, pre-norm as in GPT-2:
///
///     x = x + dropout(attn(ln_1(x)))
///     x = x + dropout(mlp(ln_2(x)))
///
/// Dropout (`resid_pdrop`) acts only while training (with a tape), with the model's seeded
/// generator, so a run is reproducible.
public struct GPT2Block {
    public let ln1: GPT2LayerNorm
    public let attn: GPT2Attention
    public let ln2: GPT2LayerNorm
    public let mlp: GPT2MLP

    public init(ln1: GPT2LayerNorm, attn: GPT2Attention, ln2: GPT2LayerNorm, mlp: GPT2MLP) {
        self.ln1 = ln1
        self.attn = attn
        self.ln2 = ln2
        self.mlp = mlp
    }

    /// x: the residual stream [B·T, C] of `batch`.
    public func callAsFunction(_ x: Variable, batch: PaddedBatch, dropout rates: (residual: Float, attention: Float),
                               generator: inout DropoutGenerator, tape: Tape?) -> Variable {
        let attended = attn(ln1(x, tape: tape), batch: batch, dropout: rates.attention, generator: &generator, tape: tape)
        let x = Ops.add(x, Ops.dropout(attended, rate: rates.residual, generator: &generator, tape: tape), tape: tape)
        let transformed = mlp(ln2(x, tape: tape), tape: tape)
        return Ops.add(x, Ops.dropout(transformed, rate: rates.residual, generator: &generator, tape: tape), tape: tape)
    }

    /// Generation step: x holds only the new positions; `cache` is this block's KV cache.
    public func callAsFunction(_ x: Variable, cache: KVCache) throws -> Variable {
        let x = Ops.add(x, try attn(ln1(x, tape: nil), cache: cache), tape: nil)
        return Ops.add(x, mlp(ln2(x, tape: nil), tape: nil), tape: nil)
    }

    /// In Hugging Face's order: ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj.
    public var parameters: [Parameter] { ln1.parameters + attn.parameters + ln2.parameters + mlp.parameters }
}
