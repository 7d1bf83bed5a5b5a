import TensorEngine

/// One encoder layer (Hugging Face's `BertLayer`), post-LN:
///   h = BERTSelfAttention(x)                              (add & LayerNorm inside)
///   out = LayerNorm(h + dropout(output(GELU(intermediate(h)))))
public final class BERTLayer {
    public let attention: BERTSelfAttention
    public let intermediate: (weight: Parameter, bias: Parameter)
    public let output: (weight: Parameter, bias: Parameter)
    public let outputLayerNorm: (weight: Parameter, bias: Parameter)

    init(index: Int, _ parameter: (String) -> Parameter) {
        let prefix = "encoder.layer.\(index)"
        func pair(_ module: String) -> (Parameter, Parameter) {
            (parameter("\(prefix).\(module).weight"), parameter("\(prefix).\(module).bias"))
        }
        attention = BERTSelfAttention(prefix: prefix + ".attention", parameter)
        intermediate = pair("intermediate.dense")
        output = pair("output.dense")
        outputLayerNorm = pair("output.LayerNorm")
    }

    /// In checkpoint order.
    public var parameters: [Parameter] {
        attention.parameters + [intermediate, output, outputLayerNorm].flatMap { [$0.weight, $0.bias] }
    }

    func forward(_ x: Variable, batch: PaddedBatch, config: BERTConfig, dropout: inout DropoutGenerator, tape: Tape?) -> Variable {
        let h = attention.forward(x, batch: batch, config: config, dropout: &dropout, tape: tape)
        let inner = Ops.gelu(Ops.linear(h, weight: intermediate.weight, bias: intermediate.bias, layout: .outIn, tape: tape),
                             kind: config.hiddenAct, tape: tape)
        var out = Ops.linear(inner, weight: output.weight, bias: output.bias, layout: .outIn, tape: tape)
        out = Ops.dropout(out, rate: config.hiddenDropoutProb, generator: &dropout, tape: tape)
        return Ops.layerNorm(Ops.add(out, h, tape: tape), weight: outputLayerNorm.weight, bias: outputLayerNorm.bias,
                             eps: config.layerNormEps, tape: tape)
    }
}
