// report.json (machine-readable, format textclf-report/1) and report.md (for people) of a run.
import Common
import Foundation
import Heads
import Inference

/// What the run was, in words: written at the top of the reports.
public struct RunDescription: Sendable {
    /// e.g. "spam: gpt2 fine-tuned on sms-spam".
    public var title: String
    public var task: String?
    public var dataset: String
    public var backbone: BackboneSource
    /// Which weights were used, plainly ("pretrained GPT-2 124M" / "RANDOMLY INITIALISED ...").
    public var modelNote: String
    public var warnings: [String]

    public init(title: String, task: String?, dataset: String, backbone: BackboneSource, modelNote: String, warnings: [String] = []) {
        self.title = title
        self.task = task
        self.dataset = dataset
        self.backbone = backbone
        self.modelNote = modelNote
        self.warnings = warnings
    }
}

public enum TrainingReport {
    public static let jsonFile = "report.json"
    public static let markdownFile = "report.md"

    /// The report as a JSON object with stable keys (see `textclf finetune --help`).
    public static func json(_ result: TrainingResult, _ run: RunDescription, configuration: TrainingConfiguration) -> [String: Any] {
        func splits(_ evaluations: [SplitEvaluation]) -> [String: Any] {
            Dictionary(uniqueKeysWithValues: evaluations.map { ($0.split, $0.jsonObject) })
        }
        let summary = result.plan.trainable
        var cache: [String: Any] = ["used": result.cache != nil, "note": result.plan.cacheNote]
        if let c = result.cache {
            cache["blocks"] = c.blocks
            cache["texts"] = c.texts
            cache["tokens"] = c.tokens
            cache["bytes"] = c.bytes
            cache["seconds"] = c.seconds
        }
        return [
            "format": "textclf-report/1",
            "title": run.title,
            "task": run.task ?? NSNull(),
            "dataset": run.dataset,
            "backbone": ["name": run.backbone.name, "weights": run.backbone.weights.rawValue,
                         "seed": run.backbone.seed.map { $0 as Any } ?? NSNull(), "path": run.backbone.path ?? NSNull(),
                         "note": run.modelNote] as [String: Any],
            "warnings": run.warnings,
            "trainable": ["policy": summary.policy.description, "parameters": summary.parameterCount,
                          "tensors": summary.tensorCount, "total_parameters": summary.totalParameterCount,
                          "unfreeze": configuration.unfreeze.description, "up_to": configuration.trainable.description,
                          "layer_lr_decay": configuration.layerLearningRateDecay.map { $0 as Any } ?? NSNull()] as [String: Any],
            "cache": cache,
            "examples": result.plan.examples,
            "truncated": result.plan.truncated,
            "steps": result.steps,
            "total_steps": result.plan.totalSteps,
            "epochs": configuration.epochs,
            "precision": configuration.precision.rawValue,
            "stopped_early": result.stoppedEarly,
            "interrupted": result.interrupted,
            "best": ["step": result.bestStep.map { $0 as Any } ?? NSNull(), "monitor": result.monitor.rawValue,
                     "value": result.bestValue.map { $0 as Any } ?? NSNull(), "restored": result.restoredBest] as [String: Any],
            "baseline": splits(result.baseline),
            "final": splits(result.final),
            "timing": ["train_seconds": result.timing.trainSeconds, "eval_seconds": result.timing.evalSeconds,
                       "cache_seconds": result.timing.cacheSeconds, "full_eval_seconds": result.timing.fullEvalSeconds,
                       "total_seconds": result.timing.totalSeconds] as [String: Any],
            "tokens_seen": result.tokensSeen,
            "train_tokens_per_second": result.timing.trainSeconds > 0 ? Double(result.tokensSeen) / result.timing.trainSeconds : 0,
        ]
    }

    public static func markdown(_ result: TrainingResult, _ run: RunDescription, configuration: TrainingConfiguration) -> String {
        var lines = ["# \(run.title)", ""]
        for warning in run.warnings { lines.append("> **Warning:** \(warning)") }
        if !run.warnings.isEmpty { lines.append("") }
        lines.append("- Model: \(run.modelNote)")
        lines.append("- Dataset: \(run.dataset)" + (run.task.map { " (task \($0))" } ?? ""))
        lines.append("- Trainable: \(result.plan.trainable.description)")
        if configuration.unfreeze != .none {
            lines.append("- Unfreezing: \(configuration.unfreeze) (one more block every \(configuration.unfreeze.description.dropFirst("gradual:".count)) epochs), up to \(configuration.trainable)")
        }
        if let decay = configuration.layerLearningRateDecay {
            lines.append("- Layer-wise learning-rate decay: \(decay) per block from the top (the head at the full rate)")
        }
        lines.append("- Training: \(configuration.epochs) epochs × \(result.plan.stepsPerEpoch) steps, batch \(configuration.batchSize), \(configuration.optimizer), schedule \(configuration.schedule), seed \(configuration.seed), precision \(configuration.precision)")
        lines.append("- Frozen-prefix cache: \(result.plan.cacheNote)")
        if let best = result.bestStep {
            lines.append("- Best \(result.monitor.rawValue): \(String(format: "%.4f", result.bestValue ?? .nan)) at step \(best)\(result.restoredBest ? " (restored for the final evaluation and saved as the model)" : "")")
        }
        if result.stoppedEarly { lines.append("- Stopped early after \(result.steps) steps (patience \(configuration.patience ?? 0))") }
        if result.interrupted { lines.append("- **Interrupted** after \(result.steps) steps: continue with `textclf finetune --resume RUN_DIR`") }
        lines.append("")
        lines.append("## Accuracy")
        lines.append("")
        lines.append("| split | examples | before training | after training | macro-F1 after |")
        lines.append("| --- | ---: | ---: | ---: | ---: |")
        for split in ["train", "validation", "test"] {
            guard let before = result.baseline(split) else { continue }
            let after = result.final(split)
            lines.append("| \(split) | \(before.examples) | \(percent(before.accuracy)) | \(after.map { percent($0.accuracy) } ?? "-") | \(after.map { String(format: "%.4f", $0.macroF1) } ?? "-") |")
        }
        lines.append("")
        if !result.final.isEmpty {
            lines.append("## Per class (after training)")
            lines.append("")
            for evaluation in result.final {
                lines.append("```")
                lines.append(evaluation.summary)
                lines.append("```")
            }
            lines.append("")
        }
        lines.append("## Time")
        lines.append("")
        let t = result.timing
        lines.append("| part | seconds |")
        lines.append("| --- | ---: |")
        lines.append("| frozen-prefix cache | \(String(format: "%.1f", t.cacheSeconds)) |")
        lines.append("| training steps | \(String(format: "%.1f", t.trainSeconds)) |")
        lines.append("| periodic evaluation | \(String(format: "%.1f", t.evalSeconds)) |")
        lines.append("| full evaluations (before and after) | \(String(format: "%.1f", t.fullEvalSeconds)) |")
        lines.append("| total (this session) | \(String(format: "%.1f", t.totalSeconds)) |")
        lines.append("")
        lines.append("Training read \(groupedDigits(result.tokensSeen)) tokens (\(String(format: "%.0f", t.trainSeconds > 0 ? Double(result.tokensSeen) / t.trainSeconds : 0)) tokens/s).")
        lines.append("")
        lines.append("Curves: `curves.svg`; per-evaluation figures: `metrics.jsonl`; model: `model/`.")
        return lines.joined(separator: "\n") + "\n"
    }

    public static func write(_ result: TrainingResult, _ run: RunDescription, configuration: TrainingConfiguration, to directory: URL) throws {
        let object = json(result, run, configuration: configuration)
        var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        try AtomicFile.write(data, to: directory.appendingPathComponent(jsonFile))
        try AtomicFile.write(markdown(result, run, configuration: configuration), to: directory.appendingPathComponent(markdownFile))
        try RunFiles.writeMetrics(result.history, plotTitle: run.title, to: directory)
    }
}
