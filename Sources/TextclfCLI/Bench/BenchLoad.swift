import ArgumentParser
import Backbones
import Datasets
import Foundation
import TensorEngine
import Training

/// `textclf bench load`: time and peak memory of loading a GPT-2 (and optionally of one
/// fine-tuning step), for scripts/measure_gpt2_memory.sh.
struct BenchLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Measure loading a GPT-2 (time, peak memory), optionally with one training step.",
        discussion: """
        Loads --model (weights memory-mapped, not copied), reads every weight once (so each page \
        of the file is really in memory) and runs a forward pass of 8 tokens. With --train-step it \
        then makes one fine-tuning step on a batch of 8 × 120 tokens: only the last block and ln_f \
        trainable, forward and backward, and an SGD update of the trainable weights (which gives \
        them their own memory, as any optimiser would). Peak resident memory is the process's \
        (getrusage); scripts/measure_gpt2_memory.sh runs this under /usr/bin/time -v.

        --json writes one line with keys: bench, model, parameters, load_seconds, touch_seconds, \
        train_step_seconds (with --train-step), max_rss_mb, mapped_parameters.

        Example:
          textclf bench load --model /path/to/gpt2 --train-step
        """)

    @Option(help: ArgumentHelp("GPT-2 name or directory.", valueName: "name|dir"))
    var model: String

    @Flag(help: "Also make one fine-tuning step (last block + ln_f trainable, batch 8 × 120).")
    var trainStep = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        var start = DispatchTime.now()
        let model = try GPT2Model.load(model)
        let loadSeconds = BenchTiming.seconds(since: start)
        start = DispatchTime.now()
        var checksum = 0.0
        for (_, parameter) in model.namedParameters {
            parameter.value.withUnsafeBufferPointer { values in checksum += Double(values.reduce(0, +)) }
        }
        _ = try model.forward(BackboneInput(sequences: [Array(0..<8)], padID: 0), tape: nil)
        let touchSeconds = BenchTiming.seconds(since: start)

        var line: [String: Any] = [
            "bench": "load", "model": model.name, "parameters": model.parameterCount,
            "load_seconds": BenchGPT2Model.rounded(loadSeconds, 1000), "touch_seconds": BenchGPT2Model.rounded(touchSeconds, 1000),
        ]
        if trainStep {
            for parameter in model.namedParameters.map(\.parameter) { parameter.setRequiresGrad(false) }
            let trainable = model.units.filter { $0.kind == .block(model.blockCount - 1) || $0.kind == .finalNorm }.flatMap(\.parameters)
            for parameter in trainable { parameter.setRequiresGrad(true) }
            let batch = try PaddedBatch(batchSize: 8, time: 120)
            let input = try BackboneInput(tokenIDs: BenchGPT2Model.randomTokens(count: batch.rowCount, vocabulary: model.gpt2Tokenizer.vocabularySize),
                                          batch: batch)
            start = DispatchTime.now()
            let tape = Tape()
            let out = try model.forward(input, tape: tape)
            tape.backward(from: out, gradient: Tensor(shape: out.shape, repeating: 1e-3))
            for parameter in trainable {
                guard let grad = parameter.grad else { continue }
                Kernels.axpy(parameter.value.mutablePointer, alpha: -1e-4, grad.pointer, count: grad.count)
            }
            line["train_step_seconds"] = BenchGPT2Model.rounded(BenchTiming.seconds(since: start), 1000)
        }
        // Tensors still read from the file (a training step gives the trained ones their own copy).
        let mapped = model.namedParameters.filter { $0.parameter.value.isBorrowed }.count
        line["mapped_parameters"] = mapped
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        line["max_rss_mb"] = BenchGPT2Model.rounded(Double(usage.ru_maxrss) / 1024, 10)
        if output.json {
            JSONLines.emit(line)
        } else {
            print(String(format: "%@: %d parameters (%d of %d tensors still mapped from the file at the end); load %.3f s, read all + forward %.3f s%@; max RSS %.1f MB (checksum %.3g)",
                         model.name, model.parameterCount, mapped, model.namedParameters.count, loadSeconds, touchSeconds,
                         (line["train_step_seconds"] as? Double).map { String(format: ", train step %.3f s", $0) } ?? "",
                         Double(usage.ru_maxrss) / 1024, checksum))
        }
    }
}
