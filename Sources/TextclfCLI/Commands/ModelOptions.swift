import ArgumentParser
import Common
import Foundation
import Heads
import Inference
import Store
import TensorEngine

/// `--model RUN_DIR|MODEL_DIR` of evaluate and predict.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A run directory (its model/) or a model directory (classifier.json + model.safetensors).", valueName: "dir"))
    var model: String

    @Flag(help: "Skip checking the rebuilt backbone's frozen weights against the recorded SHA-256.")
    var noVerify = false

    @Option(help: ArgumentHelp("Texts longer than the model's max length: truncate, head+tail or chunks[:STRIDE][:mean|max] (default: as the model was trained, recorded in classifier.json).",
                               valueName: "policy"))
    var longText: String?

    func validate() throws {
        _ = try LongTextOption.parse(longText)
    }

    @OptionGroup var precision: PrecisionOption

    @Flag(help: "int8 Linear layers: per-output-channel s8 weights (read from model-int8.safetensors if `textclf quantize` saved it, else quantised on load), per-row u8 activations, s32 products in oneDNN.")
    var int8 = false

    /// Loads the model, after setting the products' precision (a bf16 refusal comes first).
    func load(store: Store) throws -> TrainedModel {
        try precision.apply()
        if int8 { try Int8Inference.enable() }
        let loaded = try TrainedModel.load(URL(fileURLWithPath: model), store: store, verifyBackbone: !noVerify)
        if let file = loaded.int8File { Log.info("int8 weights from \(file.path)") }
        if let policy = try LongTextOption.parse(longText) {
            do { try loaded.classifier.useLongText(policy) } catch let error as InvalidInput {
                throw InvalidInput("--long-text: \(error.description)")
            }
        }
        return loaded
    }

    /// The run the model came from (for its dataset and split), if `--model` is a run directory
    /// or a run's model/.
    var runDirectory: URL? {
        let url = URL(fileURLWithPath: model)
        for candidate in [url, url.deletingLastPathComponent()]
        where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("config.json").path)
            && FileManager.default.fileExists(atPath: candidate.appendingPathComponent("split.json").path) {
            return candidate
        }
        return nil
    }
}
