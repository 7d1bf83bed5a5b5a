// `textclf export --format safetensors`: a model directory that needs nothing else.
//
//   classifier.json     the classifier (labels, pooling, head, max length), every tensor saved,
//                       its backbone read from this directory (source path ".")
//   model.safetensors   every tensor, backbone and head, under the names textclf gives them
//                       (Hugging Face's without a model prefix, and head.*)
//   config.json         the backbone's architecture in Hugging Face's format
//   tokenizer files     as the backbone's tokenizer read them (vocab.txt, tokenizer_config.json, …)
//
// The backbone loaders read config.json and the backbone tensors of model.safetensors (they
// skip head.*), so `--model DIR` loads it anywhere, without the Store or the original backbone.
import Backbones
import Common
import Foundation
import Heads
import Inference
import Store

public enum StandaloneExport {
    /// Files a tokenizer may read from a model directory (those present are copied).
    static let tokenizerFiles = ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                 "vocab.json", "merges.txt", "encoder.json", "vocab.bpe", "gpt2.tiktoken"]

    /// Texts whose predictions must come out the same from the written directory as from `model`.
    static let probes = ["Free entry in a weekly competition to win FA Cup final tickets!", "See you at 6?", "ok"]

    /// Writes `model` to `directory` (all or nothing), then loads it back from there and checks
    /// that it tokenizes and classifies the probe texts as `model` does. Returns the files written.
    @discardableResult
    public static func write(_ model: TrainedModel, to directory: URL, store: Store) throws -> [String] {
        try ExportDestination.checkDirectory(directory)
        let classifier = model.classifier
        let family = try ExportFamilies.builtIn.family(for: classifier.backbone)
        let config = try JSONSerialization.data(withJSONObject: family.configJSON(classifier.backbone),
                                                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        let tokenizerDirectory = try ExportedTokenizer(classifier.backbone.tokenizer, of: model.source.name).directory
        let copied = tokenizerFiles.filter { FileManager.default.fileExists(atPath: tokenizerDirectory.appendingPathComponent($0).path) }
        guard !copied.isEmpty else {
            throw InvalidExport("no tokenizer files in \(tokenizerDirectory.path), where \(model.source.name)'s tokenizer was read")
        }
        var files: [String] = []
        try ExportDestination.writing(directory) {
            try DirectoryCommit.write(to: directory) { staging in
                // The checkpoint's own all-or-nothing save replaces the (empty) staging directory,
                // so it goes first and the backbone's files join it.
                try ClassifierCheckpoint.save(classifier, source: BackboneSource(name: model.source.name, weights: .directory, path: "."),
                                              policy: savedPolicy(model), to: staging, content: .full,
                                              step: model.configuration.step, version: textclfVersion)
                try AtomicFile.write(config + Data("\n".utf8), to: staging.appendingPathComponent("config.json"))
                for file in copied {  // written anew (not copied) so they do not keep a mirror's read-only mode
                    try AtomicFile.write(Data(contentsOf: tokenizerDirectory.appendingPathComponent(file)), to: staging.appendingPathComponent(file))
                }
                try verify(TrainedModel.load(staging, store: store), against: model)
                files = try FileManager.default.contentsOfDirectory(atPath: staging.path).sorted()
            }
        }
        return files
    }

    /// The policy the written directory records: the model's, except that a LoRA model whose
    /// adapters were merged is a plain model whose every weight differs from the pretrained
    /// one (`all`: loading it must not add fresh adapters).
    static func savedPolicy(_ model: TrainedModel) -> TrainablePolicy {
        if case .lora = model.configuration.trainable, !model.classifier.hasAdapters { return .all }
        return model.configuration.trainable
    }

    /// The reloaded model must read and score the probe texts as the original does: the same
    /// token ids, and logits equal to float32 rounding (the same weights and code; only the
    /// memory they are read from differs).
    private static func verify(_ reloaded: TrainedModel, against model: TrainedModel) throws {
        let original = model.classifier, copy = reloaded.classifier
        let ids = original.encode(probes).map(\.ids)
        guard copy.encode(probes).map(\.ids) == ids else {
            throw InvalidExport("the exported tokenizer files do not tokenize as \(model.source.name)'s tokenizer does")
        }
        let expected = try original.logits(tokens: ids), got = try copy.logits(tokens: ids)
        for (a, b) in zip(expected.joined(), got.joined()) where abs(a - b) > 1e-5 * max(1, abs(a)) {
            throw InvalidExport("the exported model's logits differ from the original's (\(a) vs \(b))")
        }
    }
}
