// BERT as ONNX: word + position + token-type embeddings (every token of type 0, as textclf
// feeds one text) under a LayerNorm, then post-norm layers with bidirectional attention over
// the real tokens. No final norm. Its standalone directory has config.json (written from the
// model's config) and the WordPiece tokenizer files.
import Backbones
import Foundation
import TensorEngine
import Tokenizers

struct BERTExport: ExportFamily {
    var family: String { "bert" }
    var tokenizerKind: String { "bert-wordpiece" }
    /// BERT's own layout only: RoBERTa numbers positions differently and DistilBERT has no
    /// token types, so their graphs are not this one.
    func exports(_ backbone: any Backbone) -> Bool { (backbone as? BERTModel)?.config.layout.modelType == "bert" }

    func hiddenStates(_ backbone: any Backbone, into graph: inout ONNXGraphBuilder) throws -> String {
        guard let model = backbone as? BERTModel else { throw InvalidExport("\(backbone.name) is not a BERT") }
        let config = model.config
        let embeddings = model.embeddings
        let gather = [ONNXAttribute.int("axis", 0)]
        let words = graph.op("Gather", graph.weight(embeddings.wordEmbeddings.weight.name, embeddings.wordEmbeddings.weight.value),
                             ONNXGraphBuilder.inputIDs, attributes: gather)
        let positions = graph.op("Gather", graph.weight(embeddings.positionEmbeddings.weight.name, embeddings.positionEmbeddings.weight.value),
                                 graph.positions(), attributes: gather)
        guard let tokenTypes = embeddings.tokenTypeEmbeddings else { throw InvalidExport("\(backbone.name) has no token-type embeddings") }
        let typeZero = graph.op("Gather", graph.weight(tokenTypes.weight.name, tokenTypes.weight.value),
                                graph.int64s([0], shape: []), attributes: gather)
        var x = graph.layerNorm(graph.op("Add", graph.op("Add", words, positions), typeZero, hint: "embeddings"), embeddings.layerNorm)
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

    func configJSON(_ backbone: any Backbone) throws -> [String: Any] {
        guard let model = backbone as? BERTModel else { throw InvalidExport("\(backbone.name) is not a BERT") }
        let config = model.config
        return ["model_type": "bert", "architectures": ["BertModel"], "position_embedding_type": "absolute",
                "vocab_size": config.vocabSize, "hidden_size": config.hiddenSize, "num_hidden_layers": config.numHiddenLayers,
                "num_attention_heads": config.numAttentionHeads, "intermediate_size": config.intermediateSize,
                "max_position_embeddings": config.maxPositionEmbeddings, "type_vocab_size": config.typeVocabSize,
                "layer_norm_eps": Double(config.layerNormEps), "hidden_act": config.hiddenAct == .erf ? "gelu" : "gelu_new",
                "hidden_dropout_prob": Double(config.hiddenDropoutProb),
                "attention_probs_dropout_prob": Double(config.attentionProbsDropoutProb), "pad_token_id": config.padTokenID]
    }

    /// The directory of the vocabulary file (vocab.txt or tokenizer.json) the tokenizer read.
    func tokenizerDirectory(_ backbone: any Backbone) throws -> URL {
        guard let tokenizer = backbone.tokenizer as? BertTokenizer else {
            throw InvalidExport("\(backbone.name)'s tokenizer is not BERT's WordPiece")
        }
        return URL(fileURLWithPath: tokenizer.vocabulary.source).deletingLastPathComponent()
    }
}
