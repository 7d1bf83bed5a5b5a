import ArgumentParser
import Backbones
import Foundation
import TensorEngine

/// `textclf bench forward`: GPT-2 124M forward (inference) and the fine-tuning step's forward +
/// backward through the last block, in tokens/s, against transformers in the same run.
struct BenchForward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Measure GPT-2 forward (and last-block backward) tokens/s against PyTorch.",
        discussion: """
        Passes (median of --repeats runs after one warm-up, batch --batch-size × --time tokens, \
        every sequence full length):
          inference   forward without a tape, like transformers' GPT2Model under torch.no_grad()
          last-block  the fine-tuning case: every parameter frozen but the last block's and ln_f's;
                      forward through all blocks with a tape, backward from the last hidden states
                      (gradient of ones)
        The weights are random 124M unless --model names a model or a directory (speed does not \
        depend on their values). "matmul limit" is the time the layers' matrix products (c_attn, \
        attn.c_proj, c_fc, mlp.c_proj; attention's small per-head products not included) take as \
        single sgemm calls measured here: the share of the pass they are is how close to the BLAS \
        limit the pass runs.

        Then runs scripts/bench_gpt2_torch.py forward (PyTorch + transformers, 2 threads) when \
        python3 with torch is available, and prints textclf/PyTorch ratios. The 1-minute load \
        average is printed: the machine may be shared.

        --json writes one line per pass with keys: bench, pass, batch_size, time, tokens, repeats, \
        median_seconds, best_seconds, tokens_per_second, matmul_limit_seconds, matmul_share, \
        load_average, and when the anchor ran: torch_tokens_per_second, ratio (of medians), ratio_best \
        (best run against best run).

        Examples:
          textclf bench forward
          textclf bench forward --model /path/to/gpt2 --pass last-block --repeats 3 --json
        """)

    enum Pass: String, ExpressibleByArgument, CaseIterable {
        case inference, lastBlock = "last-block", both
    }

    @Option(help: ArgumentHelp("GPT-2 name or directory (default: random 124M weights).", valueName: "name|dir"))
    var model: String?

    @Option(help: "Which pass to time: inference, last-block or both.")
    var pass: Pass = .both

    @Option(help: "Sequences per batch.")
    var batchSize = 8

    @Option(help: "Tokens per sequence.")
    var time = 120

    @Option(help: "Timed runs per pass; the median is reported.")
    var repeats = 7

    @OptionGroup var anchorOptions: GPT2AnchorOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard repeats >= 1, batchSize >= 1, time >= 1 else { throw ValidationError("sizes and --repeats must be at least 1") }
    }

    func run() throws {
        let model = try BenchGPT2Model.load(model)
        guard time <= model.maxSequenceLength else { throw ValidationError("--time is longer than the model's \(model.maxSequenceLength) positions") }
        let load = BenchGPT2Model.loadAverage
        let batch = try PaddedBatch(batchSize: batchSize, time: time)
        let input = try BackboneInput(tokenIDs: BenchGPT2Model.randomTokens(count: batch.rowCount, vocabulary: model.gpt2Tokenizer.vocabularySize), batch: batch)
        let tokens = Double(batch.rowCount)
        Log.info("bench forward: \(model.name), \(model.config); batch \(batchSize) × \(time); load average \(load)")

        // Each layer's matrix products as single sgemm calls of the same shapes.
        let c = model.hiddenSize, inner = model.config.innerSize, rows = batch.rowCount
        let layerShapes = [(rows, c, 3 * c), (rows, c, c), (rows, c, inner), (rows, inner, c)]
        var perLayer = 0.0
        for (m, k, n) in layerShapes { perLayer += try BLAS.measureSgemm(m: m, k: k, n: n, repeats: 5).medianSeconds }

        var results: [(pass: Pass, median: Double, best: Double, limit: Double)] = []
        if pass != .lastBlock {
            let times = try measure { _ = try model.forward(input, tape: nil) }
            results.append((.inference, BenchTiming.median(times), times.min()!, Double(model.blockCount) * perLayer))
        }
        if pass != .inference {
            for parameter in model.namedParameters.map(\.parameter) { parameter.setRequiresGrad(false) }
            let trainable = model.units.filter { $0.kind == .block(model.blockCount - 1) || $0.kind == .finalNorm }.flatMap(\.parameters)
            for parameter in trainable { parameter.setRequiresGrad(true) }
            let times = try measure {
                for parameter in trainable { parameter.grad = nil }
                let tape = Tape()
                let out = try model.forward(input, tape: tape)
                tape.backward(from: out, gradient: Tensor(shape: out.shape, repeating: 1))
            }
            // Forward through every block, then dX and dW products of the last block.
            results.append((.lastBlock, BenchTiming.median(times), times.min()!, Double(model.blockCount + 2) * perLayer))
        }

        var arguments = ["forward", "--batch-size", "\(batchSize)", "--time", "\(time)", "--repeats", "\(repeats)"]
        if let directory = huggingFaceDirectory { arguments += ["--model", directory] }
        let torch = anchorOptions.run(arguments) ?? [:]

        for result in results {
            let rate = tokens / result.median
            var line: [String: Any] = [
                "bench": "forward", "pass": result.pass.rawValue, "batch_size": batchSize, "time": time, "tokens": batch.rowCount,
                "repeats": repeats, "median_seconds": BenchGPT2Model.rounded(result.median, 1000),
                "best_seconds": BenchGPT2Model.rounded(result.best, 1000), "tokens_per_second": BenchGPT2Model.rounded(rate, 10),
                "matmul_limit_seconds": BenchGPT2Model.rounded(result.limit, 1000),
                "matmul_share": BenchGPT2Model.rounded(result.limit / result.median), "load_average": load,
            ]
            var text = result.pass.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                + String(format: "  %7.1f tokens/s  (median %.3f s, best %.3f s; matmuls at BLAS speed %.3f s = %.0f%%)", rate, result.median, result.best, result.limit, 100 * result.limit / result.median)
            if let anchor = torch[result.pass.rawValue], let torchRate = anchor["tokens_per_second"] as? Double,
               let torchBest = anchor["best_seconds"] as? Double {
                // Best against best as well: on a shared machine the fastest run is the least disturbed one.
                let bestRatio = torchBest / result.best
                line["torch_tokens_per_second"] = BenchGPT2Model.rounded(torchRate, 10)
                line["ratio"] = BenchGPT2Model.rounded(rate / torchRate)
                line["ratio_best"] = BenchGPT2Model.rounded(bestRatio)
                text += String(format: "\n  PyTorch   %7.1f tokens/s  (median %.3f s, best %.3f s) → textclf/PyTorch %.2fx (best vs best %.2fx)",
                               torchRate, tokens / torchRate, torchBest, rate / torchRate, bestRatio)
            }
            if output.json { JSONLines.emit(line) } else { print(text) }
        }
    }

    /// Wall times of `repeats` runs after one warm-up.
    private func measure(_ body: () throws -> Void) rethrows -> [Double] {
        try body()
        return try (0..<repeats).map { _ in
            let start = DispatchTime.now()
            try body()
            return BenchTiming.seconds(since: start)
        }
    }

    /// The anchor loads the same weights when they are Hugging Face files in a directory.
    private var huggingFaceDirectory: String? {
        guard let model, GPT2WeightLayout.detect(in: URL(fileURLWithPath: model)) == .huggingFace else { return nil }
        return model
    }
}
