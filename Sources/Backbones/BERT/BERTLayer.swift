import TensorEngine

/// One encoder layer (Hugging Face's `BertLayer`; DistilBERT's `TransformerBlock`), post-LN:
///   h = BERTSelfAttention(x)                              (add & LayerNorm inside)
///   out = LayerNorm(h + dropout(output(GELU(intermediate(h)))))
public final class BERTLayer {
    public let attention: BERTSelfAttention
    public let intermediate: Linear
    public let output: Linear
    public let outputLayerNorm: LayerNorm

    init(index: Int, _ table: ParameterTable, layout: BERTLayout, epsilon: Float) {
        let prefix = "\(layout.layerPrefix).\(index)."
        attention = BERTSelfAttention(prefix: prefix, table, modules: layout.modules, epsilon: epsilon)
        intermediate = table.linear(prefix + layout.modules.intermediate, layout: .outIn)
        output = table.linear(prefix + layout.modules.output, layout: .outIn)
        outputLayerNorm = table.layerNorm(prefix + layout.modules.outputLayerNorm, epsilon: epsilon)
    }

    /// In checkpoint order.
    public var parameters: [Parameter] {
        attention.parameters + intermediate.parameters + output.parameters + outputLayerNorm.parameters
    }

    func forward(_ x: Variable, batch: PaddedBatch, config: BERTConfig, dropout: inout DropoutGenerator, tape: Tape?) -> Variable {
        let h = attention.forward(x, batch: batch, config: config, dropout: &dropout, tape: tape)
        let inner = Ops.gelu(intermediate(h, tape: tape), kind: config.hiddenAct, tape: tape)
        let out = Ops.dropout(output(inner, tape: tape), rate: config.hiddenDropoutProb, generator: &dropout, tape: tape)
        return outputLayerNorm(Ops.add(out, h, tape: tape), tape: tape)
    }
}
