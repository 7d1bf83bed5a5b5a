import Common
import Foundation
import TensorEngine

/// BERT-family parameter names and shapes, Hugging Face's names without a model prefix. For
/// `BertModel` (and `RobertaModel`, whose names are the same):
///
///     embeddings.word_embeddings.weight [vocab, hidden]
///     embeddings.position_embeddings.weight [max_positions, hidden]
///     embeddings.token_type_embeddings.weight [type_vocab, hidden]
///     embeddings.LayerNorm.weight|bias [hidden]
///     encoder.layer.{i}.attention.self.query|key|value.weight [hidden, hidden]  .bias [hidden]
///     encoder.layer.{i}.attention.output.dense.weight [hidden, hidden]  .bias [hidden]
///     encoder.layer.{i}.attention.output.LayerNorm.weight|bias [hidden]
///     encoder.layer.{i}.intermediate.dense.weight [intermediate, hidden]  .bias [intermediate]
///     encoder.layer.{i}.output.dense.weight [hidden, intermediate]  .bias [hidden]
///     encoder.layer.{i}.output.LayerNorm.weight|bias [hidden]
///
/// and for `DistilBertModel` the same tensors under `BERTLayout.distilBERT`'s names
/// (`transformer.layer.{i}.attention.q_lin`, ..., no token-type table). Linear weights are
/// nn.Linear's [out, in]. Checkpoints of task models (BertForSequenceClassification, ...) put the
/// same tensors under the layout's `taskModelPrefix` (`bert.`, `roberta.`, `distilbert.`); they
/// also hold `pooler.*`, the `embeddings.position_ids` buffer and task heads, none of which the
/// encoder reads.
public enum BERTWeightNames {
    /// The modules of one encoder layer, with their [out, in] sizes (nil for a LayerNorm).
    static func layerModules(_ config: BERTConfig) -> [(module: String, linear: (out: Int, in: Int)?)] {
        let (h, i, m) = (config.hiddenSize, config.intermediateSize, config.layout.modules)
        return [
            (m.query, (h, h)), (m.key, (h, h)), (m.value, (h, h)), (m.attentionOutput, (h, h)), (m.attentionLayerNorm, nil),
            (m.intermediate, (i, h)), (m.output, (h, i)), (m.outputLayerNorm, nil),
        ]
    }

    /// Every encoder parameter with its shape, in model order.
    public static func parameterShapes(_ config: BERTConfig) -> [(name: String, shape: [Int])] {
        let (h, layout) = (config.hiddenSize, config.layout)
        var shapes: [(String, [Int])] = [(layout.wordEmbeddings, [config.vocabSize, h]),
                                         (layout.positionEmbeddings, [config.maxPositionEmbeddings, h])]
        if let tokenTypes = layout.tokenTypeEmbeddings { shapes.append((tokenTypes, [config.typeVocabSize, h])) }
        shapes += [(layout.embeddingsLayerNorm + ".weight", [h]), (layout.embeddingsLayerNorm + ".bias", [h])]
        for layer in 0..<config.numHiddenLayers {
            for (module, linear) in layerModules(config) {
                let name = "\(layout.layerPrefix).\(layer).\(module)"
                if let linear {
                    shapes.append((name + ".weight", [linear.out, linear.in]))
                    shapes.append((name + ".bias", [linear.out]))
                } else {
                    shapes.append((name + ".weight", [h]))
                    shapes.append((name + ".bias", [h]))
                }
            }
        }
        return shapes
    }

    /// The prefix the archive stores the encoder under: "" (a saved base model) or the layout's
    /// task-model prefix, decided by where the word embeddings are.
    public static func prefix(in archive: any TensorArchive, layout: BERTLayout = .bert) -> String {
        let probe = layout.wordEmbeddings
        if archive.contains(probe) { return "" }
        if archive.contains(layout.taskModelPrefix + probe) { return layout.taskModelPrefix }
        return ""  // neither: loading then reports the unprefixed names as missing
    }
}

/// Reads BERT weights into parameters.
public enum BERTWeights {
    /// Every encoder parameter of `config` from `archive` (with or without the task-model prefix),
    /// named without the prefix, in model order. Float32 tensors stay in the memory-mapped file
    /// (copied only on the first write, e.g. an optimiser step). A missing tensor or one of the
    /// wrong shape is a `TensorFileError` naming the tensor and both shapes.
    public static func load(_ archive: any TensorArchive, config: BERTConfig) throws -> [Parameter] {
        let prefix = BERTWeightNames.prefix(in: archive, layout: config.layout)
        return try BERTWeightNames.parameterShapes(config).map { name, shape in
            let stored = prefix + name
            guard archive.contains(stored) else {
                throw TensorFileError(archive.path, tensor: stored, "is missing (expected shape \(shape))")
            }
            let tensor = try archive.floats(stored, shape: shape)
            return Parameter(name: name, value: try Tensor(borrowing: tensor.floats, shape: shape, owner: tensor.owner, name: stored))
        }
    }
}
