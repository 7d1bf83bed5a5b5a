import ArgumentParser
import Foundation
import Inference
import TensorEngine

/// `textclf quantize RUN`: int8 weights saved beside the fp32 ones.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Save a trained classifier's dense layers in int8, beside its fp32 weights, for --int8 inference.",
        discussion: """
        Quantises every dense layer (the backbone's and the head's) as PyTorch's quantize_dynamic \
        does: symmetric s8 weights with one scale per output channel. The file, model-int8.safetensors \
        in the model directory, holds each weight as I8 under its own name with NAME_scale (F32, one \
        per output channel) beside it, and the SHA-256 of the weights it was made from.

        predict, evaluate and serve with --int8 then read it instead of quantising on load; \
        activations are still quantised per row at run time (u8), the products accumulate in s32 \
        (oneDNN). The fp32 weights stay, and a model retrained since is refused until quantised again.

        Output: with --json, one line with keys output, layers, bytes, float_bytes, seconds.

        Examples:
          textclf quantize runs/spam-20250101-120000
          textclf predict --model runs/spam-20250101-120000 --int8 --text "WINNER! Claim your prize"
        """
    )

    @Argument(help: ArgumentHelp("A run directory (its model/) or a model directory.", valueName: "run"))
    var source: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let start = DispatchTime.now()
        try Int8Inference.enable()
        let model = try Int8Inference.with(false) {  // the fp32 weights, not an earlier int8 file
            try TrainedModel.load(URL(fileURLWithPath: source), store: try store.makeStore())
        }
        let summary = try Int8Checkpoint.save(model)
        guard try Int8Checkpoint.load(into: model) == summary.layers else {
            throw RunFailure("\(summary.url.path) did not read back as the \(summary.layers) layers written")
        }
        let elapsed = (seconds(since: start) * 1000).rounded() / 1000
        if outputOptions.json {
            JSONLines.emit(["output": summary.url.path, "layers": summary.layers, "bytes": summary.bytes,
                            "float_bytes": summary.floatBytes, "seconds": elapsed])
        } else {
            Log.info(String(format: "%d dense layers in int8 → %@ (%.1f MB; %.1f MB in f32), %.2f s", summary.layers,
                            summary.url.path, Double(summary.bytes) / 1e6, Double(summary.floatBytes) / 1e6, elapsed))
        }
    }
}
