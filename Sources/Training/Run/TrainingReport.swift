// report.json (machine-readable, format textclf-report/1) and report.md (for people) of a run.
import Common
import Foundation
import Heads
import Inference
import TensorEngine

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
            "decision": result.decision?.jsonObject ?? NSNull(),
            "tokens_seen": result.tokensSeen,
            "memory": ["peak_rss_mb": Double(TensorMemory.peakResidentBytes) / 1048576,
                       "peak_tensor_mb": Double(TensorMemory.peakBytes) / 1048576] as [String: Any],
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
        if result.final.contains(where: { $0.multiLabel != nil }) {
            lines.append("## Tags (after training)")
            lines.append("")
            lines.append("Accuracy above is subset accuracy (a text's whole label set right).")
            lines.append("")
            lines.append("| split | micro-F1 | macro-F1 | subset accuracy | Hamming loss | labels per text, predicted | true |")
            lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
            for evaluation in result.final {
                guard let m = evaluation.multiLabel else { continue }
                lines.append(String(format: "| %@ | %.4f | %.4f | %@ | %.4f | %.3f | %.3f |", evaluation.split, m.microF1, m.macroF1,
                                    percent(m.subsetAccuracy), m.hammingLoss, m.predictedCardinality, m.trueCardinality))
            }
            lines.append("")
        }
        if let fit = result.decision { lines += decisionSection(fit) }
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
        lines.append(String(format: "Memory: peak RSS %.0f MB, of which large tensors (activations, gradients, caches) at most %.0f MB alive at once; freed ones are kept for reuse up to as much again.",
                            Double(TensorMemory.peakResidentBytes) / 1048576, Double(TensorMemory.peakBytes) / 1048576))
        lines.append("")
        lines.append("Curves: `curves.svg`; per-evaluation figures: `metrics.jsonl`; model: `model/`; test split: `reliability.svg`\(result.final("test")?.ranking == nil ? "" : ", `pr_curve.svg`, `roc_curve.svg`").")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Temperature, thresholds and calibration error, as fitted on validation.
    static func decisionSection(_ fit: DecisionFit) -> [String] {
        var lines = ["## Decision (fitted on validation)", ""]
        lines.append("- Outputs: \(fit.rule.output == .sigmoid ? "a sigmoid per label" : "softmax")")
        if fit.calibrated {
            lines.append(String(format: "- Temperature scaling: T = %.4f; validation NLL %.4f → %.4f, ECE %.4f → %.4f",
                                fit.rule.temperature, fit.validationNLL.before, fit.validationNLL.after,
                                fit.validationECE.before, fit.validationECE.after))
            if let test = fit.testCalibration {
                lines.append(String(format: "- Test ECE (15 bins): %.4f before, %.4f after (`reliability.svg`)",
                                    test.before.expectedCalibrationError, test.after.expectedCalibrationError))
            }
        } else {
            lines.append(String(format: "- Validation ECE (15 bins, no calibration): %.4f", fit.validationECE.before))
        }
        if let thresholds = fit.rule.thresholds {
            lines.append("- Thresholds: \(fit.thresholdChoice.description)")
            if thresholds.count == 1, let s = fit.selections.first {
                lines.append(String(format: "  - %.4f: validation precision %.4f, recall %.4f, F1 %.4f%@", s.threshold, s.precision, s.recall, s.f1,
                                    s.reached ? "" : " (target not reached)"))
            } else {
                let sorted = thresholds.sorted()
                lines.append(String(format: "  - %d per-label thresholds: min %.3f, median %.3f, max %.3f (all in report.json)",
                                    thresholds.count, sorted.first ?? 0, sorted[sorted.count / 2], sorted.last ?? 0))
            }
        } else if fit.rule.isMultiLabel {
            lines.append("- Thresholds: 0.5 for every label")
        }
        lines.append("")
        return lines
    }

    public static func write(_ result: TrainingResult, _ run: RunDescription, configuration: TrainingConfiguration, to directory: URL) throws {
        let object = json(result, run, configuration: configuration)
        var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        try AtomicFile.write(data, to: directory.appendingPathComponent(jsonFile))
        try AtomicFile.write(markdown(result, run, configuration: configuration), to: directory.appendingPathComponent(markdownFile))
        try RunFiles.writeMetrics(result.history, plotTitle: run.title, to: directory)
        try writeDecisionPlots(result, title: run.title, to: directory)
    }

    /// pr_curve.svg and roc_curve.svg (two classes) and reliability.svg, from the test split.
    static func writeDecisionPlots(_ result: TrainingResult, title: String, to directory: URL) throws {
        guard let test = result.final("test") else { return }
        if let scores = test.scores, test.ranking != nil {
            try AtomicFile.write(DecisionPlots.precisionRecallSVG(scores, title: title), to: directory.appendingPathComponent(DecisionPlots.precisionRecall))
            try AtomicFile.write(DecisionPlots.rocSVG(scores, title: title), to: directory.appendingPathComponent(DecisionPlots.roc))
        }
        if let calibrated = result.decision?.testCalibration {
            try AtomicFile.write(DecisionPlots.reliabilitySVG(before: calibrated.before, after: calibrated.after, title: title),
                                 to: directory.appendingPathComponent(DecisionPlots.reliability))
        } else if let calibration = test.calibration {
            try AtomicFile.write(DecisionPlots.reliabilitySVG(before: calibration, after: nil, title: title),
                                 to: directory.appendingPathComponent(DecisionPlots.reliability))
        }
    }
}
