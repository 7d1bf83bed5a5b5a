import ArgumentParser
import Export
import Foundation
import Inference

/// `textclf export RUN --format onnx|safetensors --output PATH`.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a trained classifier as an ONNX graph or a standalone model directory.",
        discussion: """
        --format onnx writes one .onnx file (opset 17): inputs input_ids and attention_mask (int64, \
        [batch, sequence], right-padded, 1 for real tokens), output logits (float, [batch, labels]); the \
        backbone, the pooling and the head are in the graph, and the label names, tokenizer, max length, \
        pad token id, pooling and family in its metadata_props.

        --format safetensors writes a directory with every tensor (backbone and head), classifier.json, \
        the backbone's config.json and its tokenizer files, which `--model DIR` loads anywhere, without the \
        original backbone or the cache. It is checked by loading it back before it is put in place.

        A LoRA classifier (--trainable lora) keeps its adapters beside the pretrained weights; \
        --merge-lora folds them into the weights (W + alpha/r · B·A), so the exported model is a \
        plain one of the backbone's shape, as fast as the backbone alone. ONNX export always merges.

        Output: with --json, one line with keys format, output, bytes, nodes, initializers (onnx) or \
        files (safetensors), seconds.

        Examples:
          textclf export runs/spam-20250101-120000 --format onnx --output spam.onnx
          textclf export runs/spam-20250101-120000 --format safetensors --output models/spam
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case onnx, safetensors
    }

    @Argument(help: ArgumentHelp("A run directory (its model/) or a model directory.", valueName: "run"))
    var source: String

    @Option(help: "onnx or safetensors.")
    var format: Format

    @Option(help: ArgumentHelp("The .onnx file, or the directory for safetensors (replaced whole; new, empty, or an earlier export).", valueName: "path"))
    var output: String

    @Flag(help: "Fold LoRA adapters into the weights before writing (always done for onnx).")
    var mergeLora = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let start = DispatchTime.now()
        let store = try self.store.makeStore()
        let model = try TrainedModel.load(URL(fileURLWithPath: source), store: store)
        let url = URL(fileURLWithPath: output)
        var result: [String: Any] = ["format": format.rawValue, "output": url.path]
        if mergeLora || format == .onnx { result["merged_adapters"] = model.classifier.mergeAdapters() }
        switch format {
        case .onnx:
            let summary = try ONNXExport.write(model, to: url)
            result["bytes"] = summary.bytes
            result["nodes"] = summary.nodes
            result["initializers"] = summary.initializers
        case .safetensors:
            result["files"] = try StandaloneExport.write(model, to: url, store: store)
        }
        result["seconds"] = (seconds(since: start) * 1000).rounded() / 1000
        if outputOptions.json {
            JSONLines.emit(result)
        } else {
            let detail = format == .onnx ? "\(result["bytes"]!) bytes, \(result["nodes"]!) nodes" : "\((result["files"] as! [String]).joined(separator: ", "))"
            Log.info("\(model.source.name) classifier (\(model.labels.count) labels) → \(url.path) (\(detail))")
        }
    }
}
