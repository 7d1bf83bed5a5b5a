import ArgumentParser
import Foundation
import Inference

/// `textclf debug logits`: a trained classifier's logits for texts, all in one padded batch,
/// with the token ids it read, for scripts/check_onnx_export.py to run the same batch elsewhere.
struct DebugLogits: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Write a classifier's token ids and logits for texts run as one padded batch.",
        discussion: """
        Reads JSON lines {"text": ...} on stdin, encodes them as predict does, runs them as one batch \
        right-padded with the tokenizer's pad id, and writes one line: {"pad_token_id", "labels", \
        "ids": [[...] per text], "logits": [[...] per text]}.

        Example:
          printf '{"text": "hello"}\\n{"text": "a longer text"}\\n' | textclf debug logits --model runs/RUN
        """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var store: StoreOptions

    func run() throws {
        let model = try modelOptions.load(store: store.makeStore())
        let (inputs, _) = try PredictCommand.parseLines(FileHandle.standardInput.readDataToEndOfFile(), source: "stdin")
        let ids = model.classifier.encode(inputs.map { $0["text"] as! String }).map(\.ids)
        let logits = try model.classifier.logits(tokens: ids, batchSize: max(1, ids.count))
        JSONLines.emit(["pad_token_id": model.tokenizer.padTokenID, "labels": model.labels,
                        "ids": ids.map { $0.map(Int.init) }, "logits": logits.map { $0.map(Double.init) }])
    }
}
