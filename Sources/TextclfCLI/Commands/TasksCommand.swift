import ArgumentParser
import Datasets
import Foundation
import Store
import Tasks

/// `textclf tasks`: the built-in tasks (and task files given), what each trains on, and which
/// backbone it would use on this machine (an offline lookup: nothing is downloaded).
struct TasksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "List the built-in tasks (and task files) with their dataset, backbone and what is available locally.",
        discussion: """
        For each task: its dataset and whether the data is local (cache or $TEXTCLF_MIRROR), \
        its backbone and fallbacks, and the backbone `textclf finetune --task NAME` would use \
        here. Nothing is downloaded to find out.

        With --json, one line per task with keys: name, kind (built-in or file), file, summary, \
        dataset, dataset_available, dataset_where, backbone, fallbacks, would_use (the backbone \
        name and "pretrained" or "random"), trainable, pooling, head, max_length, epochs, \
        batch_size, learning_rate.

        Examples:
          textclf tasks
          textclf tasks Examples/spam/config.json --json
        """
    )

    @Argument(help: ArgumentHelp("Task files to list too.", valueName: "task.json")) var files: [String] = []
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let store = try self.store.makeStore()
        let offline = try store.offlineCopy()
        let tasks = BuiltInTasks.all.map { ($0, nil as String?) } + (try files.map { (try ClassificationTask.load(from: URL(fileURLWithPath: $0)), $0) })
        var rows: [[String]] = []
        for (task, file) in tasks {
            let data = (try? DatasetRegistry.builtIn.adapter(named: task.dataset))?.availability(in: store)
                ?? DatasetAvailability(isLocal: false, detail: "unknown dataset")
            let use = BackboneCatalog.wouldUse(task, store: offline)
            let fallbacks = task.fallbacks.map(\.backbone)
            if output.json {
                JSONLines.emit([
                    "name": task.name, "kind": file == nil ? "built-in" : "file", "file": file ?? NSNull(), "summary": task.summary,
                    "dataset": task.dataset, "dataset_available": data.isLocal, "dataset_where": data.detail,
                    "backbone": task.backbone, "fallbacks": fallbacks, "would_use": ["backbone": use.name, "weights": use.weights.rawValue],
                    "trainable": task.training.trainable.description, "pooling": task.pooling?.rawValue ?? NSNull(), "head": task.head.description,
                    "max_length": task.maxLength ?? NSNull(), "epochs": task.training.epochs, "batch_size": task.training.batchSize,
                    "learning_rate": task.training.optimizer.learningRate,
                ])
            } else {
                rows.append([task.name, task.dataset + (data.isLocal ? "" : " (not local)"),
                             ([task.backbone] + fallbacks).joined(separator: " > "),
                             "\(use.weights == .random ? "RANDOM" : "pretrained") \(use.name)", task.summary])
            }
        }
        if !output.json {
            printTable(header: ["TASK", "DATASET", "BACKBONE > FALLBACKS", "HERE", "SUMMARY"], rows: rows)
        }
    }
}
