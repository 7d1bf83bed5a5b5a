import TensorEngine

/// Causal multi-head self-attention, the first sublayer of a GPT-2 block (nanoGPT's
/// `CausalSelfAttention`, Hugging Face's `GPT2Attention`):
///
///     qkv = x · c_attn.weight + c_attn.bias          [B·T, 3C]: q | k | v, heads side by side
///     y   = softmax(q kᵀ / √headSize, causal) · v     per head, padding never attended
///     out = y · c_proj.weight + c_proj.bias           [B·T, C]
///
/// The heads are read in place from the packed qkv (no reshape or transpose is copied).
public struct GPT2Attention {
    /// Query, key and value projections in one matrix, [C, 3C].
    public let cAttn: Linear
    /// Output projection, [C, C].
    public let cProj: Linear
    public let headCount: Int

    public init(cAttn: Linear, cProj: Linear, headCount: Int) {
        self.cAttn = cAttn
        self.cProj = cProj
        self.headCount = headCount
    }

    /// x: [B·T, C] (already layer-normed) → [B·T, C]; `dropout` on the attention probabilities
    /// while training (attn_pdrop).
    /// `causal` false lets every position attend to every real position (no causal mask).
    public func callAsFunction(_ x: Variable, batch: PaddedBatch, dropout rate: Float = 0, causal: Bool = true,
                               generator: inout DropoutGenerator, tape: Tape?) -> Variable {
        let qkv = cAttn(x, tape: tape)
        let y = Ops.attention(qkv: qkv, batch: batch, heads: headCount, causal: causal, dropout: rate, generator: &generator, tape: tape)
        return cProj(y, tape: tape)
    }

    /// Generation: x holds the new positions only ([B·n, C]); their keys and values join
    /// `cache`, and they attend to every cached position. Inference only.
    public func callAsFunction(_ x: Variable, cache: KVCache) throws -> Variable {
        let qkv = cAttn(x, tape: nil)
        let y = try Ops.cachedAttention(qkv: qkv.value, cache: cache)
        return cProj(Variable(y), tape: nil)
    }

    public var parameters: [Parameter] { cAttn.parameters + cProj.parameters }
}
