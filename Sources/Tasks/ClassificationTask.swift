// A task is a fine-tuning recipe with a name: which dataset, which backbone, the classifier's
// shape (pooling, head, max length) and the training settings. `textclf finetune --task spam`
// runs `BuiltInTasks.spam`; a JSON file with the same keys is a task too (Examples/spam/config.json).
// Later tasks (sentiment, topic, user tasks) are more values of this type.
import DataIO
import Foundation
import Backbones
import Heads
import Training

/// (Not called `Task`: that name belongs to Swift concurrency.)
public struct ClassificationTask: Codable, Hashable, Sendable {
    public var name: String
    public var summary: String
    /// A built-in dataset name (`textclf datasets`) or the path of a dataset spec.
    public var dataset: String
    /// Seed of the dataset's default split (nil: the dataset's own, 123 for sms-spam).
    public var splitSeed: UInt64?
    /// A backbone name (e.g. "gpt2") or a model directory.
    public var backbone: String
    /// Which weights: pretrained if they can be found (`auto`), or insist on one kind.
    public var weights: WeightsChoice
    /// The trainable policy when the weights are random: the reference's random-weights
    /// experiment trains every layer (nothing pretrained is worth freezing).
    public var randomWeightsTrainable: TrainablePolicy
    /// nil: the backbone's default (`last` for GPT-2).
    public var pooling: Pooling?
    public var head: HeadSpec
    /// Texts are cut to this many tokens (nil: the backbone's context).
    public var maxLength: Int?
    /// Dropout while training, set on the backbone (the recipe's 0; 0 also allows the cache).
    public var dropout: Float
    public var training: TrainingConfiguration

    public enum WeightsChoice: String, Codable, Hashable, Sendable, CaseIterable {
        /// Pretrained where the Store finds them, else random with a warning.
        case auto
        case pretrained
        case random
    }

    public init(name: String, summary: String, dataset: String, splitSeed: UInt64? = nil, backbone: String = "gpt2",
                weights: WeightsChoice = .auto, randomWeightsTrainable: TrainablePolicy = .all, pooling: Pooling? = nil,
                head: HeadSpec = .linear, maxLength: Int? = nil, dropout: Float = 0, training: TrainingConfiguration = .init()) {
        self.name = name
        self.summary = summary
        self.dataset = dataset
        self.splitSeed = splitSeed
        self.backbone = backbone
        self.weights = weights
        self.randomWeightsTrainable = randomWeightsTrainable
        self.pooling = pooling
        self.head = head
        self.maxLength = maxLength
        self.dropout = dropout
        self.training = training
    }

    /// A task for any dataset with the reference recipe's settings.
    public static func forDataset(_ dataset: String) -> ClassificationTask {
        ClassificationTask(name: URL(fileURLWithPath: dataset).deletingPathExtension().lastPathComponent,
             summary: "fine-tune on \(dataset) with the reference recipe's settings", dataset: dataset)
    }

    enum CodingKeys: String, CodingKey {
        case name, summary, dataset, splitSeed = "split_seed", backbone, weights, randomWeightsTrainable = "random_weights_trainable"
        case pooling, head, maxLength = "max_length", dropout, training
    }

    /// Keys left out keep the defaults of `init`, so a task file names only what it needs.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let dataset = try c.decode(String.self, forKey: .dataset)
        let defaults = ClassificationTask.forDataset(dataset)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? defaults.name
        summary = try c.decodeIfPresent(String.self, forKey: .summary) ?? defaults.summary
        self.dataset = dataset
        splitSeed = try c.decodeIfPresent(UInt64.self, forKey: .splitSeed)
        backbone = try c.decodeIfPresent(String.self, forKey: .backbone) ?? defaults.backbone
        weights = try c.decodeIfPresent(WeightsChoice.self, forKey: .weights) ?? defaults.weights
        randomWeightsTrainable = try c.decodeIfPresent(TrainablePolicy.self, forKey: .randomWeightsTrainable) ?? defaults.randomWeightsTrainable
        pooling = try c.decodeIfPresent(Pooling.self, forKey: .pooling)
        head = try c.decodeIfPresent(HeadSpec.self, forKey: .head) ?? defaults.head
        maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength)
        dropout = try c.decodeIfPresent(Float.self, forKey: .dropout) ?? defaults.dropout
        training = try c.decodeIfPresent(TrainingConfiguration.self, forKey: .training) ?? defaults.training
    }

    /// Reads a task file (JSON); errors name the file and the key.
    public static func load(from url: URL) throws -> ClassificationTask {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw InvalidInput("\(url.path): cannot read the task file: \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(ClassificationTask.self, from: data) } catch let error as DecodingError {
            throw InvalidInput("\(url.path): not a valid task: \(TaskFileError.describe(error))")
        } catch {
            throw InvalidInput("\(url.path): not a valid task: \(error)")
        }
    }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

public enum BuiltInTasks {
    /// The SMS spam reference example (Raschka, LLMs from scratch, ch. 6): UCI SMS spam, ham 0 /
    /// spam 1, balanced by undersampling, 70/10/20 split (seed 123), GPT-2 124M, last-token
    /// pooling, a linear head, last block + final norm trainable, batch 8, 5 epochs, AdamW
    /// lr 5e-5 with weight decay 0.1, evaluation every 50 steps on 5 batches.
    public static let spam = ClassificationTask(
        name: "spam", summary: "SMS spam vs ham with GPT-2 (Raschka's chapter 6 recipe)", dataset: "sms-spam",
        backbone: "gpt2", weights: .auto, randomWeightsTrainable: .all, head: .linear, dropout: 0, training: TrainingConfiguration())

    public static let all: [ClassificationTask] = [spam]

    public static func named(_ name: String) -> ClassificationTask? { all.first { $0.name == name } }
}

enum TaskFileError {
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the top level" : "key '\(keys.joined(separator: "."))'"
        }
        switch error {
        case .typeMismatch(let type, let context): return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)): missing \(type) value"
        case .keyNotFound(let key, let context): return "\(path(context)): key '\(key.stringValue)' is missing"
        case .dataCorrupted(let context): return "\(path(context)): \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
