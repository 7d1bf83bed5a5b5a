import ArgumentParser
import Foundation
import TensorEngine

/// `textclf bench gemm`: sgemm GFLOP/s for the matrix shapes of a GPT-2 small training step
/// (batch 8 × 120 tokens = 960 rows), on the OpenBLAS kernel the loader chose.
struct BenchGemm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Measure sgemm GFLOP/s for GPT-2 layer shapes.",
        discussion: """
        Shapes M×K×N: 960×768×768 (attention proj), 960×768×2304 (qkv), 960×768×3072 (MLP up),
        960×3072×768 (MLP down). Prints the median of --repeats timed calls per shape.
        --coretype NAME re-runs the benchmark in a child process with OPENBLAS_CORETYPE=NAME
        (e.g. Prescott, what Debian's OpenBLAS 0.3.21 picks by itself on AVX-512 Xeons).

        JSON keys (one line per shape): bench, m, k, n, gflops (median), best_gflops,
        median_seconds, repeats, threads, core, core_source ("auto" or "user").

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

    static let shapes: [(m: Int, k: Int, n: Int)] = [(960, 768, 768), (960, 768, 2304), (960, 768, 3072), (960, 3072, 768)]

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
        if !output.json {
            Log.info("OpenBLAS core \(info.activeCore) (\(source)), \(BLAS.threadCount) threads, median of \(repeats)")
        }
        for shape in Self.shapes {
            let result = try BLAS.measureSgemm(m: shape.m, k: shape.k, n: shape.n, repeats: repeats)
            if output.json {
                JSONLines.emit([
                    "bench": "gemm", "m": shape.m, "k": shape.k, "n": shape.n,
                    "gflops": (result.medianGFLOPS * 10).rounded() / 10,
                    "best_gflops": (result.bestGFLOPS * 10).rounded() / 10,
                    "median_seconds": result.medianSeconds, "repeats": repeats,
                    "threads": BLAS.threadCount, "core": info.activeCore, "core_source": source,
                ])
            } else {
                let label = "\(shape.m)×\(shape.k)×\(shape.n)"
                print("\(label.padding(toLength: 14, withPad: " ", startingAt: 0)) "
                      + String(format: "%7.1f GFLOP/s  %7.3f ms   (best %.1f)", result.medianGFLOPS, result.medianSeconds * 1e3,
                                       result.bestGFLOPS))
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
