import TensorEngine

/// One transformer block, pre-norm as in GPT-2:
///
///     x = x + dropout(attn(ln_1(x)))
///     x = x + dropout(mlp(ln_2(x)))
///
/// Dropout (`resid_pdrop`) acts only while training (with a tape), with the model's seeded
/// generator, so a run is reproducible.
public struct GPT2Block {
    public let ln1: LayerNorm
    public let attn: GPT2Attention
    public let ln2: LayerNorm
    public let mlp: GPT2MLP

    public init(ln1: LayerNorm, attn: GPT2Attention, ln2: LayerNorm, mlp: GPT2MLP) {
        self.ln1 = ln1
        self.attn = attn
        self.ln2 = ln2
        self.mlp = mlp
    }

    /// x: the residual stream [B·T, C] of `batch`.
    /// The block on hidden states [B·T, C]. With `outputRows` (one real position per text),
    /// only those rows are computed past c_attn: every position still gives its key and value,
    /// but attention, c_proj, ln_2 and the MLP run on B rows, and the result is [B, C]. A
    /// classifier pooling one token per text asks this of its last block (about a quarter of
    /// the block's work for texts of ~30 tokens, forward and backward).
    public func callAsFunction(_ x: Variable, batch: PaddedBatch, outputRows: [Int]? = nil,
                               dropout rates: (residual: Float, attention: Float), causal: Bool = true,
                               generator: inout DropoutGenerator, tape: Tape?) throws -> Variable {
        // The selected-rows kernel has no attention dropout: while it is on, compute every row.
        guard let outputRows, rates.attention == 0 || tape == nil else {
            let all = attn(ln1(x, tape: tape), batch: batch, dropout: rates.attention, causal: causal, generator: &generator, tape: tape)
            let out = residual(x, all, rate: rates.residual, generator: &generator, tape: tape)
            return try outputRows.map { try Ops.gatherRows(out, rows: $0, tape: tape) } ?? out
        }
        let qkv = attn.cAttn(ln1(x, tape: tape), tape: tape)
        let y = try Ops.attention(qkv: qkv, queryRows: outputRows, batch: batch, heads: attn.headCount, causal: causal, tape: tape)
        return residual(try Ops.gatherRows(x, rows: outputRows, tape: tape), attn.cProj(y, tape: tape), rate: rates.residual,
                        generator: &generator, tape: tape)
    }

    /// x + dropout(attended), then the MLP's residual on top.
    private func residual(_ x: Variable, _ attended: Variable, rate: Float, generator: inout DropoutGenerator, tape: Tape?) -> Variable {
        let x = Ops.add(x, Ops.dropout(attended, rate: rate, generator: &generator, tape: tape), tape: tape)
        let transformed = mlp(ln2(x, tape: tape), tape: tape)
        return Ops.add(x, Ops.dropout(transformed, rate: rate, generator: &generator, tape: tape), tape: tape)
    }

    public func callAsFunction(_ x: Variable, cache: KVCache) throws -> Variable {
        let x = Ops.add(x, try attn(ln1(x, tape: nil), cache: cache), tape: nil)
        return Ops.add(x, mlp(ln2(x, tape: nil), tape: nil), tape: nil)
    }

    /// In Hugging Face's order: ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj.
    public var parameters: [Parameter] { ln1.parameters + attn.parameters + ln2.parameters + mlp.parameters }
}
