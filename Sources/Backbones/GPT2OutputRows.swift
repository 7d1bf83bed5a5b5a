// GPT-2's fast `block(_:_:batch:outputRows:tape:)` (see `Backbone`): for the rows a classifier
// pools, the last block needs ln_1 and c_attn on every position (keys and values), but the
// attention, c_proj, ln_2 and the MLP only on one row per text — about a quarter of the block's
// work for texts of ~30 tokens, forward and backward.
//
// Written by the training helper against GPT-2's public pieces (GPT2Block, GPT2Attention, ...),
// kept outside GPT2/ (that directory belongs to the GPT-2 work); it belongs next to
// GPT2Model.block and can move there as it is.
import DataIO
import TensorEngine

extension GPT2Model {
    public func block(_ index: Int, _ hidden: Variable, batch: PaddedBatch, outputRows: [Int], tape: Tape?) throws -> Variable {
        guard h.indices.contains(index) else {
            throw InvalidInput("\(name) has blocks 0..<\(h.count), not block \(index)")
        }
        guard hidden.shape == [batch.rowCount, config.embeddingSize] else {
            throw TensorShapeError("\(name): hidden states have shape \(hidden.shape), expected [\(batch.rowCount), \(config.embeddingSize)]")
        }
        let block = h[index]
        let qkv = block.attn.cAttn(block.ln1(hidden, tape: tape), tape: tape)
        let y = try Ops.attention(qkv: qkv, queryRows: outputRows, batch: batch, heads: block.attn.headCount, causal: true, tape: tape)
        let attended = block.attn.cProj(y, tape: tape)
        let rate = config.residualDropout
        let x = Ops.add(try Ops.gatherRows(hidden, rows: outputRows, tape: tape),
                        Ops.dropout(attended, rate: rate, generator: &dropoutGenerator, tape: tape), tape: tape)
        let transformed = block.mlp(block.ln2(x, tape: tape), tape: tape)
        return Ops.add(x, Ops.dropout(transformed, rate: rate, generator: &dropoutGenerator, tape: tape), tape: tape)
    }
}
