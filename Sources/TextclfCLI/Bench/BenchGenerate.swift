import ArgumentParser
import Backbones
import Foundation
import Training

/// `textclf bench generate`: greedy generation tokens/s with the KV cache, against
/// transformers' `generate(use_cache=True)` in the same run.
struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Measure GPT-2 generation tokens/s (KV cache) against PyTorch.",
        discussion: """
        Generates --new-tokens tokens greedily after --prompt (never stopping early at \
        <|endoftext|>), --repeats times, and reports new tokens per second of the median run \
        (prompt processing included, as in the anchor). Weights are random 124M unless --model \
        names a model or a directory; when --model is a Hugging Face directory the anchor loads the \
        same weights and the two runs' tokens are compared.

        The anchor is scripts/bench_gpt2_torch.py generate (GPT2LMHeadModel.generate with \
        do_sample=False, use_cache=True, 2 threads), run when python3 with torch is available.

        --json writes one line with keys: bench, prompt_tokens, new_tokens, repeats, median_seconds, \
        best_seconds, tokens_per_second, load_average, and when the anchor ran: torch_tokens_per_second, \
        ratio (of medians), ratio_best (best run against best run), same_tokens (only with the same weights).

        Examples:
          textclf bench generate
          textclf bench generate --model /path/to/gpt2-hf-dir --new-tokens 100 --json
        """)

    @Option(help: ArgumentHelp("GPT-2 name or directory (default: random 124M weights).", valueName: "name|dir"))
    var model: String?

    @Option(help: "The prompt.")
    var prompt = "Every effort moves you"

    @Option(help: "Tokens to generate per run.")
    var newTokens = 50

    @Option(help: "Timed runs; the median is reported.")
    var repeats = 3

    @OptionGroup var anchorOptions: GPT2AnchorOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard repeats >= 1, newTokens >= 1 else { throw ValidationError("--new-tokens and --repeats must be at least 1") }
    }

    func run() throws {
        let model = try BenchGPT2Model.load(model)
        let load = BenchGPT2Model.loadAverage
        let promptIDs = model.gpt2Tokenizer.encode(prompt)
        guard promptIDs.count + newTokens <= model.maxSequenceLength else {
            throw ValidationError("prompt + --new-tokens exceed the model's \(model.maxSequenceLength) positions")
        }
        Log.info("bench generate: \(model.name), \(promptIDs.count) prompt tokens + \(newTokens) new; load average \(load)")
        let options = GPT2GenerationOptions(maxNewTokens: newTokens, stopAtEndOfText: false)
        var ids: [Int] = []
        _ = try model.generate(promptIDs: promptIDs, options: options)  // warm-up
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now()
            ids = try model.generate(promptIDs: promptIDs, options: options).newIDs
            times.append(BenchTiming.seconds(since: start))
        }
        let median = BenchTiming.median(times), best = times.min()!
        let rate = Double(newTokens) / median

        var line: [String: Any] = [
            "bench": "generate", "prompt_tokens": promptIDs.count, "new_tokens": newTokens, "repeats": repeats,
            "median_seconds": BenchGPT2Model.rounded(median, 1000), "best_seconds": BenchGPT2Model.rounded(best, 1000),
            "tokens_per_second": BenchGPT2Model.rounded(rate, 10),
            "load_average": load,
        ]
        var lines = [String(format: "textclf  %6.1f tokens/s  (median %.3f s, best %.3f s for %d tokens after a %d-token prompt)",
                            rate, median, best, newTokens, promptIDs.count)]
        var arguments = ["generate", "--prompt-ids", promptIDs.map(String.init).joined(separator: ","),
                         "--new-tokens", "\(newTokens)", "--repeats", "\(repeats)"]
        let sameWeights = self.model.flatMap { GPT2WeightLayout.detect(in: URL(fileURLWithPath: $0)) } == .huggingFace
        if sameWeights, let directory = self.model { arguments += ["--model", directory] }
        if let generate = anchorOptions.run(arguments)?["generate"] {
            if let torchRate = generate["tokens_per_second"] as? Double, let torchBest = generate["best_seconds"] as? Double {
                line["torch_tokens_per_second"] = BenchGPT2Model.rounded(torchRate, 10)
                line["ratio"] = BenchGPT2Model.rounded(rate / torchRate)
                line["ratio_best"] = BenchGPT2Model.rounded(torchBest / best)
                lines.append(String(format: "PyTorch  %6.1f tokens/s  (median %.3f s, best %.3f s) → textclf/PyTorch %.2fx (best vs best %.2fx)",
                                    torchRate, Double(newTokens) / torchRate, torchBest, rate / torchRate, torchBest / best))
            }
            if sameWeights, let torchIDs = generate["ids"] as? [Int] {
                line["same_tokens"] = torchIDs == ids
                lines.append(torchIDs == ids ? "same tokens as transformers" : "tokens differ from transformers: \(torchIDs) vs \(ids)")
            }
        }
        if output.json { JSONLines.emit(line) } else { lines.forEach { print($0) } }
    }
}
