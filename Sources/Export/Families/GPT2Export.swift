// GPT-2 as ONNX: learned token and position embeddings, pre-norm blocks with causal attention
// (padding masked too), the tanh GELU, and the final LayerNorm. Its standalone directory has a
// Hugging Face config.json (written from the model's config: OpenAI checkpoints and random
// initialisations have none) and the BPE vocabulary files.
import Backbones

struct GPT2Export: ExportFamily {
    var family: String { "gpt2" }
    func exports(_ backbone: any Backbone) -> Bool { backbone is GPT2Model }

    func hiddenStates(_ backbone: any Backbone, into graph: inout ONNXGraphBuilder) throws -> String {
        guard let model = backbone as? GPT2Model else { throw InvalidExport("\(backbone.name) is not a GPT-2") }
        let gather = [ONNXAttribute.int("axis", 0)]
        let tokens = graph.op("Gather", graph.weight(model.wte.weight.name, model.wte.weight.value), ONNXGraphBuilder.inputIDs,
                              attributes: gather)
        let positions = graph.op("Gather", graph.weight(model.wpe.weight.name, model.wpe.weight.value), graph.positions(),
                                 attributes: gather)
        var x = graph.op("Add", tokens, positions, hint: "embeddings")
        for block in model.h {
            let qkv = try graph.linear(graph.layerNorm(x, block.ln1), block.attn.cAttn)
            let parts = graph.node("Split", [qkv], [.int("axis", -1)], outputs: 3, hint: "qkv")
            let attended = graph.attention(query: parts[0], key: parts[1], value: parts[2], heads: block.attn.headCount,
                                           headSize: model.config.headSize, causal: model.isCausal)
            x = graph.op("Add", x, try graph.linear(attended, block.attn.cProj), hint: "residual")
            let inner = graph.gelu(try graph.linear(graph.layerNorm(x, block.ln2), block.mlp.cFc), .tanh)
            x = graph.op("Add", x, try graph.linear(inner, block.mlp.cProj), hint: "residual")
        }
        return graph.layerNorm(x, model.lnF)
    }

    func configJSON(_ backbone: any Backbone) throws -> [String: Any] {
        guard let model = backbone as? GPT2Model else { throw InvalidExport("\(backbone.name) is not a GPT-2") }
        let config = model.config
        return ["model_type": "gpt2", "architectures": ["GPT2Model"], "activation_function": "gelu_new",
                "vocab_size": config.vocabSize, "n_positions": config.contextLength, "n_embd": config.embeddingSize,
                "n_layer": config.layerCount, "n_head": config.headCount, "n_inner": config.innerSize,
                "layer_norm_epsilon": Double(config.layerNormEpsilon), "embd_pdrop": Double(config.embeddingDropout),
                "resid_pdrop": Double(config.residualDropout), "attn_pdrop": Double(config.attentionDropout),
                "tie_word_embeddings": true, "bos_token_id": model.gpt2Tokenizer.endOfTextID,
                "eos_token_id": model.gpt2Tokenizer.endOfTextID]
    }
}
