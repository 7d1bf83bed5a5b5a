import TensorEngine

/// One layer's attention sub-block (Hugging Face's `BertAttention` = `BertSelfAttention` +
/// `BertSelfOutput`), post-LN:
///   context = MultiHead(query(x), key(x), value(x))   bidirectional; padded keys never seen
///   out = LayerNorm(x + dropout(dense(context)))
/// Query, key and value are separate nn.Linear projections ([out, in] weights), each read in
/// place by the attention kernel, so no head permutation is copied.
/// In training, dropout applies to the attention probabilities (`attention_probs_dropout_prob`)
/// and to the projected output (`hidden_dropout_prob`), as in Hugging Face's BERT; DistilBERT
/// has no dropout on the projected output (`BERTLayout.attentionOutputDropout`).
public final class BERTSelfAttention {
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let outputDense: Linear
    public let outputLayerNorm: LayerNorm

    /// `prefix` is the layer's ("encoder.layer.0.").
    init(prefix: String, _ table: ParameterTable, modules: BERTLayout.Modules, epsilon: Float) {
        query = table.linear(prefix + modules.query, layout: .outIn)
        key = table.linear(prefix + modules.key, layout: .outIn)
        value = table.linear(prefix + modules.value, layout: .outIn)
        outputDense = table.linear(prefix + modules.attentionOutput, layout: .outIn)
        outputLayerNorm = table.layerNorm(prefix + modules.attentionLayerNorm, epsilon: epsilon)
    }

    public var parameters: [Parameter] {
        query.parameters + key.parameters + value.parameters + outputDense.parameters + outputLayerNorm.parameters
    }

    func forward(_ x: Variable, batch: PaddedBatch, config: BERTConfig, dropout: inout DropoutGenerator, tape: Tape?) -> Variable {
        let q = query(x, tape: tape), k = key(x, tape: tape), v = value(x, tape: tape)
        let context = Ops.attention(query: q, key: k, value: v, batch: batch, heads: config.numAttentionHeads, causal: false,
                                    dropout: config.attentionProbsDropoutProb, generator: &dropout, tape: tape)
        let rate = config.layout.attentionOutputDropout ? config.hiddenDropoutProb : 0
        let projected = Ops.dropout(outputDense(context, tape: tape), rate: rate, generator: &dropout, tape: tape)
        return outputLayerNorm(Ops.add(projected, x, tape: tape), tape: tape)
    }
}
