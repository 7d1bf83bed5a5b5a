import Common
import Foundation
import Store
import TensorEngine
import Tokenizers

// Finding GPT-2 weights: by model name through the Store, or in a directory in either layout.

extension GPT2WeightLayout {
    /// The files a model directory of this layout must hold (vocabulary files aside).
    public var requiredFiles: [String] {
        switch self {
        case .huggingFace: ["config.json", "model.safetensors"]
        case .openAI: ["hparams.json", "model.ckpt.index", "model.ckpt.data-00000-of-00001"]
        }
    }

    /// The layout of the model files in `directory`, if it holds one.
    public static func detect(in directory: URL) -> GPT2WeightLayout? {
        let fm = FileManager.default
        func has(_ file: String) -> Bool { fm.fileExists(atPath: directory.appendingPathComponent(file).path) }
        if has("config.json") && has("model.safetensors") { return .huggingFace }
        if has("hparams.json") && (has("model.ckpt.index") || has("checkpoint")) { return .openAI }
        return nil
    }
}

/// No copy of a named model's weights could be had. One line (the first layout's missing file,
/// what each place said, the fix); `debugDescription` lists every place the Store tried for
/// each layout (Hugging Face's entry, then OpenAI's).
public struct GPT2WeightsNotFound: Error, CustomStringConvertible, CustomDebugStringConvertible {
    public let name: String
    public let failures: [ResolutionError]

    public var description: String {
        guard let first = failures.first else { return "cannot find the weights of GPT-2 '\(name)'" }
        return "cannot find the weights of GPT-2 '\(name)' in any layout (\(first.ref) \(first.file): \(first.outcomes)); fix: \(first.fix)"
    }

    public var debugDescription: String {
        (["cannot find the weights of GPT-2 '\(name)' in any layout:"] + failures.map(\.debugDescription)).joined(separator: "\n")
    }
}

extension GPT2Model {
    /// `model` names a directory if one exists at that path, else a model for the Store
    /// (see `pretrained`). What the CLI's `--model` accepts.
    public static func load(_ model: String, store: Store? = nil, dropout: Float? = 0) throws -> GPT2Model {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory), isDirectory.boolValue {
            return try load(directory: URL(fileURLWithPath: model, isDirectory: true), store: store, dropout: dropout)
        }
        if model.contains("/") { throw InvalidInput("\(model): no such model directory") }
        return try pretrained(model, store: store, dropout: dropout)
    }

    /// A released GPT-2 by name (`gpt2`, `gpt2-medium`, `gpt2-large`, `gpt2-xl`, or OpenAI's
    /// `124M`, `355M`, `774M`, `1558M`), or any model entry of the Store's manifest in one of
    /// the two layouts. Hugging Face's files are tried first, then OpenAI's checkpoint; each
    /// from the cache, a mirror, or a verified download (see `Store.resolveDirectory`).
    ///
    ///     let model = try GPT2Model.pretrained("gpt2")
    ///
    /// - Parameter dropout: the training-time dropout on embeddings and residual branches; 0 by
    ///   default, as in fine-tuning recipes; nil keeps `embd_pdrop` / `resid_pdrop` of config.json.
    /// - Throws: `GPT2WeightsNotFound` listing every place tried when no layout could be had;
    ///   `UnknownEntryError` for a name that is neither a GPT-2 size nor in the manifest.
    public static func pretrained(_ name: String = "gpt2", store: Store? = nil, dropout: Float? = 0) throws -> GPT2Model {
        let store = try store ?? Store()
        let entries = GPT2ModelName(name).map { [$0.huggingFace, $0.openAI] } ?? [name]
        var failures: [ResolutionError] = []
        var known = false
        for entryName in entries {
            let ref = EntryRef.model(entryName)
            guard let entry = store.manifest.entry(ref) else { continue }
            known = true
            let listed = Set(entry.files.map(\.name))
            guard let layout = [GPT2WeightLayout.huggingFace, .openAI].first(where: { listed.isSuperset(of: $0.requiredFiles) }) else {
                continue
            }
            do {
                let directory = try store.resolveDirectory(ref, files: layout.requiredFiles)
                let tokenizer = try GPT2Tokenizer.pretrained(entryName, store: store)
                return try load(directory: directory, layout: layout, name: name, tokenizer: tokenizer, dropout: dropout)
            } catch let failure as ResolutionError {
                failures.append(failure)
            }
        }
        if !known { _ = try store.manifest.require(.model(name)) }  // throws, listing the known names
        guard !failures.isEmpty else {
            throw UnknownEntryError(description: "model '\(name)' lists no GPT-2 weight files "
                                    + "(\(GPT2WeightLayout.huggingFace.requiredFiles.joined(separator: " + ")) or "
                                    + "\(GPT2WeightLayout.openAI.requiredFiles.joined(separator: " + ")))")
        }
        throw GPT2WeightsNotFound(name: name, failures: failures)
    }

    /// A GPT-2 from a directory in either layout (detected):
    /// Hugging Face — `config.json`, `model.safetensors`; OpenAI — `hparams.json`, `model.ckpt.*`.
    /// The vocabulary comes from `tokenizer`, else from the directory (encoder.json + vocab.bpe or
    /// vocab.json + merges.txt), else from the Store's `gpt2` model.
    public static func load(directory: URL, layout: GPT2WeightLayout? = nil, name: String? = nil,
                            tokenizer: GPT2Tokenizer? = nil, store: Store? = nil, dropout: Float? = 0) throws -> GPT2Model {
        guard let layout = layout ?? GPT2WeightLayout.detect(in: directory) else {
            let openAI = FileManager.default.fileExists(atPath: directory.appendingPathComponent("hparams.json").path)
            let missing = (openAI ? GPT2WeightLayout.openAI : .huggingFace).requiredFiles.filter {
                !FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
            }
            throw InvalidInput("\(directory.path): no \(missing.joined(separator: " or ")) in the model directory (a GPT-2 directory holds "
                               + GPT2WeightLayout.huggingFace.requiredFiles.joined(separator: " + ") + " from Hugging Face, or "
                               + GPT2WeightLayout.openAI.requiredFiles.joined(separator: " + ") + " from OpenAI)")
        }
        var config: GPT2Config
        let archive: any TensorArchive
        switch layout {
        case .huggingFace:
            config = try GPT2Config.load(huggingFace: directory.appendingPathComponent("config.json"))
            archive = try SafeTensorsFile(url: directory.appendingPathComponent("model.safetensors"))
        case .openAI:
            config = try GPT2Config.load(openAI: directory.appendingPathComponent("hparams.json"))
            archive = try TFCheckpoint(url: directory)
        }
        if let dropout { try config.setDropout(DropoutRates(dropout)) }
        let tokenizer = try tokenizer ?? directoryTokenizer(directory, store: store)
        let parameters = try GPT2Weights.parameters(from: archive, layout: layout, config: config)
        return try GPT2Model(name: name ?? directory.lastPathComponent, config: config, tokenizer: tokenizer,
                             parameters: parameters, source: archive.path)
    }

    private static func directoryTokenizer(_ directory: URL, store: Store?) throws -> GPT2Tokenizer {
        if BytePairVocabulary.Layout.detect(in: directory) != nil { return try GPT2Tokenizer.load(directory: directory) }
        return try GPT2Tokenizer.pretrained("gpt2", store: store)
    }
}
