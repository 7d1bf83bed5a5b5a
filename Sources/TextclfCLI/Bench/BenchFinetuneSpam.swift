import ArgumentParser
import Common
import Datasets
import Foundation
import Heads
import Store
import Tasks
import Training

/// `textclf bench finetune-spam`: the whole SMS-spam recipe, timed, next to PyTorch doing the
/// same recipe on the same split in the same invocation.
struct BenchFinetuneSpam: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune-spam",
        abstract: "Time the 5-epoch SMS-spam fine-tuning recipe against PyTorch + transformers.",
        discussion: """
        textclf: the spam task with GPT-2 124M, random weights (seed 123), last block + final \
        norm + head trainable, products in fp32 unless --precision says otherwise, batch 8, AdamW 5e-5 / 0.1, eval every 50 steps on 5 batches, full \
        evaluation before and after, keeping the final weights (as the reference does). Wall \
        time is everything from loading the dataset to the written report; tokens/s counts the \
        training steps' real tokens; peak memory is the process's maximum RSS (getrusage).

        Then the anchor, one after the other (never at the same time): by default \
        scripts/torch_finetune_reference.py on textclf's own split (split.json), padding to the \
        120 tokens (the recipe's length: Raschka's longest training text), 2 threads; --anchor shared runs \
        ../shared/anchors/torch_ref.py (its own pandas split); --anchor skip skips it (it \
        takes ~15 minutes). Needs python3 with torch, transformers and tiktoken; without them the \
        anchor is reported as not run. Files come through the Store (a temporary mirror-shaped \
        directory of links is handed to the script).

        With --json, one line with keys: bench, epochs, precision, textclf {wall_seconds, cache_seconds, \
        train_seconds, eval_seconds, full_eval_seconds, train_tokens_per_second, peak_rss_mb, \
        steps, accuracy {train, validation, test}, baseline_accuracy {...}}, anchor {script, \
        wall_seconds, train_seconds, full_eval_seconds, accuracy {...}, peak_rss_mb, pad_len} or \
        null, anchor_note, ratio (anchor wall / textclf wall) or null, cpu_ratio (the same in \
        user + system CPU seconds, less sensitive to other processes on a shared machine) or null. \
        textclf and anchor objects also carry cpu_seconds.

        Examples:
          textclf bench finetune-spam --anchor skip
          textclf bench finetune-spam --json
          textclf bench finetune-spam --precision bf16
        """
    )

    enum AnchorChoice: String, ExpressibleByArgument, CaseIterable { case run, shared, skip }

    @Option(help: ArgumentHelp("run (scripts/torch_finetune_reference.py), shared (../shared/anchors/torch_ref.py) or skip.", valueName: "run|shared|skip"))
    var anchor: AnchorChoice = .run

    @Option(help: ArgumentHelp("The anchor script (default: by --anchor).", valueName: "file"))
    var anchorScript: String?

    @Option(help: "Epochs (both sides).") var epochs = 5

    @Option(help: ArgumentHelp("Keep textclf's run directory here (default: a temporary one, removed).", valueName: "dir"))
    var output: String?

    @OptionGroup var precision: PrecisionOption
    @OptionGroup var store: StoreOptions
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
    }

    func run() throws {
        let store = try self.store.makeStore()
        let directory = output.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("textclf-bench-spam-\(getpid())")
        if output == nil { try? FileManager.default.removeItem(at: directory) }
        defer { if output == nil { try? FileManager.default.removeItem(at: directory) } }

        var task = BuiltInTasks.spam
        task.weights = .random
        task.training.trainable = .lastBlock
        task.training.epochs = epochs
        task.training.restoreBest = false
        task.training.precision = try precision.resolved() ?? .fp32
        let quiet = outputOptions.json
        Log.info("textclf: spam recipe, GPT-2 124M random weights, last-block, \(epochs) epochs, \(task.training.precision.rawValue) products ...")
        let start = DispatchTime.now()
        let run = try FineTuneRun.start(task, output: directory, store: store, keepTrainable: true, version: textclfVersion,
                                        log: { if !quiet { Log.info("  " + $0) } })
        let progress = TrainingProgress(json: false)
        run.trainer.observer = { event in
            if quiet { return }
            switch event {
            case .step: break
            default: progress.handle(event)
            }
        }
        let result = try run.run()
        let wall = BenchTiming.seconds(since: start)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let peak = Double(usage.ru_maxrss) / 1024
        let cpu = cpuSeconds(usage)
        let t = result.timing
        func accuracies(_ evaluations: [SplitEvaluation]) -> [String: Double] {
            Dictionary(uniqueKeysWithValues: evaluations.map { ($0.split, $0.accuracy) })
        }
        let ours: [String: Any] = [
            "wall_seconds": wall, "cache_seconds": t.cacheSeconds, "train_seconds": t.trainSeconds, "eval_seconds": t.evalSeconds,
            "full_eval_seconds": t.fullEvalSeconds, "train_tokens_per_second": t.trainSeconds > 0 ? Double(result.tokensSeen) / t.trainSeconds : 0,
            "peak_rss_mb": peak, "cpu_seconds": cpu, "steps": result.steps, "accuracy": accuracies(result.final), "baseline_accuracy": accuracies(result.baseline),
        ]
        var lines = [
            String(format: "textclf (\(task.training.precision.rawValue)): %.1f s wall, %.1f s CPU (cache %.1f s, training %.1f s, periodic evaluation %.1f s, full evaluations %.1f s), %.0f training tokens/s, peak RSS %.0f MB",
                   wall, cpu, t.cacheSeconds, t.trainSeconds, t.evalSeconds, t.fullEvalSeconds,
                   t.trainSeconds > 0 ? Double(result.tokensSeen) / t.trainSeconds : 0, peak),
            "textclf accuracy: " + ["train", "validation", "test"].compactMap { s in result.final(s).map { "\(s) \(percent($0.accuracy))" } }.joined(separator: ", "),
        ]
        var object: [String: Any] = ["bench": "finetune-spam", "epochs": epochs, "precision": task.training.precision.rawValue, "textclf": ours, "anchor": NSNull(), "ratio": NSNull(),
                                     "cpu_ratio": NSNull()]
        if anchor == .skip {
            object["anchor_note"] = "skipped (--anchor skip)"
            lines.append("anchor: skipped (--anchor skip)")
        } else {
            Log.info("anchor: PyTorch + transformers, same recipe\(anchor == .run ? " on the same split" : "") (about 15 minutes) ...")
            switch runAnchor(store: store, split: directory.appendingPathComponent("split.json")) {
            case .success(let anchorResult):
                object["anchor"] = anchorResult
                let anchorWall = anchorResult["wall_seconds"] as? Double ?? .nan
                object["ratio"] = anchorWall / wall
                let anchorCPU = anchorResult["cpu_seconds"] as? Double ?? .nan
                object["cpu_ratio"] = anchorCPU / cpu
                object["anchor_note"] = "ran"
                let accuracy = anchorResult["accuracy"] as? [String: Double] ?? [:]
                lines.append(String(format: "PyTorch anchor: %.1f s wall, %.1f s CPU (training %.1f s, full evaluation %.1f s), peak RSS %.0f MB, padded to %d tokens",
                                    anchorWall, anchorCPU, anchorResult["train_seconds"] as? Double ?? .nan, anchorResult["full_eval_seconds"] as? Double ?? .nan,
                                    anchorResult["peak_rss_mb"] as? Double ?? .nan, anchorResult["pad_len"] as? Int ?? 0))
                lines.append("PyTorch accuracy: " + ["train", "validation", "test"].compactMap { s in accuracy[s].map { "\(s) \(percent($0))" } }.joined(separator: ", "))
                lines.append(String(format: "ratio: textclf is %.1fx faster than the anchor for the whole recipe (wall time; %.1fx in CPU time)",
                                    anchorWall / wall, anchorCPU / cpu))
            case .failure(let reason):
                object["anchor_note"] = "not run: \(reason.description)"
                lines.append("anchor: not run: \(reason.description)")
            }
        }
        if outputOptions.json { JSONLines.emit(object) } else { lines.forEach { print($0) } }
    }

    /// Runs the anchor script on a mirror-shaped directory of links to the Store's files;
    /// parses its last JSON line (ours: "result"; the shared one: train_s / full_eval_s).
    private func runAnchor(store: Store, split: URL) -> Result<[String: Any], BenchFailure> {
        let script = anchorScript ?? (anchor == .run ? "scripts/torch_finetune_reference.py" : "../shared/anchors/torch_ref.py")
        guard FileManager.default.fileExists(atPath: script) else {
            return .failure(BenchFailure("\(script) not found (run from the package root, or pass --anchor-script FILE)"))
        }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import torch, transformers, tiktoken"]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        do { try check.run() } catch { return .failure(BenchFailure("python3 not found")) }
        check.waitUntilExit()
        guard check.terminationStatus == 0 else { return .failure(BenchFailure("python3 lacks torch, transformers or tiktoken")) }

        let root = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-anchor-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        do {
            for (ref, file) in [(EntryRef.dataset("sms-spam"), SMSSpamDataset.archive), (EntryRef.model("gpt2"), "gpt2.tiktoken")] {
                let link = root.appendingPathComponent(ref.relativePath).appendingPathComponent(file)
                try FileManager.default.createDirectory(at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.createSymbolicLink(at: link, withDestinationURL: store.resolve(ref, file: file))
            }
        } catch {
            return .failure(BenchFailure("cannot lay out the anchor's files: \(error)"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = anchor == .shared && anchorScript == nil
            ? ["python3", script, root.path, "--epochs", String(epochs)]
            : ["python3", script, split.path, root.path, "--epochs", String(epochs)]
        let stdout = Pipe()
        process.standardOutput = stdout
        let errorLog = root.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)
        guard let errorHandle = try? FileHandle(forWritingTo: errorLog) else { return .failure(BenchFailure("cannot create \(errorLog.path)")) }
        process.standardError = errorHandle
        var before = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &before)  // the import check above, not the anchor's
        let start = DispatchTime.now()
        do { try process.run() } catch { return .failure(BenchFailure("cannot start python3: \(error)")) }
        let text = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let wall = BenchTiming.seconds(since: start)
        try? errorHandle.close()
        guard process.terminationStatus == 0 else {
            let errors = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
            return .failure(BenchFailure("anchor exited with \(process.terminationStatus): \(errors.split(separator: "\n").last ?? "")"))
        }
        guard let last = text.split(separator: "\n").last,
              let parsed = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] else {
            return .failure(BenchFailure("unexpected anchor output: \(text.suffix(300))"))
        }
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        var result: [String: Any] = ["script": script, "wall_seconds": wall, "peak_rss_mb": Double(usage.ru_maxrss) / 1024,
                                     "cpu_seconds": cpuSeconds(usage) - cpuSeconds(before)]
        result["train_seconds"] = parsed["train_seconds"] ?? parsed["train_s"] ?? NSNull()
        result["full_eval_seconds"] = parsed["full_eval_seconds"] ?? parsed["full_eval_s"] ?? NSNull()
        result["pad_len"] = parsed["pad_len"] ?? NSNull()
        result["torch"] = parsed["torch"] ?? NSNull()
        if let accuracy = parsed["accuracy"] as? [String: Double] {
            result["accuracy"] = Dictionary(uniqueKeysWithValues: accuracy.map { ($0.key == "val" ? "validation" : $0.key, $0.value) })
        }
        return .success(result)
    }
}

/// User + system CPU seconds of a getrusage result (all threads; for children, all waited-for ones).
private func cpuSeconds(_ usage: rusage) -> Double {
    Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
