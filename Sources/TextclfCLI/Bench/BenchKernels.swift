import ArgumentParser
import Backbones
import Common
import Foundation
import TensorEngine
import Training

/// `textclf bench kernels`: forward and backward time of each TensorEngine op at GPT-2 small
/// training shapes (batch 8 × 120 tokens, 768 channels, 12 heads), and of a whole block.
struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Time each tensor-engine op (forward and backward) at GPT-2 shapes.",
        discussion: """
        Reports the median of --repeats runs per op. "after_gemm" rows time the same
        element-wise op right after an sgemm, to show whether OpenBLAS's idle threads
        (spinning for 2^OPENBLAS_THREAD_TIMEOUT cycles) slow our own parallel kernels.

        JSON keys (one line per op): bench, op, pass ("forward"/"backward"), median_ms,
        gflops (matmul-bound ops) or gbytes_per_s (element-wise), repeats.

        --variants times every op once per element-wise implementation: swift (the Swift
        loops, compiled for baseline x86-64) and CKernels' default, avx2 and avx512f
        builds ("all": each this CPU runs; "best": what runs by default). Each line then
        names its variant and gives ns per element (keys variant, ns_per_element), and a
        last table gives each op's speed-up over the Swift loops.

        Examples:
          textclf bench kernels
          textclf bench kernels --variants all --only elementwise
          OPENBLAS_THREAD_TIMEOUT=28 textclf bench kernels --json
        """)

    @OptionGroup var output: OutputOptions

    @Option(help: "Timed runs per op (the median is reported).")
    var repeats = 9

    @Option(help: "Sequences per batch.")
    var batchSize = 8

    @Option(help: "Tokens per sequence.")
    var time = 120

    @Option(help: "Attention threading: per-head (our workers, 1-thread BLAS each) or phased.")
    var attentionSchedule = "per-head"

    @Option(help: "Run only the ops whose name contains this (e.g. attention, block, elementwise).")
    var only: String?

    @Option(help: "Element-wise code, comma-separated: swift, default, avx2, avx512f, best, all.")
    var variants = "best"

    /// The variants asked for, in order: nil stands for the Swift loops.
    func parsedVariants() throws -> [VectorISA?] {
        var result: [VectorISA?] = []
        for name in variants.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            switch name {
            case "swift": result.append(nil)
            case "best": result.append(VectorISA.best)
            case "all": result += [nil] + VectorISA.allCases.filter(\.isSupported).map { Optional($0) }
            default:
                guard let isa = VectorISA.allCases.first(where: { $0.description == name }) else {
                    throw ValidationError("--variants: '\(name)' is not one of swift, default, avx2, avx512f, best, all")
                }
                guard isa.isSupported else { throw ValidationError("--variants: this CPU does not run \(name)") }
                result.append(isa)
            }
        }
        return result
    }

    func validate() throws {
        guard ["per-head", "phased"].contains(attentionSchedule) else {
            throw ValidationError("--attention-schedule must be per-head or phased")
        }
        guard repeats >= 1, batchSize >= 1, time >= 1 else { throw ValidationError("sizes and --repeats must be at least 1") }
        _ = try parsedVariants()
    }

    func run() throws {
        try BLAS.ensureLoaded()
        AttentionKernel.schedule = attentionSchedule == "phased" ? .phased : .perHead
        let (c, heads) = (768, 12)
        let batch = try PaddedBatch(batchSize: batchSize, time: time)
        let rows = batch.rowCount
        var generator = SplitMix64(seed: 1)
        func param(_ name: String, _ shape: [Int], scale: Float = 0.02) -> Parameter {
            Parameter(name: name, value: Tensor.random(shape: shape, seed: generator.next(), scale: scale))
        }
        func input(_ shape: [Int]) -> Variable {
            Variable(Tensor.random(shape: shape, seed: generator.next()), requiresGrad: true)
        }

        let x = input([rows, c]), wide = input([rows, 4 * c]), qkv = input([rows, 3 * c])
        let lnW = param("ln.weight", [c], scale: 1), lnB = param("ln.bias", [c])
        let fcW = param("c_fc.weight", [c, 4 * c]), fcB = param("c_fc.bias", [4 * c])
        let tokens = (0..<rows).map { _ in Int32(generator.next() % 50257) }
        let wte = param("wte.weight", [50257, c]), wpe = param("wpe.weight", [1024, c])

        let headDim = Double(c / heads)
        let attentionFlops = 4 * Double(batchSize * heads) * Double(time * time) * headDim
        var dropoutGenerator = DropoutGenerator(seed: 3)
        let probabilityCount = batchSize * heads * time * time
        let cases: [(String, Double, Double, (Tape?) throws -> Variable)] = [
            // name, forward flops, bytes moved (forward), op
            ("embedding", 0, Double(3 * rows * c * 4), { try Ops.embedding(tokens: tokens, batch: batch, tokenTable: wte, positionTable: wpe, tape: $0) }),
            ("layerNorm", 0, Double(2 * rows * c * 4), { Ops.layerNorm(x, weight: lnW, bias: lnB, eps: 1e-5, tape: $0) }),
            ("linear c_fc", 2 * Double(rows * c * 4 * c), 0, { Ops.linear(x, weight: fcW, bias: fcB, layout: .inOut, tape: $0) }),
            ("gelu tanh", 0, Double(2 * rows * 4 * c * 4), { Ops.gelu(wide, kind: .tanh, tape: $0) }),
            ("gelu erf", 0, Double(2 * rows * 4 * c * 4), { Ops.gelu(wide, kind: .erf, tape: $0) }),
            ("tanh", 0, Double(2 * rows * c * 4), { Ops.tanh(x, tape: $0) }),
            ("dropout", 0, Double(2 * rows * 4 * c * 4), { Ops.dropout(wide, rate: 0.1, generator: &dropoutGenerator, tape: $0 ?? Tape()) }),
            ("attention", attentionFlops, 0, { Ops.attention(qkv: qkv, batch: batch, heads: heads, causal: true, tape: $0) }),
            ("attention dropout", attentionFlops, 0, {
                Ops.attention(qkv: qkv, batch: batch, heads: heads, causal: true, dropout: 0.1, generator: &dropoutGenerator, tape: $0 ?? Tape())
            }),
            ("add", 0, Double(3 * rows * c * 4), { Ops.add(x, x, tape: $0) }),
        ]
        // Elements each op's element-wise work touches (ns per element in --variants reports).
        let elements: [String: Int] = ["embedding": rows * c, "layerNorm": rows * c, "gelu tanh": rows * 4 * c, "gelu erf": rows * 4 * c,
                                       "tanh": rows * c, "dropout": rows * 4 * c, "attention": probabilityCount,
                                       "attention dropout": probabilityCount, "add": rows * c, "softmax": probabilityCount,
                                       "adamw": 4 * c * c]
        func selected(_ name: String) -> Bool {
            guard let only else { return true }
            return only == "elementwise" ? elements[name] != nil : name.contains(only)
        }
        let variantList = try parsedVariants()
        let perVariant = variantList != [VectorISA.best]
        defer { VectorKernels.swiftReference = false; VectorKernels.use(.best) }
        var table: [String: [String: Double]] = [:]
        for variant in variantList {
            if let variant { VectorKernels.swiftReference = false; VectorKernels.use(variant) } else { VectorKernels.swiftReference = true }
            let variantName = variant?.description ?? "swift"
            func report(_ op: String, _ pass: String, _ seconds: Double, flops: Double, bytes: Double) {
                let count = perVariant ? elements[op] : nil
                self.report(op, pass, seconds, flops: flops, bytes: bytes, variant: perVariant ? variantName : nil, elements: count)
                if let count { table[op + " " + pass, default: [:]][variantName] = seconds * 1e9 / Double(count) }
            }
            for (name, flops, bytes, op) in cases where selected(name) {
                let forward = try median { _ = try op(nil) }
                var backwardTimes: [Double] = []
                for _ in 0..<(repeats + 1) {
                    let tape = Tape()
                    let out = try op(tape)
                    let gradient = Tensor(shape: out.shape, repeating: 0.01)
                    let start = DispatchTime.now().uptimeNanoseconds
                    tape.backward(from: out, gradient: gradient)
                    backwardTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                    for v in [x, wide, qkv] { v.grad = nil }
                }
                let backward = GEMMMeasurement.medianOf(Array(backwardTimes.dropFirst()))
                report(name, "forward", forward, flops: flops, bytes: bytes)
                report(name, "backward", backward, flops: 2 * flops, bytes: 2 * bytes)
            }

            // Row softmax over attention-shaped scores ([B·H·T, T]; Ops.softmax copies them first).
            if selected("softmax") {
                let scores = Tensor.random(shape: [batchSize * heads * time, time], seed: 8, scale: 4)
                report("softmax", "forward", try median { _ = Ops.softmax(scores) }, flops: 0, bytes: Double(3 * probabilityCount * 4))
            }
            // One AdamW step over a 4C×C matrix (c_fc's weight; 4 loads, 3 stores per element).
            if selected("adamw") {
                let weight = param("adamw.weight", [4 * c, c])
                weight.grad = Tensor.random(shape: weight.shape, seed: 9, scale: 0.01)
                let optimizer = AdamW(learningRate: 1e-4)
                optimizer.step([weight])
                report("adamw", "step", try median { optimizer.step([weight]) }, flops: 0, bytes: Double(7 * 4 * c * c * 4))
            }
            // Contention: the same GELU right after a 960×768×3072 product.
            if selected("gelu tanh after") {
                let a = Tensor.random(shape: [rows, c], seed: 5), b = Tensor.random(shape: [c, 4 * c], seed: 6)
                let product = Tensor(zeros: [rows, 4 * c])
                let afterGemm = try median(setup: {
                    Matmul.gemm(transposeA: false, transposeB: false, m: rows, n: 4 * c, k: c, a: a.pointer, lda: c,
                                b: b.pointer, ldb: 4 * c, beta: 0, c: product.mutablePointer, ldc: 4 * c)
                }) { _ = Ops.gelu(wide, kind: .tanh, tape: nil) }
                let afterIdle = try median(setup: { usleep(300_000) }) { _ = Ops.gelu(wide, kind: .tanh, tape: nil) }
                report("gelu tanh after_gemm", "forward", afterGemm, flops: 0, bytes: Double(2 * rows * 4 * c * 4))
                report("gelu tanh after_idle", "forward", afterIdle, flops: 0, bytes: Double(2 * rows * 4 * c * 4))
                withExtendedLifetime((a, b, product)) {}
            }

            // One GPT-2 block, everything trainable: forward with tape, then backward.
            guard selected("gpt2 block") else { continue }
            let block = BlockWeights(c: c, heads: heads, param: param)
            let blockForward = try median { _ = try block.forward(x, batch: batch, tape: nil) }
            var blockTimes: [Double] = []
            for _ in 0..<(repeats + 1) {
                let start = DispatchTime.now().uptimeNanoseconds
                let tape = Tape()
                let out = try block.forward(x, batch: batch, tape: tape)
                tape.backward(from: out, gradient: Tensor(shape: out.shape, repeating: 0.01))
                blockTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                x.grad = nil
            }
            let blockFlops = 2 * Double(rows) * Double(c * 3 * c + c * c + 8 * c * c) + attentionFlops
            report("gpt2 block", "forward", blockForward, flops: blockFlops, bytes: 0)
            report("gpt2 block", "forward+backward", GEMMMeasurement.medianOf(Array(blockTimes.dropFirst())), flops: 3 * blockFlops, bytes: 0)
        }
        if perVariant && !output.json { printSpeedups(table, variants: variantList.map { $0?.description ?? "swift" }) }
    }

    /// ns per element of each op under each variant, and the Swift loops' time over each.
    private func printSpeedups(_ table: [String: [String: Double]], variants: [String]) {
        print("\nns per element" + (variants.contains("swift") ? " (× = the Swift loops' time over this one)" : ""))
        print("op".padding(toLength: 28, withPad: " ", startingAt: 0) + variants.map { $0.padding(toLength: 16, withPad: " ", startingAt: 0) }.joined())
        for (op, times) in table.sorted(by: { $0.key < $1.key }) {
            var line = op.padding(toLength: 28, withPad: " ", startingAt: 0)
            for variant in variants {
                guard let ns = times[variant] else { line += String(repeating: " ", count: 16); continue }
                let ratio = times["swift"].map { String(format: " %4.1f×", $0 / ns) } ?? ""
                line += (String(format: "%7.3f", ns) + (variant == "swift" ? "" : ratio)).padding(toLength: 16, withPad: " ", startingAt: 0)
            }
            print(line)
        }
    }

    private func median(setup: () -> Void = {}, _ body: () throws -> Void) throws -> Double {
        var times: [Double] = []
        for _ in 0..<(repeats + 1) {
            setup()
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return GEMMMeasurement.medianOf(Array(times.dropFirst()))
    }

    private func report(_ op: String, _ pass: String, _ seconds: Double, flops: Double, bytes: Double,
                        variant: String? = nil, elements: Int? = nil) {
        var line: [String: Any] = ["bench": "kernels", "op": op, "pass": pass,
                                   "median_ms": (seconds * 1e5).rounded() / 100, "repeats": repeats]
        if let variant { line["variant"] = variant }
        if let elements { line["ns_per_element"] = (seconds * 1e12 / Double(elements)).rounded() / 1000 }
        var rate = ""
        if flops > 0 {
            line["gflops"] = (flops / seconds / 1e8).rounded() / 10
            rate = String(format: "%7.1f GFLOP/s", flops / seconds / 1e9)
        } else if bytes > 0 {
            line["gbytes_per_s"] = (bytes / seconds / 1e8).rounded() / 10
            rate = String(format: "%7.1f GB/s", bytes / seconds / 1e9)
        }
        if output.json {
            JSONLines.emit(line)
        } else {
            let ns = elements.map { String(format: "  %7.3f ns/element", seconds * 1e9 / Double($0)) } ?? ""
            print("\(op.padding(toLength: 22, withPad: " ", startingAt: 0)) \(pass.padding(toLength: 17, withPad: " ", startingAt: 0))"
                  + (variant.map { $0.padding(toLength: 9, withPad: " ", startingAt: 0) } ?? "")
                  + String(format: "%8.2f ms ", seconds * 1e3) + rate + ns)
        }
    }
}

/// One GPT-2 block (Backbones' own `GPT2Block`) with random weights at these sizes.
private struct BlockWeights {
    let block: GPT2Block

    init(c: Int, heads: Int, param: (String, [Int], Float) -> Parameter) {
        func conv(_ name: String, _ inputs: Int, _ outputs: Int) -> Linear {
            Linear(weight: param(name + ".weight", [inputs, outputs], 0.02), bias: param(name + ".bias", [outputs], 0.02), layout: .inOut)
        }
        func norm(_ name: String) -> LayerNorm {
            LayerNorm(weight: param(name + ".weight", [c], 1), bias: param(name + ".bias", [c], 0.02), epsilon: 1e-5)
        }
        block = GPT2Block(ln1: norm("ln_1"), attn: GPT2Attention(cAttn: conv("attn.c_attn", c, 3 * c), cProj: conv("attn.c_proj", c, c), headCount: heads),
                          ln2: norm("ln_2"), mlp: GPT2MLP(cFc: conv("mlp.c_fc", c, 4 * c), cProj: conv("mlp.c_proj", 4 * c, c)))
    }

    func forward(_ x: Variable, batch: PaddedBatch, tape: Tape?) throws -> Variable {
        var noDropout = DropoutGenerator(seed: 0)
        return try block(x, batch: batch, dropout: (residual: 0, attention: 0), generator: &noDropout, tape: tape)
    }
}
