// One fine-tuning run end to end, as `textclf finetune` and the spam example do it: the dataset
// and its split, the backbone (pretrained or, failing that, random with a warning), the
// classifier, a run directory, the trainer, and the report.
//
//     let run = try FineTuneRun.start(BuiltInTasks.spam, store: Store())
//     run.trainer.observer = { print($0) }
//     let result = try run.run()
//
// Run directory (default runs/<task>-<timestamp>):
//   config.json    the task as run (incl. the trainable policy used), the backbone source, notes
//   split.json     the split's record (reproduces the exact split; scripts/split_from_record.py)
//   metrics.jsonl  one line per evaluation;  curves.svg  loss and accuracy curves
//   model/         the classifier (classifier.json + model.safetensors)
//   resume/        the state `--resume` continues from
//   report.json, report.md   baseline and final metrics, timing
import Backbones
import Common
import Datasets
import Foundation
import Heads
import Inference
import Store
import Training

/// The contents of config.json.
public struct RunConfiguration: Codable, Sendable {
    public static let formatTag = "textclf-run/1"
    public var format = formatTag
    /// The task as it ran (the trainable policy the run really used).
    public var task: ClassificationTask
    public var backbone: BackboneSource
    public var modelNote: String
    public var warnings: [String]
    public var textclfVersion: String?
    public var created: String

    enum CodingKeys: String, CodingKey {
        case format, task, backbone, modelNote = "model_note", warnings, textclfVersion = "textclf_version", created
    }
}

public final class FineTuneRun {
    public let directory: URL
    public let configuration: RunConfiguration
    public let splits: DatasetSplits
    public let classifier: Classifier
    public let trainer: Trainer
    private let resuming: Bool
    /// Held for the life of the run: one writer per directory (nil: this process writes nothing).
    private let lock: RunDirectoryLock?

    public var task: ClassificationTask { configuration.task }
    public var description: RunDescription {
        RunDescription(title: "\(task.name): \(configuration.backbone.name) fine-tuned on \(splits.dataset)", task: task.name,
                       dataset: splits.dataset, backbone: configuration.backbone, modelNote: configuration.modelNote,
                       warnings: configuration.warnings)
    }

    private init(directory: URL, configuration: RunConfiguration, splits: DatasetSplits, classifier: Classifier, resuming: Bool,
                 lock: RunDirectoryLock?, version: String?) throws {
        self.directory = directory
        self.lock = lock
        self.configuration = configuration
        self.splits = splits
        self.classifier = classifier
        self.resuming = resuming
        // Tags: a sigmoid per label (thresholds are fitted after training).
        if splits.isMultiLabel { classifier.decision = DecisionRule(output: .sigmoid) }
        trainer = try Trainer(classifier: classifier, data: TrainingData(splits, for: classifier),
                              configuration: configuration.task.training, source: configuration.backbone, runDirectory: directory)
        trainer.version = version
    }

    /// A new run of `task`. With random weights (by choice or because pretrained ones are
    /// missing) the policy becomes `task.randomWeightsTrainable` unless `keepTrainable`; with
    /// a fallback backbone, its trainable policy and dropout apply unless `keepTrainable` /
    /// `keepDropout` (the user chose them).
    public static func start(_ task: ClassificationTask, output: URL? = nil, store: Store, registries: Registries = .builtIn,
                             keepTrainable: Bool = false, keepDropout: Bool = false, version: String? = nil,
                             writes: Bool = true, log: (String) -> Void = { _ in }) throws -> FineTuneRun {
        var task = task
        try task.training.validate()
        let adapter = try registries.datasets.adapter(named: task.dataset)
        var policy = adapter.defaultSplitPolicy
        if let seed = task.splitSeed { policy.seed = seed }
        if let balance = task.balanceClasses, balance != policy.balance {
            policy.balance = balance
            policy.stratify = policy.stratify || !balance  // the whole, imbalanced data: keep its proportions in every split
        }
        log("dataset \(adapter.name): reading \(adapter.source)")
        let splits = try loadDataset(adapter, for: task, store: store).split(policy)
        log("split \(policy): train \(splits.train.count), validation \(splits.validation.count), test \(splits.test.count); labels \(splits.labels)")

        let choice = try BackboneCatalog.choose(task.backbone, weights: task.weights, fallbacks: task.fallbacks, seed: task.training.seed,
                                                dropout: task.dropout, keepDropout: keepDropout, store: store, families: registries.families)
        var warnings = choice.warning.map { [$0] } ?? []
        if let fallback = choice.fallback {
            // config.json records what really ran, so --resume and evaluate rebuild it.
            task.backbone = fallback.backbone
            task.pooling = fallback.pooling
            if let trainable = fallback.trainable, !keepTrainable { task.training.trainable = trainable }
            task.dropout = fallback.dropout(replacing: task.dropout, keep: keepDropout)
        }
        if choice.isRandom, !keepTrainable, task.training.trainable != task.randomWeightsTrainable {
            warnings.append("with random weights every layer trains (policy \(task.randomWeightsTrainable) instead of \(task.training.trainable)), as in the reference's random-weights experiment; pass --trainable to choose")
            task.training.trainable = task.randomWeightsTrainable
        }
        if let problem = task.training.trainable.mismatch(blockCount: choice.backbone.blockCount, model: choice.source.name) {
            throw InvalidInput("\(keepTrainable ? "--trainable" : "the task's trainable policy") \(task.training.trainable) \(problem)")
        }
        if let causalMask = task.causalMask { try choice.backbone.setCausalMask(causalMask) }
        if case .lora = task.training.trainable, task.training.unfreeze != .none {
            throw InvalidInput("--unfreeze \(task.training.unfreeze) unfreezes blocks, which LoRA (\(task.training.trainable)) never does; use --unfreeze none")
        }
        let classifier = try Classifier(backbone: choice.backbone, labels: splits.labels.names, head: task.head, pooling: task.pooling,
                                        maxLength: task.maxLength, seed: task.training.seed, heads: registries.heads)
        try applyLongText(task, to: classifier)

        let directory = output ?? defaultDirectory(for: task)
        let configuration = RunConfiguration(task: task, backbone: choice.source, modelNote: choice.note, warnings: warnings,
                                             textclfVersion: version, created: ISO8601DateFormatter().string(from: Date()))
        var lock: RunDirectoryLock?
        if writes {
            lock = try RunDirectoryLock(directory)
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("config.json").path) {
                throw InvalidInput("\(directory.path) already holds a run (config.json); choose another --output, or --resume it")
            }
            try DirectoryCommit.recoverInterruptedWrites(in: directory)
            try AtomicFile.write(try encode(configuration), to: directory.appendingPathComponent("config.json"))
            try splits.record.write(to: directory.appendingPathComponent("split.json"))
        }
        return try FineTuneRun(directory: directory, configuration: configuration, splits: splits, classifier: classifier,
                               resuming: false, lock: lock, version: version)
    }

    /// Re-opens the run in `directory` to continue it: the same task, the same backbone
    /// (rebuilt from its recorded source), the same split (from split.json).
    public static func resume(_ directory: URL, store: Store, registries: Registries = .builtIn, version: String? = nil,
                              writes: Bool = true, log: (String) -> Void = { _ in }) throws -> FineTuneRun {
        let configuration = try readConfiguration(directory)
        let lock = writes ? try RunDirectoryLock(directory) : nil
        if writes { try DirectoryCommit.recoverInterruptedWrites(in: directory) }
        let task = configuration.task
        let adapter = try registries.datasets.adapter(named: task.dataset)
        let splits = try loadDataset(adapter, for: task, store: store).split(reproducing: SplitRecord.read(from: directory.appendingPathComponent("split.json")))
        log("resuming \(directory.path): \(task.name) on \(splits.dataset), \(configuration.modelNote)")
        let backbone = try registries.families.rebuild(configuration.backbone, store: store, dropout: task.dropout)
        if let causalMask = task.causalMask { try backbone.setCausalMask(causalMask) }
        let classifier = try Classifier(backbone: backbone, labels: splits.labels.names, head: task.head, pooling: task.pooling,
                                        maxLength: task.maxLength, seed: task.training.seed, heads: registries.heads)
        try applyLongText(task, to: classifier)
        return try FineTuneRun(directory: directory, configuration: configuration, splits: splits, classifier: classifier,
                               resuming: true, lock: lock, version: version)
    }

    /// Trains (or continues), then writes report.json, report.md and curves.svg.
    public func run() throws -> TrainingResult {
        let result = try trainer.train(resume: resuming)
        if lock != nil { try TrainingReport.write(result, description, configuration: task.training, to: directory) }
        return result
    }

    /// The task's long-text policy on `classifier`; an error names the option and the key.
    static func applyLongText(_ task: ClassificationTask, to classifier: Classifier) throws {
        do { try classifier.useLongText(task.longText ?? .truncate) } catch let error as InvalidInput {
            throw InvalidInput("--long-text (task key long_text): \(error.description)")
        }
    }

    /// The adapter's examples, with the task's declared label set (if any) as the class ids.
    static func loadDataset(_ adapter: any DatasetAdapter, for task: ClassificationTask, store: Store) throws -> RawDataset {
        let raw = try adapter.load(using: store)
        return try task.labels.map { try raw.relabeled($0) } ?? raw
    }

    public static func readConfiguration(_ directory: URL) throws -> RunConfiguration {
        let url = directory.appendingPathComponent("config.json")
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw InvalidInput("\(url.path): cannot read the run's config: \(error.localizedDescription)")
        }
        let configuration: RunConfiguration
        do { configuration = try JSONDecoder().decode(RunConfiguration.self, from: data) } catch let error as DecodingError {
            throw InvalidInput("\(url.path): not a run config: \(describeDecodingError(error))")
        }
        guard configuration.format == RunConfiguration.formatTag else {
            throw InvalidInput("\(url.path): format \"\(configuration.format)\" is not \"\(RunConfiguration.formatTag)\"")
        }
        return configuration
    }

    /// runs/<task>-<yyyyMMdd-HHmmss>, made unique with a suffix if needed.
    public static func defaultDirectory(for task: ClassificationTask, in parent: URL = URL(fileURLWithPath: "runs")) -> URL {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        let base = "\(task.name)-\(formatter.string(from: Date()))"
        var candidate = parent.appendingPathComponent(base)
        var n = 2
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = parent.appendingPathComponent("\(base)-\(n)")
            n += 1
        }
        return candidate
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }
}
