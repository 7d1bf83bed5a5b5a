import ArgumentParser
import Foundation
import TensorEngine

/// `textclf bench gemm`: matrix-product GFLOP/s at the shapes of a MiniLM step (an SMS batch,
/// 274 rows) and a GPT-2 small step (batch 8 × 120 tokens = 960 rows), for each backend and
/// precision: OpenBLAS f32 (the kernel the loader chose), oneDNN f32, oneDNN bf16 and the
/// int8 Linear product (u8 activations quantised per row × s8 weights, s32 in oneDNN, f32 out).
struct BenchGemm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Measure matrix-product GFLOP/s (OpenBLAS, oneDNN f32, bf16 and int8) at MiniLM and GPT-2 shapes.",
        discussion: """
        Shapes M×K×N: MiniLM 274×384×384 (attention proj), 274×384×1152 (fused qkv),
        274×384×1536 (FFN up), 274×1536×384 (FFN down); GPT-2 960×768×768, 960×768×2304,
        960×768×3072, 960×3072×768. Prints the median of --repeats timed calls per shape and
        backend; `route` says which backend an f32 product of the shape takes in the layers.
        The int8 column times the whole int8 Linear (`--int8`): quantising the activations per
        row, the u8×s8 product with s32 accumulation, and scaling back to f32 (2·M·K·N operations
        counted, as for the others). oneDNN columns are left out where libdnnl is missing.
        --coretype NAME re-runs the benchmark in a child process with OPENBLAS_CORETYPE=NAME
        (e.g. Prescott, what Debian's OpenBLAS 0.3.21 picks by itself on AVX-512 Xeons).

        JSON keys (one line per shape and backend): bench, m, k, n, backend ("openblas" or
        "onednn"), precision ("fp32", "bf16" or "int8"), gflops (median), best_gflops, median_seconds,
        repeats, threads, core, core_source ("auto" or "user"), onednn_isa, route.

        Examples:
          textclf bench gemm
          textclf bench gemm --coretype Prescott --json
        """)

    @OptionGroup var output: OutputOptions

    @Option(help: "OpenBLAS threads.")
    var threads = 2

    @Option(help: "Timed calls per shape (the median is reported).")
    var repeats = 15

    @Option(help: "Run with this OPENBLAS_CORETYPE (re-executes the command).")
    var coretype: String?

    static let shapes: [(m: Int, k: Int, n: Int)] = [
        (274, 384, 384), (274, 384, 1152), (274, 384, 1536), (274, 1536, 384),
        (960, 768, 768), (960, 768, 2304), (960, 768, 3072), (960, 3072, 768),
    ]

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    }

    func run() throws {
        if let coretype, ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != coretype {
            throw ExitCode(try rerun(withCoreType: coretype))
        }
        let info = try BLAS.ensureLoaded()
        BLAS.setThreadCount(threads)
        let source = info.coreIsUserSet ? "user" : "auto"
        let dnnl = try? OneDNN.ensureLoaded()
        typealias Case = (backend: String, precision: String, measure: (Int, Int, Int) throws -> GEMMMeasurement)
        func product(_ backend: any MatmulBackend, _ kind: MatmulKind) -> (Int, Int, Int) throws -> GEMMMeasurement {
            { m, k, n in try Matmul.measure(backend: backend, kind: kind, m: m, k: k, n: n, repeats: repeats) }
        }
        var cases: [Case] = [("openblas", "fp32", product(Matmul.openBLAS, .f32))]
        if dnnl != nil {
            cases += [("onednn", "fp32", product(Matmul.oneDNN, .f32)), ("onednn", "bf16", product(Matmul.oneDNN, .bf16)),
                      ("onednn", "int8", { m, k, n in try Matmul.measureInt8(m: m, k: k, n: n, repeats: repeats) })]
        }
        if !output.json {
            Log.info("OpenBLAS core \(info.activeCore) (\(source)), \(BLAS.threadCount) threads; "
                     + (dnnl.map { "oneDNN \($0.version) \($0.isa), \($0.threads) threads" } ?? "no oneDNN")
                     + "; median of \(repeats) GFLOP/s")
            print("M×K×N          " + cases.map { "\($0.backend) \($0.precision)".padding(toLength: 14, withPad: " ", startingAt: 0) }
                .joined() + "f32 route")
        }
        for shape in Self.shapes {
            let route = Matmul.f32Backend(m: shape.m, n: shape.n, k: shape.k).name
            var cells: [String] = []
            for item in cases {
                let result = try OneDNN.withThreadCount(threads) { try item.measure(shape.m, shape.k, shape.n) }
                if output.json {
                    JSONLines.emit([
                        "bench": "gemm", "m": shape.m, "k": shape.k, "n": shape.n,
                        "backend": item.backend, "precision": item.precision,
                        "gflops": (result.medianGFLOPS * 10).rounded() / 10,
                        "best_gflops": (result.bestGFLOPS * 10).rounded() / 10,
                        "median_seconds": result.medianSeconds, "repeats": repeats,
                        "threads": threads, "core": info.activeCore, "core_source": source,
                        "onednn_isa": dnnl?.isa ?? "", "route": route,
                    ])
                }
                cells.append(String(format: "%7.1f", result.medianGFLOPS).padding(toLength: 14, withPad: " ", startingAt: 0))
            }
            if !output.json {
                print("\(shape.m)×\(shape.k)×\(shape.n)".padding(toLength: 15, withPad: " ", startingAt: 0) + cells.joined() + route)
            }
        }
    }

    /// Runs this same command line again with OPENBLAS_CORETYPE set, since OpenBLAS reads
    /// it only when it initialises. Returns the child's exit status.
    private func rerun(withCoreType core: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = Array(CommandLine.arguments.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = core
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
