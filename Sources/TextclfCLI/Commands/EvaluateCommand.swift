import ArgumentParser
import Common
import Datasets
import Foundation
import Heads
import Inference
import Store
import Tasks
import TensorEngine
import Training

/// `textclf evaluate`: a trained classifier's metrics on a dataset split.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Print a trained classifier's accuracy, per-class precision/recall/F1, macro-F1 and confusion matrix.",
        discussion: """
        Without --dataset, the run's own dataset and split (split.json) are used. With a dataset, \
        its default split, except that the run's recorded split is reused when it is the run's \
        dataset. The dataset's labels must be the classifier's, in the same order.

        With --json, one line per split with keys: model, dataset, split, examples, loss, \
        accuracy, macro_f1, per_class ([{label, precision, recall, f1, support}]), confusion \
        ({labels, counts: rows = true class}), ece, precision (fp32, bf16 or int8: how the products \
        ran); for a model of tags: multi_label, micro_f1, subset_accuracy, hamming_loss, cardinality, \
        per_label. The model's fitted temperature and thresholds apply.

        Examples:
          textclf evaluate --model runs/spam-20250101-120000
          textclf evaluate --model runs/spam-20250101-120000 --dataset sms-spam --split all --json
          mpirun -np 4 textclf evaluate --model runs/spam-20250101-120000 --split all   (ranks share the batches)
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp("A dataset name or spec path (default: the run's).", valueName: "name|spec"))
    var dataset: String?

    @Option(help: ArgumentHelp("train, validation, test, or all.", valueName: "split"))
    var split = "test"

    @Option(help: "Texts per batch.") var batchSize = 32

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard split == "all" || SplitName(rawValue: split) != nil else {
            throw ValidationError("--split must be train, validation, test or all")
        }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        let job = try ScaleOutJob.join()
        let store = try self.store.makeStore()
        let loaded = try modelOptions.load(store: store)
        let classifier = loaded.classifier
        let run = modelOptions.runDirectory
        let runConfiguration = try run.map { try FineTuneRun.readConfiguration($0) }
        guard let name = dataset ?? runConfiguration?.task.dataset else {
            throw ValidationError("--model is not inside a run directory: name the data with --dataset")
        }
        let adapter = try DatasetRegistry.builtIn.adapter(named: name)
        let raw = try adapter.load(using: store)
        let splits: DatasetSplits
        if let run, let runConfiguration, dataset == nil || name == runConfiguration.task.dataset {
            splits = try raw.split(reproducing: SplitRecord.read(from: run.appendingPathComponent("split.json")))
        } else {
            splits = try raw.split(adapter.defaultSplitPolicy)
        }
        guard splits.labels.names == classifier.labels else {
            throw InvalidInput("dataset \(adapter.name) has labels \(splits.labels), the classifier \(classifier.labels)")
        }
        guard splits.isMultiLabel == classifier.decision.isMultiLabel else {
            throw InvalidInput("dataset \(adapter.name) has \(splits.isMultiLabel ? "label sets (tags)" : "one label per text"), but the classifier was trained for \(classifier.decision.isMultiLabel ? "tags" : "one label per text")")
        }
        let names = split == "all" ? SplitName.allCases : [SplitName(rawValue: split)!]
        for splitName in names where !splits[splitName].isEmpty {
            let examples = TrainingData.encode(splits[splitName], classifier)
            let evaluation = try SplitEvaluation.evaluate(classifier, examples, split: splitName.rawValue, batchSize: batchSize,
                                                          group: job.flatMap { $0.size > 1 ? $0 : nil })
            // Under mpirun the ranks share the batches; rank 0 alone reports.
            if let job, job.rank != 0 { continue }
            if output.json {
                var object = evaluation.jsonObject
                object["model"] = loaded.directory.path
                object["dataset"] = adapter.name
                object["precision"] = Int8Inference.isEnabled ? "int8" : Matmul.precision.rawValue
                JSONLines.emit(object)
            } else {
                let precision = Int8Inference.isEnabled ? "int8" : Matmul.precision.rawValue
                print("\(adapter.name) \(splitName), \(precision) (\(examples.truncatedCount) of \(examples.count) texts truncated to \(classifier.maxLength) tokens)")
                print(evaluation.summary)
                print("")
            }
        }
    }
}
