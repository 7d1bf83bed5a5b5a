import TensorEngine

/// One layer's attention sub-block (Hugging Face's `BertAttention` = `BertSelfAttention` +
/// `BertSelfOutput`), post-LN:
///   context = MultiHead(query(x), key(x), value(x))   bidirectional; padded keys never seen
///   out = LayerNorm(x + dropout(dense(context)))
/// Query, key and value are separate nn.Linear projections ([out, in] weights), each read in
/// place by the attention kernel, so no head permutation is copied.
/// In training, dropout applies to the attention probabilities (`attention_probs_dropout_prob`)
/// and to the projected output (`hidden_dropout_prob`), as in Hugging Face's BERT.
public final class BERTSelfAttention {
    public let query: (weight: Parameter, bias: Parameter)
    public let key: (weight: Parameter, bias: Parameter)
    public let value: (weight: Parameter, bias: Parameter)
    public let outputDense: (weight: Parameter, bias: Parameter)
    public let outputLayerNorm: (weight: Parameter, bias: Parameter)

    init(prefix: String, _ parameter: (String) -> Parameter) {
        func pair(_ module: String) -> (Parameter, Parameter) {
            (parameter("\(prefix).\(module).weight"), parameter("\(prefix).\(module).bias"))
        }
        query = pair("self.query")
        key = pair("self.key")
        value = pair("self.value")
        outputDense = pair("output.dense")
        outputLayerNorm = pair("output.LayerNorm")
    }

    public var parameters: [Parameter] {
        [query, key, value, outputDense, outputLayerNorm].flatMap { [$0.weight, $0.bias] }
    }

    func forward(_ x: Variable, batch: PaddedBatch, config: BERTConfig, dropout: inout DropoutGenerator, tape: Tape?) -> Variable {
        let q = Ops.linear(x, weight: query.weight, bias: query.bias, layout: .outIn, tape: tape)
        let k = Ops.linear(x, weight: key.weight, bias: key.bias, layout: .outIn, tape: tape)
        let v = Ops.linear(x, weight: value.weight, bias: value.bias, layout: .outIn, tape: tape)
        let context = Ops.attention(query: q, key: k, value: v, batch: batch, heads: config.numAttentionHeads, causal: false,
                                    dropout: config.attentionProbsDropoutProb, generator: &dropout, tape: tape)
        var projected = Ops.linear(context, weight: outputDense.weight, bias: outputDense.bias, layout: .outIn, tape: tape)
        projected = Ops.dropout(projected, rate: config.hiddenDropoutProb, generator: &dropout, tape: tape)
        return Ops.layerNorm(Ops.add(projected, x, tape: tape), weight: outputLayerNorm.weight, bias: outputLayerNorm.bias,
                             eps: config.layerNormEps, tape: tape)
    }
}
