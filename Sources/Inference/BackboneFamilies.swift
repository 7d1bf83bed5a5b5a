// The backbone families in use: the one place that knows the concrete backbone types.
// Everything past it (heads, training, checkpoints) sees only the `Backbone` protocol.
// `.builtIn` holds GPT-2, BERT, RoBERTa and DistilBERT; a program adds its own family with `register`.
import Backbones
import Common
import Foundation
import Store

public struct BackboneFamilies: Sendable {
    /// In the order names and directories are tried.
    public private(set) var families: [any BackboneFamily]

    public init(_ families: [any BackboneFamily]) {
        self.families = families
    }

    public static let builtIn = BackboneFamilies([GPT2Family(), BERTFamily.bert, BERTFamily.roberta, BERTFamily.distilBERT])

    /// Adds `family`, tried after those already here.
    public mutating func register(_ family: any BackboneFamily) {
        families.append(family)
    }

    /// The family that builds `name`.
    public func family(for name: String) throws -> any BackboneFamily {
        if let family = families.first(where: { $0.knows(name) }) { return family }
        let kinds = families.map(\.displayName).joined(separator: ", ")
        throw InvalidInput("unknown backbone \"\(name)\" (known: \(families.flatMap(\.names).joined(separator: ", ")), or a model directory of \(kinds))")
    }

    /// The backbone a checkpoint records, rebuilt exactly (no fallback).
    public func rebuild(_ source: BackboneSource, store: Store, dropout: Float = 0) throws -> any Backbone {
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
    public func load(directory url: URL, store: Store, dropout: Float) throws -> any Backbone {
        guard let family = families.first(where: { $0.recognizes(directory: url) }) else { throw InvalidInput(Self.unrecognized(url)) }
        return try family.directory(url, store: store, dropout: dropout)
    }

    /// Why no family takes `directory`, naming the file it lacks.
    static func unrecognized(_ directory: URL) -> String {
        let fm = FileManager.default
        func has(_ file: String) -> Bool { fm.fileExists(atPath: directory.appendingPathComponent(file).path) }
        let layouts = "Hugging Face's config.json + model.safetensors + vocab.txt (BERT, DistilBERT), vocab.json + merges.txt "
            + "(GPT-2) or vocab.json + merges.txt or tokenizer.json (RoBERTa), or OpenAI's hparams.json + model.ckpt.*"
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "\(directory.path): no such model directory"
        }
        if has("hparams.json") {
            return "\(directory.path): no model.ckpt.index in the model directory (OpenAI's GPT-2 layout: hparams.json + model.ckpt.*)"
        }
        guard has("config.json") else { return "\(directory.path): no config.json in the model directory (expected \(layouts))" }
        switch modelType(in: directory) {
        case "bert", "distilbert":
            return "\(directory.path): no vocab.txt in the model directory (a BERT model's WordPiece vocabulary, beside config.json)"
        case "roberta":
            return "\(directory.path): no vocab.json or tokenizer.json in the model directory (RoBERTa's byte-level BPE vocabulary, beside config.json)"
        case nil, "gpt2":
            return "\(directory.path): no model.safetensors in the model directory (expected \(layouts))"
        case let other?:
            return "\(directory.path)/config.json: model_type \"\(other)\" is not one of gpt2, bert, roberta, distilbert"
        }
    }
}
