import Common
import Foundation
import TensorEngine

/// BERT parameter names and shapes, Hugging Face's `BertModel` names without a model prefix:
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
/// Linear weights are nn.Linear's [out, in]. Checkpoints of task models (BertForSequenceClassification,
/// BertForPreTraining) put the same tensors under `bert.`; they also hold `pooler.*`, the
/// `embeddings.position_ids` buffer and task heads, none of which the encoder reads.
public enum BERTWeightNames {
    /// The modules of one encoder layer, with their [out, in] sizes (nil for a LayerNorm).
    static func layerModules(_ config: BERTConfig) -> [(module: String, linear: (out: Int, in: Int)?)] {
        let (h, i) = (config.hiddenSize, config.intermediateSize)
        return [
            ("attention.self.query", (h, h)), ("attention.self.key", (h, h)), ("attention.self.value", (h, h)),
            ("attention.output.dense", (h, h)), ("attention.output.LayerNorm", nil),
            ("intermediate.dense", (i, h)), ("output.dense", (h, i)), ("output.LayerNorm", nil),
        ]
    }

    /// Every encoder parameter with its shape, in model order.
    public static func parameterShapes(_ config: BERTConfig) -> [(name: String, shape: [Int])] {
        let h = config.hiddenSize
        var shapes: [(String, [Int])] = [
            ("embeddings.word_embeddings.weight", [config.vocabSize, h]),
            ("embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, h]),
            ("embeddings.token_type_embeddings.weight", [config.typeVocabSize, h]),
            ("embeddings.LayerNorm.weight", [h]), ("embeddings.LayerNorm.bias", [h]),
        ]
        for layer in 0..<config.numHiddenLayers {
            for (module, linear) in layerModules(config) {
                let name = "encoder.layer.\(layer).\(module)"
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

    /// The prefix the archive stores the encoder under: "" (a saved `BertModel`) or "bert."
    /// (a task model), decided by where the word embeddings are.
    public static func prefix(in archive: any TensorArchive) -> String {
        let probe = "embeddings.word_embeddings.weight"
        if archive.contains(probe) { return "" }
        if archive.contains("bert." + probe) { return "bert." }
        return ""  // neither: loading then reports the unprefixed names as missing
    }
}

/// Reads BERT weights into parameters.
public enum BERTWeights {
    /// Every encoder parameter of `config` from `archive` (with or without the `bert.` prefix),
    /// named without the prefix, in model order. Float32 tensors stay in the memory-mapped file
    /// (copied only on the first write, e.g. an optimiser step). A missing tensor or one of the
    /// wrong shape is a `TensorFileError` naming the tensor and both shapes.
    public static func load(_ archive: any TensorArchive, config: BERTConfig) throws -> [Parameter] {
        let prefix = BERTWeightNames.prefix(in: archive)
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
