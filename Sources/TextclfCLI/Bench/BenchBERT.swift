import ArgumentParser
import Backbones
import Common
import Datasets
import Foundation
import Store
import TensorEngine

/// `textclf bench bert`: all-MiniLM-L6-v2 forward (inference) and forward+backward (all layers
/// trainable) in tokens per second, next to transformers' BertModel on the same batches with
/// torch.set_num_threads(2), run in the same invocation (scripts/torch_bert_bench.py).
struct BenchBERT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bert",
        abstract: "Time the BERT backbone (MiniLM) forward and backward against PyTorch.",
        discussion: """
        Cases: a fixed batch of 32 × 128 tokens (synthetic ids, no padding), and --sms-batches \
        batches of 8 SMS texts (the first 8·N of the sms-spam dataset in file order, [CLS] … [SEP], \
        at most 128 ids, each batch padded to its longest text). Inference runs without a tape; \
        training records a tape with every parameter trainable and dropout on, then backpropagates \
        d(hidden) = 0.01 everywhere. Each case is timed as one pass over its batches, --repeats \
        times after a warm-up; tokens/s counts real (unpadded) tokens over the median pass.

        With --precision bf16 our products take bf16 operands and the anchor runs under \
        torch.autocast("cpu", dtype=torch.bfloat16); --torch-precision fp32 keeps the anchor in fp32. \
        With --int8 only the inference cases run, our Linear layers in int8 (as `predict --int8`), \
        and the anchor is the same model after torch.ao.quantization.quantize_dynamic with \
        per-channel s8 weights; --torch-precision fp32 compares with the fp32 anchor instead.

        The anchor (scripts/torch_bert_bench.py, python3 with torch and transformers) runs the same \
        batches in the same invocation, one of its passes right after each of ours, so both see the \
        same load on a shared machine. ratio = the median over the pairs of torch seconds ÷ textclf \
        seconds (above 1: textclf is faster); ratio_best compares the best passes.

        JSON keys (one line per case): bench ("bert"), case, mode ("inference"/"training"), precision, \
        torch_precision, int8, torch_int8, \
        batches, batch_size, tokens, padded_tokens, repeats, median_s, best_s, tokens_per_s, and with \
        the anchor torch_median_s, torch_best_s, torch_tokens_per_s, ratio, ratio_best.

        Examples:
          textclf bench bert
          textclf bench bert --model ~/models/all-MiniLM-L6-v2 --repeats 3 --json
          textclf bench bert --int8                          # against quantize_dynamic
          textclf bench bert --int8 --torch-precision fp32   # against PyTorch fp32
        """
    )

    @Option(help: "A Hugging Face BERT directory (default: all-MiniLM-L6-v2 from the Store).")
    var model: String?

    @Option(help: "Timed passes per case (the median is reported).")
    var repeats = 5

    @Option(help: "Batches of 8 SMS texts in the dynamic-length cases.")
    var smsBatches = 16

    @Option(help: "Cases whose name contains this only (e.g. inference, training, sms, 32x128).")
    var only: String?

    @Option(help: "The anchor script (default: scripts/torch_bert_bench.py of this checkout).")
    var anchor: String?

    @Flag(help: "Do not run the PyTorch anchor.")
    var noAnchor = false

    @OptionGroup var precision: PrecisionOption

    @Option(help: ArgumentHelp("The anchor's precision (default: the same as --precision).", valueName: "fp32|bf16"))
    var torchPrecision: Precision?

    @Flag(help: "int8 Linear layers (inference cases only); the anchor uses quantize_dynamic unless --torch-precision is given.")
    var int8 = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard repeats >= 1, smsBatches >= 1 else { throw ValidationError("--repeats and --sms-batches must be at least 1") }
    }

    struct Case {
        let name: String
        let training: Bool
        let batches: [BackboneInput]
        var tokens: Int { batches.reduce(0) { $0 + $1.batch.lengths.reduce(0, +) } }
        var paddedTokens: Int { batches.reduce(0) { $0 + $1.batch.rowCount } }
    }

    /// The anchor's precision: --torch-precision, else ours.
    var anchorPrecision: Precision { torchPrecision ?? Matmul.precision }

    /// The anchor quantised with quantize_dynamic: with --int8, unless --torch-precision chose.
    var anchorInt8: Bool { int8 && torchPrecision == nil }

    func run() throws {
        try BLAS.ensureLoaded()
        try precision.apply()
        if int8 { try Int8Inference.enable() }
        let store = try self.store.makeStore()
        let directory = try model.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? store.resolveDirectory(.model("all-MiniLM-L6-v2"))
        let bert = try BERTModel.load(directory: directory)
        Log.info("model \(directory.path): \(bert.blockCount) layers, hidden \(bert.hiddenSize), \(bert.parameterCount) parameters")

        var generator = SplitMix64(seed: 1)
        let vocabulary = UInt64(bert.config.vocabSize)
        let fixed = try BackboneInput(sequences: (0..<32).map { _ in
            [101] + (0..<126).map { _ in 1000 + Int(generator.next() % (vocabulary - 1000)) } + [102]
        }, padID: bert.tokenizer.padTokenID)
        let texts = try SMSSpamDataset().load(using: store).sources.flatMap(\.examples).prefix(8 * smsBatches).map(\.text)
        let encoded = bert.tokenizer.encodeBatchForModel(Array(texts), maxLength: 128).map(\.ids)
        let sms = try stride(from: 0, to: encoded.count, by: 8).map {
            try BackboneInput(sequences: Array(encoded[$0 ..< min($0 + 8, encoded.count)]), padID: bert.tokenizer.padTokenID)
        }
        let cases = [
            Case(name: "inference 32x128", training: false, batches: [fixed]),
            Case(name: "inference sms b8", training: false, batches: sms),
            Case(name: "training sms b8", training: true, batches: sms),
            Case(name: "training 32x128", training: true, batches: [fixed]),
        ].filter { only.map($0.name.contains) ?? true }.filter { !(int8 && $0.training) }  // training is never quantised
        guard !cases.isEmpty else {
            throw InvalidInput("no case left to run: --only \(only ?? "") matches no case" + (int8 ? " that --int8 runs (inference only)" : ""))
        }

        // With the anchor, each timed pass of ours is followed by one of PyTorch's on the same
        // batches, so both see the same load on a shared machine; the ratio is the median of
        // the per-pair ratios.
        var torch: AnchorProcess?
        if !noAnchor {
            do { torch = try AnchorProcess(script: anchorScript, cases: cases, directory: directory,
                                                bf16: anchorPrecision == .bf16, int8: anchorInt8) } catch {
                Log.info("anchor not run: \(error)")
            }
        }
        for (index, benchCase) in cases.enumerated() {
            Log.info("\(benchCase.name) ...")
            var ours: [Double] = [], theirs: [Double] = []
            for run in 0...repeats {  // run 0 warms both up
                // A pause before each side's pass, so the other's idle threads (OpenBLAS and
                // OpenMP spin for a while after a parallel region) have gone to sleep.
                if torch != nil { usleep(200_000) }
                let start = DispatchTime.now()
                try pass(benchCase, bert)
                let seconds = BenchTiming.seconds(since: start)
                var torchSeconds: Double?
                if let process = torch {
                    usleep(200_000)
                    do { torchSeconds = try process.pass(index) } catch {
                        Log.info("anchor stopped: \(error)")
                        torch = nil
                    }
                }
                guard run > 0 else { continue }
                ours.append(seconds)
                if let torchSeconds { theirs.append(torchSeconds) }
            }
            report(benchCase, ours: ours, torch: theirs.count == ours.count ? theirs : [])
        }
        torch?.finish()
    }

    private func report(_ benchCase: Case, ours: [Double], torch: [Double]) {
        let median = BenchTiming.median(ours), best = ours.min()!
        let rate = Double(benchCase.tokens) / median
        var line: [String: Any] = [
            "bench": "bert", "case": benchCase.name, "mode": benchCase.training ? "training" : "inference",
            "precision": Matmul.precision.rawValue, "torch_precision": anchorPrecision.rawValue,
            "int8": int8, "torch_int8": anchorInt8,
            "batches": benchCase.batches.count, "batch_size": benchCase.batches[0].batch.batchSize,
            "tokens": benchCase.tokens, "padded_tokens": benchCase.paddedTokens, "repeats": repeats,
            "median_s": rounded(median, 4), "best_s": rounded(best, 4), "tokens_per_s": rounded(rate, 1),
        ]
        let label = benchCase.name.padding(toLength: 18, withPad: " ", startingAt: 0)
        var text = label + (int8 ? " int8" : "") + String(format: " textclf %8.1f tokens/s (median %.3f s, best %.3f s; %d tokens, %d padded)",
                                  rate, median, best, benchCase.tokens, benchCase.paddedTokens)
        if !torch.isEmpty {
            let torchMedian = BenchTiming.median(torch), torchBest = torch.min()!
            let ratio = BenchTiming.median(zip(ours, torch).map { $1 / $0 })
            line["torch_median_s"] = rounded(torchMedian, 4)
            line["torch_best_s"] = rounded(torchBest, 4)
            line["torch_tokens_per_s"] = rounded(Double(benchCase.tokens) / torchMedian, 1)
            line["ratio"] = rounded(ratio, 3)
            line["ratio_best"] = rounded(torchBest / best, 3)
            text += "\n" + String(repeating: " ", count: 18)
                + (anchorInt8 ? " int8" : "") + String(format: " torch   %8.1f tokens/s (median %.3f s, best %.3f s); ratio %.2fx (best vs best %.2fx)",
                         Double(benchCase.tokens) / torchMedian, torchMedian, torchBest, ratio, torchBest / best)
        }
        if output.json { JSONLines.emit(line) } else { print(text) }
    }

    /// One pass over the case's batches.
    private func pass(_ benchCase: Case, _ bert: BERTModel) throws {
        for input in benchCase.batches {
            if benchCase.training {
                let tape = Tape()
                let hidden = try bert.forward(input, tape: tape)
                tape.backward(from: hidden, gradient: Tensor(shape: hidden.shape, repeating: 0.01))
                for (_, parameter) in bert.namedParameters { parameter.zeroGrad() }
            } else {
                _ = try bert.forward(input, tape: nil)
            }
        }
    }

    private var anchorScript: String {
        anchor ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/torch_bert_bench.py").path
    }
}

/// scripts/torch_bert_bench.py, kept running: it loads the model and the cases once, then times
/// one pass of a case each time it is asked (a case index on its stdin, seconds on its stdout).
private final class AnchorProcess {
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffered = Data()
    private let file: URL

    init(script: String, cases: [BenchBERT.Case], directory: URL, bf16: Bool, int8: Bool) throws {
        guard FileManager.default.fileExists(atPath: script) else { throw BenchFailure("\(script) not found; pass --anchor FILE") }
        let spec: [String: Any] = [
            "model": directory.path,
            "bf16": bf16,
            "int8": int8,
            "cases": cases.map { benchCase in
                ["name": benchCase.name, "training": benchCase.training,
                 "batches": benchCase.batches.map { input -> [String: Any] in
                     let time = input.batch.time
                     return ["ids": (0..<input.batch.batchSize).map { b in input.tokenIDs[(b * time)..<((b + 1) * time)].map(Int.init) },
                             "lengths": input.batch.lengths]
                 }] as [String: Any]
            },
        ]
        file = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-bench-bert-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: spec).write(to: file)
        Log.info("starting anchor \(script) ...")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, file.path]
        process.standardInput = input
        process.standardOutput = output  // its stderr (load report, errors) goes straight to ours
        do { try process.run() } catch {
            try? FileManager.default.removeItem(at: file)
            throw BenchFailure("cannot start python3: \(error)")
        }
        guard try readLine() == "ready" else { throw BenchFailure("the anchor did not start (its messages are above)") }
    }

    /// Seconds of one pass over case `index`, timed by the anchor.
    func pass(_ index: Int) throws -> Double {
        input.fileHandleForWriting.write(Data("\(index)\n".utf8))
        guard let line = try readLine(), let seconds = Double(line) else {
            throw BenchFailure("the anchor stopped answering (its messages are above)")
        }
        return seconds
    }

    func finish() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: file)
    }

    private func readLine() throws -> String? {
        while true {
            if let newline = buffered.firstIndex(of: 0x0A) {
                let line = String(decoding: buffered[buffered.startIndex..<newline], as: UTF8.self)
                buffered = Data(buffered[(newline + 1)...])
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }  // end of file: the anchor exited
            buffered.append(chunk)
        }
    }

    deinit { try? FileManager.default.removeItem(at: file) }
}

private func rounded(_ x: Double, _ digits: Int) -> Double {
    let scale = pow(10, Double(digits))
    return (x * scale).rounded() / scale
}
