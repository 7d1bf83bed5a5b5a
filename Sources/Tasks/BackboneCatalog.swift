// Where backbones come from, by name: the one place that knows the concrete backbone types.
// Everything past it (heads, training, checkpoints) sees only the `Backbone` protocol.
// A family (GPT-2, BERT) says which names it knows and how to build pretrained or seeded
// random instances; adding a family is one entry in `families`.
import Backbones
import DataIO
import Foundation
import Store
import Tokenizers
import Training

public protocol BackboneFamily: Sendable {
    /// For messages, e.g. "GPT-2".
    var displayName: String { get }
    /// Names this family builds (e.g. gpt2, gpt2-medium, 124M).
    func knows(_ name: String) -> Bool
    /// Whether a model directory is in this family's format.
    func recognizes(directory: URL) -> Bool
    /// Released weights through the Store. Throws `WeightsUnavailable` when they cannot be had.
    func pretrained(_ name: String, store: Store, dropout: Float) throws -> any Backbone
    func directory(_ url: URL, store: Store, dropout: Float) throws -> any Backbone
    /// The named architecture with seeded random weights.
    func random(_ name: String, seed: UInt64, store: Store, dropout: Float) throws -> any Backbone
}

/// Pretrained weights that the Store could not find (offline, not cached, not mirrored).
public struct WeightsUnavailable: Error, CustomStringConvertible, CustomDebugStringConvertible {
    public let name: String
    /// The Store's error: one line, with the fix.
    public let error: any Error & CustomStringConvertible & CustomDebugStringConvertible
    /// One line: where the first missing file was looked for, e.g. "config.json: cache …: not
    /// there; mirror …: not there; download: offline".
    public let summary: String
    public var description: String { error.description }
    /// Every place tried, one per line.
    public var debugDescription: String { error.debugDescription }

    /// One line of a Store failure: the file, then each place tried and what happened there.
    static func summary(_ error: ResolutionError) -> String {
        "\(error.file): " + error.attempts.map { "\($0.place.rawValue) \($0.location): \($0.outcome)" }.joined(separator: "; ")
    }
}

struct GPT2Family: BackboneFamily {
    var displayName: String { "GPT-2" }
    func knows(_ name: String) -> Bool { GPT2ModelName(name) != nil }
    func recognizes(directory: URL) -> Bool {
        GPT2WeightLayout.detect(in: directory) != nil && modelType(in: directory).map { $0 == "gpt2" } ?? true
    }

    func pretrained(_ name: String, store: Store, dropout: Float) throws -> any Backbone {
        do { return try GPT2Model.pretrained(name, store: store, dropout: dropout) } catch let error as GPT2WeightsNotFound {
            throw WeightsUnavailable(name: name, error: error,
                                     summary: error.failures.first.map(WeightsUnavailable.summary) ?? "no layout could be had")
        }
    }

    func directory(_ url: URL, store: Store, dropout: Float) throws -> any Backbone {
        try GPT2Model.load(directory: url, store: store, dropout: dropout)
    }

    func random(_ name: String, seed: UInt64, store: Store, dropout: Float) throws -> any Backbone {
        guard var config = GPT2Config.named(name) else { throw InvalidInput("\(name) is not a GPT-2 size") }
        config.setDropout(dropout)
        return try GPT2Model.randomlyInitialized(config: config, seed: seed, tokenizer: GPT2Tokenizer.pretrained("gpt2", store: store),
                                                 store: store, name: name)
    }
}

/// The BERT family: the encoders the manifest knows (all-MiniLM-L6-v2), or any directory in
/// Hugging Face's BERT layout (config.json with model_type "bert", model.safetensors, vocab.txt).
struct BERTFamily: BackboneFamily {
    static let names = ["all-MiniLM-L6-v2"]
    /// The files a random instance needs: the architecture and the tokenizer, not the weights.
    static let architectureFiles = ["config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"]

    var displayName: String { "BERT" }
    func knows(_ name: String) -> Bool { Self.names.contains(name) }
    func recognizes(directory: URL) -> Bool {
        modelType(in: directory) == "bert" && FileManager.default.fileExists(atPath: directory.appendingPathComponent("vocab.txt").path)
    }

    func pretrained(_ name: String, store: Store, dropout: Float) throws -> any Backbone {
        do { return try BERTModel.pretrained(name, store: store, dropout: dropout) } catch let error as ResolutionError {
            throw WeightsUnavailable(name: name, error: error, summary: WeightsUnavailable.summary(error))
        }
    }

    func directory(_ url: URL, store: Store, dropout: Float) throws -> any Backbone {
        try BERTModel.load(directory: url, dropout: dropout)
    }

    func random(_ name: String, seed: UInt64, store: Store, dropout: Float) throws -> any Backbone {
        let directory = try store.resolveDirectory(.model(name), files: Self.architectureFiles)
        var config = try BERTConfig.load(from: directory.appendingPathComponent("config.json"))
        config.setDropout(dropout)
        return try BERTModel.randomlyInitialized(config: config, seed: seed, tokenizer: TokenizerLoader.load(directory: directory), name: name)
    }
}

/// config.json's "model_type", if the directory has a readable one.
func modelType(in directory: URL) -> String? {
    guard let data = try? Data(contentsOf: directory.appendingPathComponent("config.json")),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
    return object["model_type"] as? String
}

/// The backbone a run uses, and how to say which it is.
public struct BackboneChoice {
    public let backbone: any Backbone
    public let source: BackboneSource
    /// Plainly, which weights: "pretrained GPT-2 'gpt2' weights" or "RANDOMLY INITIALISED ...".
    public let note: String
    /// Set when pretrained weights were wanted but random ones are used.
    public let warning: String?
    /// Set when a task's fallback backbone stands in for the one asked for.
    public let fallback: BackboneFallback?
    public var isRandom: Bool { source.weights == .random }

    public init(backbone: any Backbone, source: BackboneSource, note: String, warning: String?, fallback: BackboneFallback? = nil) {
        self.backbone = backbone
        self.source = source
        self.note = note
        self.warning = warning
        self.fallback = fallback
    }
}

public enum BackboneCatalog {
    /// The families, in the order names and directories are tried.
    public static let families: [any BackboneFamily] = [BERTFamily(), GPT2Family()]

    static func family(for name: String) throws -> any BackboneFamily {
        if let family = families.first(where: { $0.knows(name) }) { return family }
        throw InvalidInput("unknown backbone \"\(name)\" (known: gpt2, gpt2-medium, gpt2-large, gpt2-xl, \(BERTFamily.names.joined(separator: ", ")), or a model directory)")
    }

    /// `name` (or a model directory) with `weights`. With `auto`, when the pretrained weights
    /// cannot be found, each of `fallbacks` is tried pretrained, in order, and then `name` with
    /// random weights; either way with a warning that says what is used instead. A fallback's
    /// own dropout replaces `dropout` unless `keepDropout` (the user gave one).
    public static func choose(_ name: String, weights: ClassificationTask.WeightsChoice, fallbacks: [BackboneFallback] = [],
                              seed: UInt64, dropout: Float, keepDropout: Bool = false, store: Store) throws -> BackboneChoice {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: name, isDirectory: &isDirectory), isDirectory.boolValue {
            let url = URL(fileURLWithPath: name, isDirectory: true)
            let source = BackboneSource(name: url.lastPathComponent, weights: .directory, path: url.standardizedFileURL.path)
            return BackboneChoice(backbone: try load(directory: url, store: store, dropout: dropout), source: source,
                                  note: "weights from the directory \(url.path)", warning: nil)
        }
        let family = try family(for: name)
        if weights != .random {
            do {
                let backbone = try family.pretrained(name, store: store, dropout: dropout)
                return BackboneChoice(backbone: backbone, source: BackboneSource(name: name, weights: .pretrained),
                                      note: "pretrained \(family.displayName) '\(name)' weights", warning: nil)
            } catch let unavailable as WeightsUnavailable where weights == .auto {
                let missing = "pretrained \(family.displayName) '\(name)' weights were not found (\(unavailable.summary))"
                let fix = "Put the weights in the cache (textclf fetch \(name)) or a mirror (TEXTCLF_MIRROR) to use them."
                var skipped: [String] = []
                for fallback in fallbacks {
                    let fallbackFamily = try self.family(for: fallback.backbone)
                    do {
                        let fallbackDropout = fallback.dropout(replacing: dropout, keep: keepDropout)
                        let backbone = try fallbackFamily.pretrained(fallback.backbone, store: store, dropout: fallbackDropout)
                        let how = ["trainable \(fallback.trainable.map(\.description) ?? "as the task says")",
                                   "pooling \((fallback.pooling ?? backbone.defaultPooling).rawValue)",
                                   "dropout \(fallbackDropout)"].joined(separator: ", ")
                        return BackboneChoice(
                            backbone: backbone, source: BackboneSource(name: fallback.backbone, weights: .pretrained),
                            note: "pretrained \(fallbackFamily.displayName) '\(fallback.backbone)' weights, the task's fallback for \(name) (\(how))",
                            warning: "\(missing); using the task's fallback instead: the PRETRAINED \(fallbackFamily.displayName) model '\(fallback.backbone)' (\(how)). \(fix)",
                            fallback: fallback)
                    } catch let other as WeightsUnavailable {
                        skipped.append("\(fallback.backbone): \(other.summary)")
                    }
                }
                let backbone = try family.random(name, seed: seed, store: store, dropout: dropout)
                let alsoMissing = skipped.isEmpty ? "" : " The fallbacks were not found either (\(skipped.joined(separator: "; ")))."
                return BackboneChoice(
                    backbone: backbone, source: BackboneSource(name: name, weights: .random, seed: seed),
                    note: "RANDOMLY INITIALISED \(family.displayName) '\(name)' (seed \(seed)): no pretrained weights",
                    warning: "\(missing);\(alsoMissing) training a RANDOMLY INITIALISED model instead — the reference's random-weights experiment. Expect much lower accuracy than with pretrained weights. \(fix)")
            }
        }
        let backbone = try family.random(name, seed: seed, store: store, dropout: dropout)
        return BackboneChoice(backbone: backbone, source: BackboneSource(name: name, weights: .random, seed: seed),
                              note: "randomly initialised \(family.displayName) '\(name)' (seed \(seed)), as asked", warning: nil)
    }

    /// Which backbone `choose` would take for `task` with this store (give an offline one to
    /// ask without downloading): its name and the kind of weights.
    public static func wouldUse(_ task: ClassificationTask, store: Store) -> (name: String, weights: BackboneSource.Weights) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: task.backbone, isDirectory: &isDirectory), isDirectory.boolValue {
            return (task.backbone, .directory)
        }
        guard task.weights != .random, let family = try? family(for: task.backbone) else { return (task.backbone, .random) }
        if (try? family.pretrained(task.backbone, store: store, dropout: 0)) != nil { return (task.backbone, .pretrained) }
        guard task.weights == .auto else { return (task.backbone, .pretrained) }  // pretrained insisted on: it would fail
        for fallback in task.fallbacks {
            if let fallbackFamily = try? self.family(for: fallback.backbone),
               (try? fallbackFamily.pretrained(fallback.backbone, store: store, dropout: 0)) != nil {
                return (fallback.backbone, .pretrained)
            }
        }
        return (task.backbone, .random)
    }

    /// The backbone a checkpoint records, rebuilt exactly (no fallback).
    public static func rebuild(_ source: BackboneSource, store: Store, dropout: Float = 0) throws -> any Backbone {
        switch source.weights {
        case .pretrained:
            do { return try family(for: source.name).pretrained(source.name, store: store, dropout: dropout) } catch let error as WeightsUnavailable {
                throw InvalidInput("the model was trained on pretrained '\(source.name)' weights, which cannot be found: \(error)")
            }
        case .random:
            guard let seed = source.seed else { throw InvalidInput("backbone source \(source): random weights without a seed") }
            return try family(for: source.name).random(source.name, seed: seed, store: store, dropout: dropout)
        case .directory:
            guard let path = source.path else { throw InvalidInput("backbone source \(source): no directory") }
            do { return try load(directory: URL(fileURLWithPath: path, isDirectory: true), store: store, dropout: dropout) } catch let error as InvalidInput {
                throw InvalidInput("\(error.description) (the classifier was trained on the weights there)")
            }
        }
    }

    /// The backbone in a model directory, whichever family's layout it has.
    static func load(directory url: URL, store: Store, dropout: Float) throws -> any Backbone {
        guard let family = families.first(where: { $0.recognizes(directory: url) }) else { throw InvalidInput(unrecognized(url)) }
        return try family.directory(url, store: store, dropout: dropout)
    }

    /// Why no family takes `directory`, naming the file it lacks.
    static func unrecognized(_ directory: URL) -> String {
        let fm = FileManager.default
        func has(_ file: String) -> Bool { fm.fileExists(atPath: directory.appendingPathComponent(file).path) }
        let layouts = "Hugging Face's config.json + model.safetensors + vocab.txt (BERT) or vocab.json + merges.txt (GPT-2), "
            + "or OpenAI's hparams.json + model.ckpt.*"
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "\(directory.path): no such model directory"
        }
        if has("hparams.json") {
            return "\(directory.path): no model.ckpt.index in the model directory (OpenAI's GPT-2 layout: hparams.json + model.ckpt.*)"
        }
        guard has("config.json") else { return "\(directory.path): no config.json in the model directory (expected \(layouts))" }
        switch modelType(in: directory) {
        case "bert":
            return "\(directory.path): no vocab.txt in the model directory (a BERT model's WordPiece vocabulary, beside config.json)"
        case nil, "gpt2":
            return "\(directory.path): no model.safetensors in the model directory (expected \(layouts))"
        case let other?:
            return "\(directory.path)/config.json: model_type \"\(other)\" is neither bert nor gpt2"
        }
    }
}
