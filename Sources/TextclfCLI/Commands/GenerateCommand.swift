import ArgumentParser
import Backbones
import Foundation

/// `textclf generate`: continue a prompt with GPT-2 (greedy by default, or sampled).
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a text with GPT-2.",
        discussion: """
        Greedy decoding by default (the most likely token each step); --temperature T > 0 samples \
        from softmax(logits / T), restricted to the --top-k most likely tokens if given, seeded by \
        --seed. Stops after --max-new-tokens tokens, at <|endoftext|>, or when the context (1024 \
        positions) is full. Keys and values of past positions are cached, so each new token costs \
        one position's work (--no-cache recomputes everything, for checking).

        Prints the prompt and its continuation as they are generated; timing goes to stderr.
        --json writes one line with keys: model, prompt, prompt_ids, ids (the new tokens), text \
        (the continuation, without a final <|endoftext|>), stop_reason ("max_new_tokens", \
        "end_of_text", "context_full"), new_tokens, load_seconds, seconds, tokens_per_second.

        Examples:
          textclf generate "Every effort moves you"
          textclf generate --model gpt2-medium --max-new-tokens 40 --temperature 0.8 --top-k 40 --seed 1 "Hello"
          textclf generate --model /path/to/openai/124M --json "Every effort moves you"
        """)

    @Argument(help: "The prompt (empty: start from <|endoftext|>).")
    var prompt: String

    @OptionGroup var modelOptions: GPT2ModelOptions

    @Option(help: "Stop after this many new tokens.")
    var maxNewTokens = 25

    @Option(help: "0 for greedy decoding; above 0, sample with this temperature.")
    var temperature: Float = 0

    @Option(help: "When sampling, draw only from the k most likely tokens.")
    var topK: Int?

    @Option(help: "Seed of the sampling.")
    var seed: UInt64 = 0

    @Flag(help: "Recompute every position at each step instead of using the KV cache.")
    var noCache = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard maxNewTokens >= 0 else { throw ValidationError("--max-new-tokens must be at least 0") }
        try NumericCheck.nonNegative(temperature, "--temperature")
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1") }
    }

    func run() throws {
        let loadStart = DispatchTime.now()
        let model = try modelOptions.load()
        let loadSeconds = seconds(since: loadStart)
        if output.verbose { Log.info("\(model.name): \(model.config), weights \(model.source), vocabulary \(model.gpt2Tokenizer.source)") }
        let options = GPT2GenerationOptions(maxNewTokens: maxNewTokens, temperature: temperature, topK: topK, seed: seed,
                                            useCache: !noCache)
        let tokenizer = model.gpt2Tokenizer
        if !output.json { FileHandle.standardOutput.write(Data(prompt.utf8)) }
        let start = DispatchTime.now()
        let (text, generation) = try model.generate(prompt, options: options) { id in
            // Token bytes as they come; a character split over two tokens completes on the terminal.
            guard !output.json, id != tokenizer.endOfTextID, let bytes = tokenizer.tokenBytes(for: id) else { return }
            FileHandle.standardOutput.write(Data(bytes))
        }
        let seconds = seconds(since: start)
        let rate = Double(generation.newIDs.count) / max(seconds, 1e-9)
        if output.json {
            JSONLines.emit([
                "model": model.name, "prompt": prompt, "prompt_ids": tokenizer.encode(prompt), "ids": generation.newIDs,
                "text": text, "stop_reason": generation.stopReason.rawValue, "new_tokens": generation.newIDs.count,
                "load_seconds": (loadSeconds * 1000).rounded() / 1000, "seconds": (seconds * 1000).rounded() / 1000,
                "tokens_per_second": (rate * 10).rounded() / 10,
            ])
        } else {
            FileHandle.standardOutput.write(Data("\n".utf8))
            Log.info(String(format: "%d tokens in %.2f s (%.1f tokens/s), stopped: %@; model loaded in %.2f s",
                            generation.newIDs.count, seconds, rate, generation.stopReason.rawValue, loadSeconds))
        }
    }
}
