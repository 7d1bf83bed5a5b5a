// A task is a fine-tuning recipe with a name: which dataset, which backbone, the classifier's
// shape (pooling, head, max length) and the training settings. `textclf finetune --task spam`
// runs `BuiltInTasks.spam`; a JSON file with the same keys is a task too (Examples/spam/config.json).
// The other built-in tasks (sentiment, topic, intent) and users' task files are values of this type too.
import Common
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
    /// Whether the split undersamples every class to the smallest (nil: the dataset's own
    /// choice, true for sms-spam). false keeps every example, cut stratified by class.
    public var balanceClasses: Bool?
    /// A backbone name (e.g. "gpt2") or a model directory.
    public var backbone: String
    /// Which weights: pretrained if they can be found (`auto`), or insist on one kind.
    public var weights: WeightsChoice
    /// With `auto`: other pretrained backbones to use, in order, when `backbone`'s weights are
    /// missing, before falling back to random weights (e.g. all-MiniLM-L6-v2 where GPT-2's
    /// weights cannot be had).
    public var fallbacks: [BackboneFallback]
    /// The class names, in class-id order; nil takes the dataset's. The dataset's labels must
    /// be exactly these (a row with another label is an error naming it).
    public var labels: [String]?
    /// The trainable policy when the weights are random: the reference's random-weights
    /// experiment trains every layer (nothing pretrained is worth freezing).
    public var randomWeightsTrainable: TrainablePolicy
    /// nil: the backbone's default (`last` for GPT-2).
    public var pooling: Pooling?
    public var head: HeadSpec
    /// Texts are cut to this many tokens (nil: the backbone's context).
    public var maxLength: Int?
    /// How texts longer than `maxLength` are read (nil: truncate), in training and, recorded
    /// in the checkpoint, in `predict`, `evaluate` and `serve`.
    public var longText: LongTextPolicy?
    /// false turns off GPT-2's causal mask (Raschka's "no causal mask" experiment: every position
    /// attends to the whole text); nil keeps the backbone's attention.
    public var causalMask: Bool?
    /// Dropout while training, every kind the backbone has (embeddings, sublayer outputs,
    /// attention probabilities): the recipe's 0; 0 also allows the cache.
    public var dropout: Float
    public var training: TrainingConfiguration

    public enum WeightsChoice: String, Codable, Hashable, Sendable, CaseIterable {
        /// Pretrained where the Store finds them, else random with a warning.
        case auto
        case pretrained
        case random
    }

    public init(name: String, summary: String, dataset: String, splitSeed: UInt64? = nil, backbone: String = "gpt2",
                weights: WeightsChoice = .auto, fallbacks: [BackboneFallback] = [], labels: [String]? = nil, randomWeightsTrainable: TrainablePolicy = .all, pooling: Pooling? = nil,
                head: HeadSpec = .linear, maxLength: Int? = nil, dropout: Float = 0, training: TrainingConfiguration = .init()) {
        self.name = name
        self.summary = summary
        self.dataset = dataset
        self.splitSeed = splitSeed
        self.backbone = backbone
        self.weights = weights
        self.fallbacks = fallbacks
        self.labels = labels
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
             summary: "fine-tune on \(dataset) with the reference recipe's settings", dataset: dataset,
             fallbacks: BackboneFallback.localDefaults)
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, summary, dataset, splitSeed = "split_seed", balanceClasses = "balance_classes", backbone, weights, fallbacks, labels, randomWeightsTrainable = "random_weights_trainable"
        case pooling, head, maxLength = "max_length", dropout, training, causalMask = "causal_mask"
        case longText = "long_text"
    }

    /// Keys left out keep the defaults of `init`, so a task file names only what it needs; an
    /// unknown key is an error (a misspelt setting must not be ignored).
    public init(from decoder: Decoder) throws {
        let any = try decoder.container(keyedBy: AnyKey.self)
        for key in any.allKeys where CodingKeys(stringValue: key.stringValue) == nil {
            throw DecodingError.dataCorruptedError(forKey: key, in: any, debugDescription:
                "unknown key (known: \(CodingKeys.allCases.map(\.stringValue).joined(separator: ", ")))")
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let dataset = try c.decode(String.self, forKey: .dataset)
        let defaults = ClassificationTask.forDataset(dataset)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? defaults.name
        summary = try c.decodeIfPresent(String.self, forKey: .summary) ?? defaults.summary
        self.dataset = dataset
        splitSeed = try c.decodeIfPresent(UInt64.self, forKey: .splitSeed)
        balanceClasses = try c.decodeIfPresent(Bool.self, forKey: .balanceClasses)
        backbone = try c.decodeIfPresent(String.self, forKey: .backbone) ?? defaults.backbone
        weights = try c.decodeIfPresent(WeightsChoice.self, forKey: .weights) ?? defaults.weights
        fallbacks = try c.decodeIfPresent([BackboneFallback].self, forKey: .fallbacks) ?? defaults.fallbacks
        labels = try c.decodeIfPresent([String].self, forKey: .labels)
        randomWeightsTrainable = try c.decodeIfPresent(TrainablePolicy.self, forKey: .randomWeightsTrainable) ?? defaults.randomWeightsTrainable
        pooling = try c.decodeIfPresent(Pooling.self, forKey: .pooling)
        head = try c.decodeIfPresent(HeadSpec.self, forKey: .head) ?? defaults.head
        maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength)
        longText = try c.decodeIfPresent(LongTextPolicy.self, forKey: .longText)
        causalMask = try c.decodeIfPresent(Bool.self, forKey: .causalMask)
        dropout = try c.decodeIfPresent(Float.self, forKey: .dropout) ?? defaults.dropout
        training = try c.decodeIfPresent(TrainingConfiguration.self, forKey: .training) ?? defaults.training
    }

    /// Reads a task file (JSON); errors name the file and the key.
    public static func load(from url: URL) throws -> ClassificationTask {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw InvalidInput("\(url.path): cannot read the task file: \(unreadableFileReason(url, error))")
        }
        do {
            var task = try JSONDecoder().decode(ClassificationTask.self, from: data)
            // A dataset spec named by a relative path lives beside the task file.
            if task.dataset.hasSuffix(".json"), !task.dataset.hasPrefix("/") {
                let beside = url.deletingLastPathComponent().appendingPathComponent(task.dataset)
                if FileManager.default.fileExists(atPath: beside.path) { task.dataset = beside.path }
            }
            return task
        } catch let error as DecodingError {
            throw InvalidInput("\(url.path): not a valid task: \(describeDecodingError(error))")
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

/// A pretrained backbone that stands in when the task's own cannot be found, with the
/// settings that suit it (nil keeps the task's trainable policy and dropout / the backbone's
/// pooling). Options given explicitly (--trainable, --dropout) win over the fallback's.
public struct BackboneFallback: Codable, Hashable, Sendable {
    public var backbone: String
    public var trainable: TrainablePolicy?
    public var pooling: Pooling?
    public var dropout: Float?

    public init(backbone: String, trainable: TrainablePolicy? = nil, pooling: Pooling? = nil, dropout: Float? = nil) {
        self.backbone = backbone
        self.trainable = trainable
        self.pooling = pooling
        self.dropout = dropout
    }

    /// The dropout a run with this fallback uses: its own, unless the user gave one (`keep`).
    public func dropout(replacing taskDropout: Float, keep: Bool) -> Float {
        keep ? taskDropout : dropout ?? taskDropout
    }

    /// all-MiniLM-L6-v2 (real weights in ../shared/mirror here), every layer trainable (its
    /// 22.7M parameters train fast, and best), mean pooling (its default), and dropout 0.1 as
    /// it was pretrained and as transformers fine-tunes it (a BERT in train mode): the GPT-2
    /// recipe's dropout 0 overfits this model (see README, "Results with real pretrained weights").
    public static let localDefaults = [BackboneFallback(backbone: "all-MiniLM-L6-v2", trainable: .all, dropout: 0.1)]
}

public enum BuiltInTasks {
    /// The SMS spam reference example (Raschka, LLMs from scratch, ch. 6): UCI SMS spam, ham 0 /
    /// spam 1, balanced by undersampling, 70/10/20 split (seed 123), GPT-2 124M, last-token
    /// pooling, a linear head, last block + final norm trainable, batch 8, 5 epochs, AdamW
    /// lr 5e-5 with weight decay 0.1, evaluation every 50 steps on 5 batches. Without GPT-2's
    /// weights: pretrained all-MiniLM-L6-v2 (all layers) if found, else a random GPT-2.
    public static let spam = ClassificationTask(
        name: "spam", summary: "SMS spam vs ham with GPT-2 (Raschka's chapter 6 recipe)", dataset: "sms-spam",
        backbone: "gpt2", weights: .auto, fallbacks: BackboneFallback.localDefaults, randomWeightsTrainable: .all, head: .linear,
        dropout: 0, training: TrainingConfiguration())

    /// Binary sentiment: SST-2 by default (train on train, pick the best on dev, report dev and
    /// test), `--dataset imdb` for IMDB. Texts cut to 128 tokens; batch 32, one epoch (67,349
    /// sentences: 2,104 steps), AdamW 5e-5 / 0.1 with linear decay, evaluation every 250 steps
    /// on 20 batches.
    public static let sentiment = ClassificationTask(
        name: "sentiment", summary: "sentiment, negative/positive (SST-2; or --dataset imdb)", dataset: "sst2",
        backbone: "gpt2", weights: .auto, fallbacks: BackboneFallback.localDefaults, randomWeightsTrainable: .all, head: .linear,
        maxLength: 128, dropout: 0, training: largerDataTraining(epochs: 1, evalEvery: 250))

    /// News topics: AG News by default (its test file, split 80/20 seeded, with a tenth of
    /// train for validation), `--dataset bbc-news` for BBC's 5 classes. As `sentiment`, but
    /// 2 epochs (of 171 steps) and evaluation every 50 steps.
    public static let topic = ClassificationTask(
        name: "topic", summary: "news topic, 4 classes (AG News; or --dataset bbc-news, 5 classes)", dataset: "ag-news",
        backbone: "gpt2", weights: .auto, fallbacks: BackboneFallback.localDefaults, randomWeightsTrainable: .all, head: .linear,
        maxLength: 128, dropout: 0, training: largerDataTraining(epochs: 2, evalEvery: 50))

    /// Intent recognition: BANKING77 (77 intents; test = its test file, a stratified tenth of
    /// train for validation). Queries are short, so texts are cut to 64 tokens. 77 classes start
    /// from a head that knows none of them, hence lr 1e-4 (linear decay): 2 epochs of 282 steps
    /// of batch 32, evaluation every 200 steps on 20 batches, the best by validation accuracy.
    public static let intent = ClassificationTask(
        name: "intent", summary: "intent recognition, 77 online-banking intents (BANKING77)", dataset: "banking77",
        backbone: "gpt2", weights: .auto, fallbacks: BackboneFallback.localDefaults, randomWeightsTrainable: .all, head: .linear,
        maxLength: 64, dropout: 0, training: {
            var training = largerDataTraining(epochs: 2, evalEvery: 200)
            training.optimizer.learningRate = 1e-4
            training.monitor = .validationAccuracy
            return training
        }())

    static func largerDataTraining(epochs: Int, evalEvery: Int) -> TrainingConfiguration {
        var training = TrainingConfiguration()
        training.batchSize = 32
        training.epochs = epochs
        training.schedule = LearningRateSchedule(.linear)
        training.evalEvery = evalEvery
        training.evalBatches = 20
        return training
    }

    /// News topics as tags: Reuters-21578 ModApte (90 topics, a story has one or more; test =
    /// test.csv, a seeded tenth of train for validation). A sigmoid per topic with binary
    /// cross-entropy; each topic's threshold is tuned on validation for the best F1. Texts cut
    /// to 128 tokens (a story's title and first lines carry its topics), batch 16, 3 epochs,
    /// AdamW 1e-4 / 0.01 with linear decay, evaluation every 200 steps on 20 batches, the best
    /// by validation loss.
    public static let tags = ClassificationTask(
        name: "tags", summary: "news topics as tags, 90 topics, multi-label (Reuters-21578 ModApte)", dataset: "reuters-21578",
        backbone: "gpt2", weights: .auto, fallbacks: BackboneFallback.localDefaults, randomWeightsTrainable: .all, head: .linear,
        maxLength: 128, dropout: 0, training: {
            var training = largerDataTraining(epochs: 3, evalEvery: 200)
            training.batchSize = 16
            training.optimizer = .adamW(learningRate: 1e-4, weightDecay: 0.01)
            training.monitor = .validationLoss
            training.threshold = .bestF1
            return training
        }())

    public static let all: [ClassificationTask] = [spam, sentiment, topic, intent, tags]

    public static func named(_ name: String) -> ClassificationTask? { all.first { $0.name == name } }
}

