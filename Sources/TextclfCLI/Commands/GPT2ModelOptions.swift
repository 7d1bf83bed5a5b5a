import ArgumentParser
import Backbones
import Foundation
import Store
import Tokenizers

/// `--model NAME|DIR` and `--random-weights` of the commands that run GPT-2.
struct GPT2ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        GPT-2 by name (gpt2, gpt2-medium, gpt2-large, gpt2-xl, or 124M, 355M, 774M, 1558M), found by \
        the Store, or a directory holding Hugging Face (config.json, model.safetensors) or OpenAI \
        (hparams.json, model.ckpt.*) files.
        """, valueName: "name|dir"))
    var model = "gpt2"

    @Flag(help: "Use randomly initialised weights (seeded, Hugging Face's init) of --model's size instead of its weights.")
    var randomWeights = false

    @Option(help: "Seed of --random-weights.")
    var weightSeed: UInt64 = 0

    func load() throws -> GPT2Model {
        guard randomWeights else { return try GPT2Model.load(model) }
        let directory = URL(fileURLWithPath: model, isDirectory: true)
        if FileManager.default.fileExists(atPath: directory.path) {
            // The directory's sizes and vocabulary, not its weights.
            let tokenizer = try? GPT2Tokenizer.load(directory: directory)
            return try GPT2Model.randomlyInitialized(config: GPT2Config.load(directory: directory), seed: weightSeed,
                                                     tokenizer: tokenizer, name: directory.lastPathComponent + " (random)")
        }
        guard let config = GPT2Config.named(model) else {
            throw ValidationError("--random-weights needs a GPT-2 size (\(GPT2ModelName.knownNames.joined(separator: ", "))) or a model directory, not '\(model)'")
        }
        return try GPT2Model.randomlyInitialized(config: config, seed: weightSeed, name: model + " (random)")
    }
}
