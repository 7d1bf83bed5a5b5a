// Which backbone a task gets: its own, pretrained or random as asked, or with `auto` a fallback
// when the pretrained weights cannot be found, always with a note and a warning that say which.
// Building a named backbone is the families' part (`BackboneFamilies`, module Inference).
import Backbones
import Common
import Foundation
import Inference
import Store

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
    /// The model directory `name` refers to, or nil for a backbone name (`NameOrPath`'s rule:
    /// a name a family knows wins over a directory of the same name).
    static func directory(_ name: String, families: BackboneFamilies) -> URL? {
        guard case .path(let url) = NameOrPath(name, isRegisteredName: { (try? families.family(for: $0)) != nil }) else { return nil }
        return url
    }

    /// `name` (or a model directory) with `weights`. With `auto`, when the pretrained weights
    /// cannot be found, each of `fallbacks` is tried pretrained, in order, and then `name` with
    /// random weights; either way with a warning that says what is used instead. A fallback's
    /// own dropout replaces `dropout` unless `keepDropout` (the user gave one).
    public static func choose(_ name: String, weights: ClassificationTask.WeightsChoice, fallbacks: [BackboneFallback] = [],
                              seed: UInt64, dropout: Float, keepDropout: Bool = false, store: Store,
                              families: BackboneFamilies = .builtIn) throws -> BackboneChoice {
        if let url = directory(name, families: families) {
            let source = BackboneSource(name: url.lastPathComponent, weights: .directory, path: url.standardizedFileURL.path)
            return BackboneChoice(backbone: try families.load(directory: url, store: store, dropout: dropout), source: source,
                                  note: "weights from the directory \(url.path)", warning: nil)
        }
        let family = try families.family(for: name)
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
                    let fallbackFamily = try families.family(for: fallback.backbone)
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
    public static func wouldUse(_ task: ClassificationTask, store: Store, families: BackboneFamilies = .builtIn) -> (name: String, weights: BackboneSource.Weights) {
        if directory(task.backbone, families: families) != nil { return (task.backbone, .directory) }
        guard task.weights != .random, let family = try? families.family(for: task.backbone) else { return (task.backbone, .random) }
        if (try? family.pretrained(task.backbone, store: store, dropout: 0)) != nil { return (task.backbone, .pretrained) }
        guard task.weights == .auto else { return (task.backbone, .pretrained) }  // pretrained insisted on: it would fail
        for fallback in task.fallbacks {
            if let fallbackFamily = try? families.family(for: fallback.backbone),
               (try? fallbackFamily.pretrained(fallback.backbone, store: store, dropout: 0)) != nil {
                return (fallback.backbone, .pretrained)
            }
        }
        return (task.backbone, .random)
    }
}
