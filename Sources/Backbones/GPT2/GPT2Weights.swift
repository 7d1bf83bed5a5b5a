import Common
import Foundation
import TensorEngine

/// The two layouts released GPT-2 weights come in.
public enum GPT2WeightLayout: String, Sendable {
    /// `config.json` + `model.safetensors` (names `transformer.h.0.attn.c_attn.weight` or
    /// without the prefix), as `save_pretrained` writes them.
    case huggingFace = "Hugging Face"
    /// `hparams.json` + the TensorFlow checkpoint `model.ckpt.*` (names `model/h0/attn/c_attn/w`).
    case openAI = "OpenAI"
}

/// Reads GPT-2 parameters from a weight file, checking every name and shape against the config.
///
/// No weight is copied: each parameter borrows the memory-mapped file (float32 data; other
/// dtypes are converted once), and the Tensor's copy-on-write gives a trained parameter its
/// own memory at the first update. The file stays mapped as long as any parameter uses it.
public enum GPT2Weights {
    /// Every parameter of a GPT-2 of `config`, by Hugging Face name (without `transformer.`).
    ///
    /// Throws `TensorFileError` naming the tensor (as the file spells it) when one is missing,
    /// has another shape than the config implies (expected and actual shapes in the message),
    /// a type that cannot be read as float32, or is a GPT-2 tensor the config has no room for
    /// (e.g. `h.12.*` in a file for 12 blocks). Tensors that are not GPT-2 parameters (the
    /// tied `lm_head.weight`, old causal-mask buffers, a task head) are ignored.
    public static func parameters(from archive: any TensorArchive, layout: GPT2WeightLayout,
                                  config: GPT2Config) throws -> [String: Parameter] {
        let expected = GPT2WeightNames.parameterShapes(vocabSize: config.vocabSize, contextLength: config.contextLength,
                                                       embeddingSize: config.embeddingSize, layerCount: config.layerCount,
                                                       innerSize: config.innerSize)
        let expectedShapes = Dictionary(uniqueKeysWithValues: expected.map { ($0.name, $0.shape) })

        // Canonical name → the file's name for it.
        var fileNames: [String: String] = [:]
        for fileName in archive.names {
            let canonical: String?
            switch layout {
            case .huggingFace: canonical = GPT2WeightNames.canonical(huggingFace: fileName)
            case .openAI: canonical = GPT2WeightNames.huggingFace(openAI: fileName)
            }
            guard let canonical, looksLikeGPT2Parameter(canonical) else { continue }
            guard expectedShapes[canonical] != nil else {
                throw TensorFileError(archive.path, tensor: fileName,
                                      "is not a parameter of the configured model (\(config)); is the config for these weights?")
            }
            if let other = fileNames[canonical] {
                throw TensorFileError(archive.path, tensor: fileName, "is the same parameter as '\(other)'; the file holds it twice")
            }
            fileNames[canonical] = fileName
        }

        // Hugging Face files spell missing names the way the others are spelt.
        let prefix = layout == .huggingFace && fileNames.values.contains(where: { $0.hasPrefix("transformer.") }) ? "transformer." : ""
        var parameters: [String: Parameter] = [:]
        for (name, shape) in expected {
            let fileShape = layout == .openAI && GPT2WeightNames.isConv1DWeight(huggingFace: name) ? [1] + shape : shape
            guard let fileName = fileNames[name] else {
                let spelled = layout == .openAI ? (GPT2WeightNames.openAI(huggingFace: name) ?? name) : prefix + name
                throw TensorFileError(archive.path, tensor: spelled, "is missing (expected shape \(fileShape) for \(config))")
            }
            let stored = try archive.floats(fileName, shape: fileShape)
            let tensor = try Tensor(borrowing: stored.floats, shape: shape, owner: stored.owner, name: fileName)
            parameters[name] = Parameter(name: name, value: tensor)
        }
        return parameters
    }

    /// Names that belong to a GPT-2 body (embeddings, blocks, final norm) as opposed to heads.
    private static func looksLikeGPT2Parameter(_ name: String) -> Bool {
        name.hasPrefix("h.") || name.hasPrefix("wte.") || name.hasPrefix("wpe.") || name.hasPrefix("ln_f.")
    }
}
