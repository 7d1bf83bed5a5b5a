// What the server answers per text, and what it tells about each model.
import Foundation

/// One text's answer: the keys of `predict --json`.
public struct Classification: Sendable, Equatable {
    public let label: String
    /// Probabilities in label order (softmax, or a sigmoid per label for tags).
    public let probabilities: [Float]
    /// Tags: every label at or above its threshold (nil for one label per text).
    public var labels: [String]? = nil
    /// The text was longer than the model's max length and was cut.
    public let truncated: Bool
    /// Tokens read (after truncation).
    public let tokens: Int

    /// `{"label", "probabilities": {label: p}, "truncated", "tokens"}` (and for tags "labels"),
    /// as `predict --json` writes them (the Float widened to Double).
    func jsonObject(labels names: [String]) -> [String: Any] {
        var object: [String: Any] = ["label": label, "probabilities": Dictionary(uniqueKeysWithValues: zip(names, probabilities.map(Double.init))),
                                     "truncated": truncated, "tokens": tokens]
        if let labels { object["labels"] = labels }
        return object
    }
}

/// A served model's facts (`GET /v1/models`), copied out of the worker that owns the classifier.
public struct ModelInfo: Sendable, Equatable {
    public let name: String
    public let labels: [String]
    public let backbone: String
    public let backboneWeights: String
    public let pooling: String
    public let head: String
    public let maxLength: Int
    /// Arithmetic of the forward pass.
    public let precision: String
    /// The run's final test accuracy (its report.json), when the model came from a run.
    public let testAccuracy: Double?

    func jsonObject(isDefault: Bool) -> [String: Any] {
        ["name": name, "default": isDefault, "labels": labels, "backbone": backbone, "backbone_weights": backboneWeights,
         "pooling": pooling, "head": head, "max_length": maxLength, "precision": precision,
         "test_accuracy": testAccuracy.map { $0 as Any } ?? NSNull()]
    }

    /// The final test accuracy in the report.json of the run `modelDirectory` belongs to (the
    /// directory itself, or the parent of its model/), if there is one.
    static func testAccuracy(near modelDirectory: URL) -> Double? {
        for directory in [modelDirectory, modelDirectory.deletingLastPathComponent()] {
            guard let data = try? Data(contentsOf: directory.appendingPathComponent("report.json")),
                  let report = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            let final = report["final"] as? [String: Any]
            return (final?["test"] as? [String: Any])?["accuracy"] as? Double
        }
        return nil
    }
}
