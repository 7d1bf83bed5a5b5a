import ArgumentParser
import Backbones
import Common
import Datasets
import Foundation
import TensorEngine

/// `textclf debug`: hidden tools for checking textclf against reference implementations
/// (not shown in `textclf --help`).
struct DebugCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug",
        abstract: "Tools for checking textclf against reference implementations.",
        shouldDisplay: false,
        subcommands: [DebugHiddenStates.self, DebugLogits.self]
    )
}

/// `textclf debug hidden-states`: every intermediate of a GPT-2 forward pass, written to a
/// safetensors file for scripts/check_gpt2_parity_full.py to compare with transformers.
struct DebugHiddenStates: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hidden-states",
        abstract: "Write a GPT-2's hidden states (and logits) for a batch of token ids to a safetensors file.",
        discussion: """
        Reads JSON lines {"ids": [...]} (one sequence each; `textclf tokenize` writes them), pads \
        the batch on the right with <|endoftext|>, runs the model without a tape, and writes float32 \
        tensors: lengths [B], embeddings, block_output.<i> (residual stream after block i), \
        last_hidden_state (after ln_f), each [B, T, C], and logits [B, T, vocab] unless --no-logits. \
        Positions t ≥ lengths[b] are padding (attention never looks at them); compare real ones only.

        Example:
          echo '{"ids": [6109, 3626, 6100, 345]}' | textclf debug hidden-states --model gpt2 --output out.safetensors
        """)

    @OptionGroup var modelOptions: GPT2ModelOptions

    @Option(help: "JSON lines {\"ids\": [...]} (default: stdin).")
    var input: String?

    @Option(help: "The safetensors file to write.")
    var output: String

    @Flag(help: "Do not compute the logits (batch × time × vocabulary floats).")
    var noLogits = false

    func run() throws {
        let model = try modelOptions.load()
        let sequences = try readSequences()
        let batchInput = try BackboneInput(sequences: sequences, padID: model.gpt2Tokenizer.endOfTextID)
        let (b, t, c) = (batchInput.batch.batchSize, batchInput.batch.time, model.hiddenSize)
        var writer = SafeTensorsWriter(metadata: ["model": model.name, "weights": model.source])
        try writer.add("lengths", shape: [b], values: sequences.map { Float($0.count) })
        var hidden = try model.embed(batchInput, tape: nil)
        try writer.add("embeddings", shape: [b, t, c], values: hidden.value.scalars)
        for i in 0..<model.blockCount {
            hidden = try model.block(i, hidden, batch: batchInput.batch, tape: nil)
            try writer.add("block_output.\(i)", shape: [b, t, c], values: hidden.value.scalars)
        }
        let last = try model.finalNorm(hidden, tape: nil)
        try writer.add("last_hidden_state", shape: [b, t, c], values: last.value.scalars)
        if !noLogits {
            let logits = try model.languageModelLogits(last, tape: nil).value
            try writer.add("logits", shape: [b, t, model.config.vocabSize], values: logits.scalars)
        }
        try writer.write(to: URL(fileURLWithPath: output))
        Log.info("\(model.name): \(b) sequences × \(t) positions → \(output)")
    }

    private func readSequences() throws -> [[Int]] {
        let name = input ?? "stdin"
        let data: Data
        if let input {
            guard let contents = FileManager.default.contents(atPath: input) else { throw InvalidInput("\(input): cannot be read") }
            data = contents
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        var sequences: [[Int]] = []
        for (number, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let ids = object["ids"] as? [Int], !ids.isEmpty else {
                throw InvalidInput("\(name), line \(number + 1): expected {\"ids\": [...]} with at least one id")
            }
            sequences.append(ids)
        }
        guard !sequences.isEmpty else { throw InvalidInput("\(name): no sequences") }
        return sequences
    }
}
