// The BERT-shaped encoders as ONNX, one exporter per `BERTLayout` (BERT, RoBERTa, DistilBERT):
// word + position embeddings, plus token type 0's row where the layout has token types (textclf
// feeds one text), under a LayerNorm; then post-norm layers with bidirectional attention over the
// real tokens. No final norm. Positions are numbered as the layout numbers them. Its standalone
// directory has config.json (written from the model's config, in the layout's own keys) and the
// tokenizer's files.
import Backbones
import Foundation
import TensorEngine

struct BERTExport: ExportFamily {
    let layout: BERTLayout

    var family: String { layout.modelType }
    func exports(_ backbone: any Backbone) -> Bool { (backbone as? BERTModel)?.config.layout == layout }

    private func model(_ backbone: any Backbone) throws -> BERTModel {
        guard let model = backbone as? BERTModel, model.config.layout == layout else {
            throw InvalidExport("\(backbone.name) is not a \(layout.displayName)")
        }
        return model
    }

    func hiddenStates(_ backbone: any Backbone, into graph: inout ONNXGraphBuilder) throws -> String {
        let model = try model(backbone)
        let config = model.config
        let embeddings = model.embeddings
        func lookup(_ table: Embedding, _ ids: String, _ graph: inout ONNXGraphBuilder) -> String {
            graph.op("Gather", graph.weight(table.weight.name, table.weight.value), ids, attributes: [.int("axis", 0)])
        }
        var sum = graph.op("Add", lookup(embeddings.wordEmbeddings, ONNXGraphBuilder.inputIDs, &graph),
                           lookup(embeddings.positionEmbeddings, positionIDs(config, &graph), &graph))
        if let tokenTypes = embeddings.tokenTypeEmbeddings {
            sum = graph.op("Add", sum, lookup(tokenTypes, graph.int64s([0], shape: []), &graph))
        }
        var x = graph.layerNorm(sum, embeddings.layerNorm)
        for layer in model.layers {
            let attention = layer.attention
            let context = graph.attention(query: try graph.linear(x, attention.query), key: try graph.linear(x, attention.key),
                                          value: try graph.linear(x, attention.value), heads: config.numAttentionHeads,
                                          headSize: config.headDim, causal: false)
            let h = graph.layerNorm(graph.op("Add", try graph.linear(context, attention.outputDense), x), attention.outputLayerNorm)
            let inner = graph.gelu(try graph.linear(h, layer.intermediate), config.hiddenAct)
            x = graph.layerNorm(graph.op("Add", try graph.linear(inner, layer.output), h), layer.outputLayerNorm)
        }
        return x
    }

    /// The position ids `BERTEmbeddings.positionIDs` gives: 0, 1, …, T-1 ([T], the same for every
    /// text), or RoBERTa's ([B, T]): for a token that is not pad_token_id, pad_token_id + the number
    /// of such tokens up to and including it, and pad_token_id for a pad token, as transformers'
    /// `create_position_ids_from_input_ids` (a cumulative sum of `input_ids != pad`).
    private func positionIDs(_ config: BERTConfig, _ graph: inout ONNXGraphBuilder) -> String {
        switch layout.positions {
        case .fromZero:
            return graph.positions()
        case .afterPadding:
            let pad = graph.int64s([config.padTokenID], shape: [])
            let real = graph.op("Cast", graph.op("Not", graph.op("Equal", ONNXGraphBuilder.inputIDs, pad)),
                                attributes: [.int("to", Int(ONNXDataType.int64.rawValue))], hint: "not_pad")
            let counted = graph.op("CumSum", real, graph.int64s([1], shape: []))
            return graph.op("Add", graph.op("Mul", counted, real), pad, hint: "positions")
        }
    }

    /// BERT's config.json keys, spelled as the layout spells them (DistilBERT's `dim`, `n_layers`, …).
    func configJSON(_ backbone: any Backbone) throws -> [String: Any] {
        let config = try model(backbone).config
        var keys: [String: Any] = [
            "position_embedding_type": "absolute", "vocab_size": config.vocabSize, "hidden_size": config.hiddenSize,
            "num_hidden_layers": config.numHiddenLayers, "num_attention_heads": config.numAttentionHeads,
            "intermediate_size": config.intermediateSize, "max_position_embeddings": config.maxPositionEmbeddings,
            "layer_norm_eps": Double(config.layerNormEps), "hidden_act": config.hiddenAct == .erf ? "gelu" : "gelu_new",
            "hidden_dropout_prob": Double(config.hiddenDropoutProb),
            "attention_probs_dropout_prob": Double(config.attentionProbsDropoutProb), "pad_token_id": config.padTokenID]
        if layout.tokenTypeEmbeddings != nil { keys["type_vocab_size"] = config.typeVocabSize }
        var json = Dictionary(uniqueKeysWithValues: keys.map { (layout.configKeys[$0.key] ?? $0.key, $0.value) })
        json["model_type"] = layout.modelType
        return json
    }
}
