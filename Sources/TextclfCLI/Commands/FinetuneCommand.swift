import ArgumentParser
import Common
import Foundation
import Heads
import Store
import Tasks
import Training

/// `textclf finetune`: trains a classifier (task, task file or dataset) into a run directory.
struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune a backbone with a classification head on a dataset.",
        discussion: """
        What to train: --task NAME|FILE (built-in: spam, sentiment, topic, intent; see textclf tasks; or \
        a task file, e.g. Examples/spam/config.json), or --dataset NAME|SPEC alone (the reference \
        recipe on any dataset). --dataset with --task runs the task on another dataset (e.g. \
        --task sentiment --dataset imdb); --labels a,b,c declares the label set and its order. \
        The options below override the task's settings. The model is never chosen silently: \
        pretrained weights when the Store finds them (cache, TEXTCLF_MIRROR, download); otherwise \
        the task's fallback (all-MiniLM-L6-v2, pretrained, every layer trainable) if it is found; \
        otherwise a randomly initialised model, trained with every layer (--trainable to choose). \
        Either way a warning says so.

        Run directory (--output DIR, default runs/<task>-<timestamp>): config.json (the task as \
        run, backbone source), split.json, metrics.jsonl (one line per evaluation), curves.svg, \
        report.json + report.md, model/ (classifier.json + model.safetensors: the best weights by \
        --monitor, unless --no-restore-best), resume/ (state for --resume). Ctrl-C stops after the \
        current step and saves the state; --resume DIR continues exactly where it stopped.

        Under mpirun (mpirun -np N textclf finetune ...) the ranks train one model together: \
        --batch-size is the global batch, split across the ranks; rank 0 alone writes the run \
        directory and prints; a job of any size resumes a run (README, Scale-out).

        With --json, JSON lines on stdout, each with an "event" key: prepared (epochs, \
        steps_per_epoch, total_steps, start_step, trainable, trainable_parameters, \
        total_parameters, examples, truncated, cache), cache (blocks, texts, tokens, bytes, \
        seconds), unfrozen (step, stage, trainable, trainable_parameters, cache: with --unfreeze \
        gradual, before the step that trains one more block), baseline / final (splits: {train|validation|test: {split, examples, loss, \
        accuracy, macro_f1, per_class, confusion}}), step (step, total_steps, epoch, loss, \
        learning_rate, tokens_per_second, elapsed_seconds, eta_seconds), eval / epoch (the \
        metrics.jsonl record: step, epoch, epoch_progress, train_loss, train_accuracy, \
        validation_loss, validation_accuracy, validation_macro_f1, learning_rate, \
        running_train_loss, examples_seen, tokens_seen, elapsed_seconds, best), stopped_early, \
        interrupted, and last result (report.json's keys plus run_directory, wall_seconds).

        Examples:
          textclf finetune --task spam
          textclf finetune --task sentiment --dataset imdb --max-length 256
          textclf finetune --task topic --backbone all-MiniLM-L6-v2 --trainable last-2-blocks
          textclf finetune --dataset Examples/custom-dataset/tickets.json --labels question,bug,billing
          textclf finetune --task spam --weights random --trainable last-block --epochs 1
          textclf finetune --dataset bbc-news --trainable last-2-blocks --lr 1e-4 --output runs/bbc
          textclf finetune --task intent --unfreeze gradual --layer-lr-decay 0.8
          textclf finetune --config Examples/spam/config.json --json
          textclf finetune --resume runs/spam-20250101-120000
        """
    )

    @Option(help: ArgumentHelp("A built-in task (spam, sentiment, topic, intent) or a task file (JSON).", valueName: "name|file"))
    var task: String?
    @Option(help: ArgumentHelp("A task file (JSON); the same as --task FILE.", valueName: "file")) var config: String?
    @Option(help: ArgumentHelp("A dataset name or spec path: alone, the reference recipe on it; with --task, the task on it.",
                               valueName: "name|spec"))
    var dataset: String?
    @Option(help: ArgumentHelp("The label names in class-id order (comma-separated); the data's labels must be exactly these.",
                               valueName: "a,b,..."))
    var labels: String?
    @Option(help: ArgumentHelp("Run directory (default runs/<task>-<timestamp>).", valueName: "dir")) var output: String?
    @Option(help: ArgumentHelp("Continue the interrupted run in this directory.", valueName: "dir")) var resume: String?

    @OptionGroup var training: TrainingOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var outputOptions: OutputOptions

    // Checked in run(), not validate(): the parser reports an unknown option only after
    // validate() passes, and a misspelt option is the likelier cause of a missing source.
    private func checkSources() throws {
        let sources = [task, config, resume].compactMap { $0 }.count
        guard sources == 1 || (sources == 0 && dataset != nil) else {
            throw ValidationError("give one of --task, --config, --dataset or --resume (--dataset may go with --task or --config)")
        }
        if resume != nil, dataset != nil || labels != nil {
            throw ValidationError("--resume continues the run on its own dataset and labels; drop --dataset and --labels")
        }
    }

    func run() throws {
        try checkSources()
        let job = try ScaleOutJob.join()
        let writes = (job?.rank ?? 0) == 0
        let store = try self.store.makeStore()
        let progress = TrainingProgress(json: outputOptions.json)
        let log: (String) -> Void = { line in if writes && !outputOptions.json { Log.info(line) } }
        let wallStart = DispatchTime.now()
        let run: FineTuneRun
        if let resume {
            run = try FineTuneRun.resume(URL(fileURLWithPath: resume), store: store, version: textclfVersion, writes: writes, log: log)
            guard try training.apply(to: run.task) == run.task else {
                throw ValidationError("--resume continues the run as it was configured (its config.json); drop the training options")
            }
        } else {
            var base: ClassificationTask
            if let config {
                base = try ClassificationTask.load(from: URL(fileURLWithPath: config))
            } else if let task {
                switch NameOrPath(task, isRegisteredName: { BuiltInTasks.named($0) != nil }) {
                case .name(let name):
                    guard let builtIn = BuiltInTasks.named(name) else {
                        throw ValidationError("no task named \(name) (built-in: \(BuiltInTasks.all.map(\.name).joined(separator: ", ")); or a task file)")
                    }
                    base = builtIn
                case .path(let url):
                    base = try ClassificationTask.load(from: url)
                }
            } else {
                base = ClassificationTask.forDataset(dataset!)
            }
            if let dataset, base.dataset != dataset {
                base.dataset = dataset
                base.labels = nil  // the task's label set was for its own dataset
                base.splitSeed = nil
                base.balanceClasses = nil
            }
            if let labels {
                base.labels = labels.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            }
            base = try training.apply(to: base)
            run = try FineTuneRun.start(base, output: output.map { URL(fileURLWithPath: $0) }, store: store,
                                        keepTrainable: training.trainable != nil, keepDropout: training.dropout != nil, version: textclfVersion,
                                        writes: writes, log: log)
        }
        if writes { for warning in run.configuration.warnings { Self.warn(warning, json: outputOptions.json) } }
        log("model: \(run.configuration.modelNote)")
        log("run directory: \(run.directory.path)")
        if let job, job.size > 1 {
            run.trainer.group = job
            log("data-parallel over \(job.size) ranks: global batch \(run.task.training.batchSize), split across them")
        }

        let stop = StopFlag()
        stop.installInterruptHandler { Log.error("\ninterrupt: stopping after this step (Ctrl-C again to quit at once)") }
        run.trainer.shouldStop = { stop.isRaised }
        if writes { run.trainer.observer = progress.handle }
        let result = try run.run()
        let wall = seconds(since: wallStart)
        guard writes else { return }
        if let job, job.size > 1 {
            log(String(format: "data-parallel: gradient allreduce %.1f s of %.1f s training (%.1f%%) on rank 0", run.trainer.reductionSeconds,
                       result.timing.trainSeconds, 100 * run.trainer.reductionSeconds / max(result.timing.trainSeconds, 1e-9)))
        }

        if outputOptions.json {
            var object = TrainingReport.json(result, run.description, configuration: run.task.training)
            object["event"] = "result"
            object["run_directory"] = run.directory.path
            object["wall_seconds"] = wall
            if let job, job.size > 1 {
                object["data_parallel"] = ["ranks": job.size, "allreduce_seconds": run.trainer.reductionSeconds,
                                           "train_seconds": result.timing.trainSeconds] as [String: Any]
            }
            JSONLines.emit(object)
        } else {
            progress.log("")
            Self.printSummary(result, run: run, wall: wall)
        }
        if result.interrupted {
            // Not a failure of the run, but it did not finish: exit 1 with the way to continue.
            CLIExit.fail(code: 1, "interrupted: continue with  textclf finetune --resume \(run.directory.path)", nil)
        }
    }

    /// The prominent form of a warning: framed, on stderr (and as a JSON line with --json).
    static func warn(_ text: String, json: Bool) {
        if json { JSONLines.emit(["event": "warning", "message": text]) }
        let rule = String(repeating: "!", count: 78)
        Log.error(rule)
        for line in wrap("WARNING: " + text, width: 76) { Log.error("! " + line) }
        Log.error(rule)
    }

    static func printSummary(_ result: TrainingResult, run: FineTuneRun, wall: Double) {
        print("\(run.description.title)")
        print("model: \(run.configuration.modelNote)")
        print("trainable: \(result.plan.trainable.description)")
        print("")
        print("accuracy     before    after   (examples)")
        for split in ["train", "validation", "test"] {
            guard let before = result.baseline(split) else { continue }
            let after = result.final(split).map { percent($0.accuracy) } ?? "-"
            print("  " + split.padding(toLength: 10, withPad: " ", startingAt: 0) + leftPad(percent(before.accuracy), 8)
                  + leftPad(after, 9) + "   (\(before.examples))")
        }
        if let test = result.final("test") {
            print("")
            print(test.summary)
        }
        let t = result.timing
        print("")
        print(String(format: "wall time %.1f s: cache %.1f s, training %.1f s, periodic evaluation %.1f s, full evaluations %.1f s; %.0f training tokens/s",
                     wall, t.cacheSeconds, t.trainSeconds, t.evalSeconds, t.fullEvalSeconds,
                     t.trainSeconds > 0 ? Double(result.tokensSeen) / t.trainSeconds : 0))
        if let best = result.bestStep {
            print("best \(result.monitor.rawValue) at step \(best)" + (result.restoredBest ? " (restored and saved as the model)" : ""))
        }
        print("run directory: \(run.directory.path)  (report.md, curves.svg, model/)")
    }
}

func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = [], current = ""
    for word in text.split(separator: " ") {
        if !current.isEmpty && current.count + 1 + word.count > width {
            lines.append(current)
            current = ""
        }
        current += (current.isEmpty ? "" : " ") + word
    }
    if !current.isEmpty { lines.append(current) }
    return lines
}

private func leftPad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
