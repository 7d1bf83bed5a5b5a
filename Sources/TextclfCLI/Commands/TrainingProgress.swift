import Foundation
import Heads
import Training

/// Shows a training run: a progress bar on a terminal, plain log lines otherwise (both on
/// stderr), or JSON lines on stdout with --json (keys documented in `textclf finetune --help`).
final class TrainingProgress {
    enum Mode { case bar, lines, json }

    let mode: Mode
    private var lastDraw = DispatchTime(uptimeNanoseconds: 0)
    private var barVisible = false
    private var totalSteps = 0

    init(json: Bool) {
        mode = json ? .json : (isatty(2) == 1 ? .bar : .lines)
    }

    func handle(_ event: TrainingEvent) {
        switch event {
        case .prepared(let plan):
            totalSteps = plan.totalSteps
            if mode == .json {
                JSONLines.emit(["event": "prepared", "epochs": plan.epochs, "steps_per_epoch": plan.stepsPerEpoch,
                                "total_steps": plan.totalSteps, "start_step": plan.startStep,
                                "trainable": plan.trainable.policy.description, "trainable_parameters": plan.trainable.parameterCount,
                                "total_parameters": plan.trainable.totalParameterCount, "examples": plan.examples,
                                "truncated": plan.truncated, "cache": plan.cacheNote])
            } else {
                log("trainable: \(plan.trainable.description)")
                log("examples: train \(plan.examples["train"] ?? 0), validation \(plan.examples["validation"] ?? 0), test \(plan.examples["test"] ?? 0)"
                    + (plan.truncated.values.reduce(0, +) > 0 ? " (truncated: \(plan.truncated.values.reduce(0, +)))" : ""))
                log("plan: \(plan.epochs) epochs × \(plan.stepsPerEpoch) steps = \(plan.totalSteps) steps"
                    + (plan.startStep > 0 ? ", resuming at step \(plan.startStep)" : ""))
                log("frozen-prefix cache: \(plan.cacheNote)")
            }
        case .cacheBuilt(let c):
            if mode == .json {
                JSONLines.emit(["event": "cache", "blocks": c.blocks, "texts": c.texts, "tokens": c.tokens, "bytes": c.bytes, "seconds": c.seconds])
            } else {
                log(String(format: "cache: blocks 0..<%d for %d texts (%d tokens, %.0f MB) in %.1f s", c.blocks, c.texts, c.tokens,
                           Double(c.bytes) / 1e6, c.seconds))
            }
        case .unfrozen(let u):
            if mode == .json {
                JSONLines.emit(["event": "unfrozen", "step": u.step, "stage": u.stage, "trainable": u.trainable.policy.description,
                                "trainable_parameters": u.trainable.parameterCount, "cache": u.cacheNote])
            } else {
                log("unfreezing at step \(u.step), stage \(u.stage): \(u.trainable.description); cache: \(u.cacheNote)")
            }
        case .baseline(let evaluations):
            if mode == .json {
                JSONLines.emit(["event": "baseline", "splits": Dictionary(uniqueKeysWithValues: evaluations.map { ($0.split, $0.jsonObject) })])
            } else {
                log("before training: " + evaluations.map { "\($0.split) accuracy \(percent($0.accuracy))" }.joined(separator: ", "))
            }
        case .step(let p):
            switch mode {
            case .json:
                JSONLines.emit(["event": "step", "step": p.step, "total_steps": p.totalSteps, "epoch": p.epoch, "loss": p.loss,
                                "learning_rate": p.learningRate, "tokens_per_second": p.tokensPerSecond,
                                "elapsed_seconds": p.elapsedSeconds, "eta_seconds": p.etaSeconds])
            case .bar:
                let now = DispatchTime.now()
                guard p.step == p.totalSteps || now.uptimeNanoseconds - lastDraw.uptimeNanoseconds > 100_000_000 else { return }
                lastDraw = now
                let width = 24, filled = p.totalSteps == 0 ? 0 : width * p.step / p.totalSteps
                let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "") + String(repeating: " ", count: max(0, width - filled - 1))
                let line = String(format: "\r[%@] step %d/%d  epoch %d  loss %.4f  %.0f tok/s  ETA %@ ", bar, p.step, p.totalSteps,
                                  p.epoch, p.loss, p.tokensPerSecond, duration(p.etaSeconds))
                FileHandle.standardError.write(Data(line.utf8))
                barVisible = true
            case .lines:
                if p.step % 25 == 0 || p.step == p.totalSteps {
                    log(String(format: "step %d/%d  epoch %d  loss %.4f  %.0f tok/s  elapsed %@  ETA %@", p.step, p.totalSteps, p.epoch,
                               p.loss, p.tokensPerSecond, duration(p.elapsedSeconds), duration(p.etaSeconds)))
                }
            }
        case .evaluated(let r):
            if mode == .json {
                var object = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(r))) as? [String: Any] ?? [:]
                object["event"] = r.kind == "epoch" ? "epoch" : "eval"
                JSONLines.emit(object)
            } else {
                let label = r.kind == "epoch" ? "end of epoch \(r.epoch)" : "step \(r.step)"
                log(String(format: "%@: train loss %.3f acc %@ | validation loss %.3f acc %@%@", label, r.trainLoss, percent(r.trainAccuracy),
                           r.validationLoss, percent(r.validationAccuracy), r.best ? "  (best)" : ""))
            }
        case .stoppedEarly(let step, let patience):
            if mode == .json { JSONLines.emit(["event": "stopped_early", "step": step, "patience": patience]) }
            else { log("stopping early at step \(step): no improvement in \(patience) evaluations") }
        case .interrupted(let step, let directory):
            if mode == .json { JSONLines.emit(["event": "interrupted", "step": step, "resume_directory": directory?.path ?? NSNull()]) }
            else { log("interrupted at step \(step); state saved" + (directory.map { " in \($0.path)" } ?? "")) }
        case .final(let evaluations):
            if mode == .json {
                JSONLines.emit(["event": "final", "splits": Dictionary(uniqueKeysWithValues: evaluations.map { ($0.split, $0.jsonObject) })])
            }
        }
    }

    func log(_ line: String) {
        if barVisible {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            barVisible = false
        }
        Log.info(line)
    }
}

/// 83 → "1m23s", 3700 → "1h01m".
func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
    if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return "\(s)s"
}

/// A flag set from a signal handler and read by the training loop.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    private var source: DispatchSourceSignal?

    var isRaised: Bool { lock.withLock { raised } }

    /// First Ctrl-C: finish the current step, save, stop. Second: exit at once.
    func installInterruptHandler(message: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [self] in
            let again = lock.withLock { () -> Bool in
                defer { raised = true }
                return raised
            }
            if again { Foundation.exit(130) }
            message()
        }
        source.resume()
        self.source = source
    }
}
