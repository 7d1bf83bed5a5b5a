import ArgumentParser
import Datasets
import Foundation
import Textclf

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

        The anchor (scripts/torch_bert_bench.py, python3 with torch and transformers) runs the same \
        batches after ours; ratio = textclf tokens/s ÷ torch tokens/s.

        JSON keys (one line per case): bench ("bert"), case, mode ("inference"/"training"), \
        batches, batch_size, tokens, padded_tokens, repeats, median_s, best_s, tokens_per_s, and with \
        the anchor torch_median_s, torch_best_s, torch_tokens_per_s, ratio (of the medians) and \
        ratio_best (of the best passes: steadier on a shared machine).

        Examples:
          textclf bench bert
          textclf bench bert --model ~/models/all-MiniLM-L6-v2 --repeats 3 --json
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

    func run() throws {
        try BLAS.ensureLoaded()
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
        ].filter { only.map($0.name.contains) ?? true }

        var results: [(Case, median: Double, best: Double)] = []
        for benchCase in cases {
            Log.info("textclf: \(benchCase.name) ...")
            let (median, best) = try time(benchCase, bert)
            results.append((benchCase, median, best))
        }
        var anchorTimes: [String: (median: Double, best: Double)] = [:]
        if !noAnchor {
            switch runAnchor(cases, directory: directory) {
            case .success(let times): anchorTimes = times
            case .failure(let reason): Log.info("anchor not run: \(reason.description)")
            }
        }
        for (benchCase, median, best) in results {
            let rate = Double(benchCase.tokens) / median
            var line: [String: Any] = [
                "bench": "bert", "case": benchCase.name, "mode": benchCase.training ? "training" : "inference",
                "batches": benchCase.batches.count, "batch_size": benchCase.batches[0].batch.batchSize,
                "tokens": benchCase.tokens, "padded_tokens": benchCase.paddedTokens, "repeats": repeats,
                "median_s": rounded(median, 4), "best_s": rounded(best, 4), "tokens_per_s": rounded(rate, 1),
            ]
            var text = String(format: "%-18@ textclf %9.1f tokens/s (median %.3f s, best %.3f s; %d tokens, %d padded)",
                              benchCase.name as NSString, rate, median, best, benchCase.tokens, benchCase.paddedTokens)
            if let torch = anchorTimes[benchCase.name] {
                let torchRate = Double(benchCase.tokens) / torch.median
                line["torch_median_s"] = rounded(torch.median, 4)
                line["torch_best_s"] = rounded(torch.best, 4)
                line["torch_tokens_per_s"] = rounded(torchRate, 1)
                line["ratio"] = rounded(rate / torchRate, 3)
                line["ratio_best"] = rounded(torch.best / best, 3)
                text += String(format: "; torch %9.1f tokens/s; ratio %.2fx (best vs best %.2fx)", torchRate, rate / torchRate, torch.best / best)
            }
            if output.json { JSONLines.emit(line) } else { print(text) }
        }
    }

    /// Median and best seconds of one pass over the case's batches.
    private func time(_ benchCase: Case, _ bert: BERTModel) throws -> (Double, Double) {
        var times: [Double] = []
        for run in 0...repeats {  // run 0 warms up
            let start = DispatchTime.now()
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
            if run > 0 { times.append(BenchTiming.seconds(since: start)) }
        }
        return (BenchTiming.median(times), times.min()!)
    }

    /// Writes the cases as JSON, runs the anchor on them, and reads its median seconds per case.
    private func runAnchor(_ cases: [Case], directory: URL) -> Result<[String: (median: Double, best: Double)], BenchFailure> {
        let script = anchor ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/torch_bert_bench.py").path
        guard FileManager.default.fileExists(atPath: script) else {
            return .failure(BenchFailure("\(script) not found; pass --anchor FILE"))
        }
        let spec: [String: Any] = [
            "model": directory.path, "repeats": repeats,
            "cases": cases.map { benchCase in
                ["name": benchCase.name, "training": benchCase.training,
                 "batches": benchCase.batches.map { input -> [String: Any] in
                     let time = input.batch.time
                     return ["ids": (0..<input.batch.batchSize).map { b in input.tokenIDs[(b * time)..<((b + 1) * time)].map(Int.init) },
                             "lengths": input.batch.lengths]
                 }] as [String: Any]
            },
        ]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-bench-bert-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            try JSONSerialization.data(withJSONObject: spec).write(to: file)
        } catch {
            return .failure(BenchFailure("cannot write the anchor's batches: \(error)"))
        }
        Log.info("running anchor \(script) ...")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, file.path]
        // The anchor's stderr (transformers' load report, errors) goes straight to ours.
        let stdout = Pipe()
        process.standardOutput = stdout
        do { try process.run() } catch { return .failure(BenchFailure("cannot start python3: \(error)")) }
        let text = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            return .failure(BenchFailure("anchor exited with \(process.terminationStatus) (its messages are above)"))
        }
        var times: [String: (median: Double, best: Double)] = [:]
        for line in text.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let name = object["name"] as? String, let median = object["median_s"] as? Double,
                  let best = object["best_s"] as? Double else { continue }
            times[name] = (median, best)
        }
        guard !times.isEmpty else { return .failure(BenchFailure("unexpected anchor output: \(text)")) }
        return .success(times)
    }
}

private func rounded(_ x: Double, _ digits: Int) -> Double {
    let scale = pow(10, Double(digits))
    return (x * scale).rounded() / scale
}
