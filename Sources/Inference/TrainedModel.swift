// A trained classifier as a program uses it: load a run (or its model/) and predict.
//
//     let store = try Store()
//     let model = try TrainedModel.load(URL(fileURLWithPath: "runs/spam"), store: store)
//     print(try model.predict(["WINNER! Claim your prize now"])[0].label)
import Backbones
import Foundation
import Heads
import Store
import TensorEngine
import Tokenizers

public struct TrainedModel {
    public let classifier: Classifier
    /// classifier.json as read.
    public let configuration: CheckpointConfiguration
    /// The model directory (classifier.json + model.safetensors).
    public let directory: URL

    /// Class names in class-id order.
    public var labels: [String] { classifier.labels }
    public var tokenizer: any Tokenizer { classifier.tokenizer }
    public var pooling: Pooling { classifier.pooling }
    /// Texts are cut to this many tokens.
    public var maxLength: Int { classifier.maxLength }
    /// The backbone the classifier was trained on, as recorded.
    public var source: BackboneSource { configuration.backbone.source }
    /// The int8 weights file (`textclf quantize`) its dense layers run with, if int8 inference
    /// is on and the model directory holds one.
    public internal(set) var int8File: URL?

    /// The classifier in `directory`, a run directory or its model/: the backbone rebuilt from
    /// its recorded source by `families` (and, unless `verifyBackbone` is off, checked against
    /// the recorded SHA-256 of its frozen weights), the head and the saved tensors loaded. With
    /// int8 inference on, the int8 weights saved beside them (`Int8Checkpoint`) are used.
    public static func load(_ directory: URL, store: Store, verifyBackbone: Bool = true, heads: HeadRegistry = .builtIn,
                            families: BackboneFamilies = .builtIn) throws -> TrainedModel {
        var model = try ClassifierCheckpoint.load(directory, heads: heads, verifyBackbone: verifyBackbone) { source in
            try families.rebuild(source, store: store)
        }
        if Int8Inference.isEnabled, try Int8Checkpoint.load(into: model) != nil {
            model.int8File = model.directory.appendingPathComponent(Int8Checkpoint.file)
        }
        return model
    }

    /// A label and class probabilities per text, in the order given (see `Classifier.predict`).
    public func predict(_ texts: [String], batchSize: Int = 16) throws -> [Prediction] {
        try classifier.predict(texts, batchSize: batchSize)
    }
}
