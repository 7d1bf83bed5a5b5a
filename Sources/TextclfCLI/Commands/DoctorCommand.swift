import ArgumentParser
import Foundation
import Store
import TensorEngine

/// `textclf doctor`: what this machine offers the toolkit (CPU, BLAS kernel, threads, a quick
/// sgemm figure) and which cache / mirror directories it would use.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the CPU, the BLAS library and the cache/mirror directories.",
        discussion: """
        The OpenBLAS kernel family is chosen from CPUID unless OPENBLAS_CORETYPE is set.
        Cache: $TEXTCLF_HOME, else $XDG_CACHE_HOME/textclf, else ~/.cache/textclf.
        Mirrors: each directory of the colon-separated $TEXTCLF_MIRROR.

        JSON keys (one line): cpu_model, cpu_flags, blas_library, blas_config, blas_core,
        blas_core_requested, blas_core_source ("auto"/"user"), blas_threads,
        blas_thread_timeout, kernel_workers, vector_kernels, sgemm_shape, sgemm_gflops,
        cache_dir {path, source, exists}, mirrors [{path, exists}]; blas_error instead of
        the blas_* and sgemm_* keys when OpenBLAS cannot be loaded (exit status 1);
        onednn_version, onednn_library, onednn_isa, onednn_bf16 and onednn_int8 ("native" or
        "emulated"), onednn_threads (the kernel workers a product is split between), onednn_wait_policy, precision_auto, or onednn_error where libdnnl is missing
        (not a failure: products then stay on OpenBLAS, and --precision auto means fp32);
        mpi_library, mpi_ranks, mpi_hosts and mpi_transport (under mpirun; mpi_error if it fails).

        Examples:
          textclf doctor
          OPENBLAS_CORETYPE=Haswell textclf doctor --json
        """)

    @OptionGroup var output: OutputOptions

    func run() throws {
        let cpu = CPUFeatures.current
        let environment = ProcessInfo.processInfo.environment
        let cache = Self.cacheDirectory(environment)
        let mirrors = (environment["TEXTCLF_MIRROR"] ?? "").split(separator: ":").map(String.init)
        let flags = CPUFeatures.reportedFlags.filter(cpu.has)
        // A missing BLAS is reported with everything else, then the command fails.
        let blas: Result<BLASInfo, Error> = Result { try BLAS.ensureLoaded() }
        let shape = (m: 960, k: 768, n: 768)
        var gflops: Double?
        if case .success = blas {
            gflops = try BLAS.measureSgemm(m: shape.m, k: shape.k, n: shape.n, repeats: 7).medianGFLOPS
        }
        let dnnl: Result<OneDNNInfo, Error> = Result { try OneDNN.ensureLoaded() }

        let mpi = ScaleOutJob.doctorReport()
        // Under mpirun every rank checks itself; rank 0 alone reports.
        if let job = try? ScaleOutJob.join(), job.rank != 0 { return }
        if output.json {
            var line: [String: Any] = [
                "cpu_model": cpu.modelName,
                "cpu_flags": flags,
                "kernel_workers": Parallel.workerCount, "vector_kernels": VectorKernels.activeName,
                "cache_dir": ["path": cache.path, "source": cache.source, "exists": Self.isDirectory(cache.path)],
                "mirrors": mirrors.map { ["path": $0, "exists": Self.isDirectory($0)] as [String: Any] },
            ]
            switch blas {
            case .success(let info):
                line["blas_library"] = info.libraryPath
                line["blas_config"] = info.config
                line["blas_core"] = info.activeCore
                line["blas_core_requested"] = info.requestedCore
                line["blas_core_source"] = info.coreIsUserSet ? "user" : "auto"
                line["blas_threads"] = BLAS.threadCount
                line["blas_thread_timeout"] = info.threadTimeout
                line["sgemm_shape"] = [shape.m, shape.k, shape.n]
                line["sgemm_gflops"] = gflops.map { ($0 * 10).rounded() / 10 }
            case .failure(let error):
                line["blas_error"] = "\(error)"
            }
            line.merge(mpi.json) { $1 }
            switch dnnl {
            case .success(let info):
                line["onednn_version"] = info.version
                line["onednn_library"] = info.libraryPath
                line["onednn_isa"] = info.isa
                line["onednn_bf16"] = info.nativeBF16 ? "native" : "emulated"
                line["onednn_int8"] = info.nativeInt8 ? "native" : "emulated"
                line["onednn_threads"] = info.threads
                line["onednn_wait_policy"] = info.waitPolicy
            case .failure(let error):
                line["onednn_error"] = "\(error)"
            }
            line["precision_auto"] = Precision.automatic.rawValue
            JSONLines.emit(line)
        } else {
            print("CPU        \(cpu.modelName)")
            print("  features \(flags.joined(separator: " "))")
            let missing = CPUFeatures.reportedFlags.filter { !cpu.has($0) }
            if !missing.isEmpty { print("  missing  \(missing.joined(separator: " "))") }
            switch blas {
            case .success(let info):
                print("BLAS       \(info.libraryPath)")
                print("  config   \(info.config)")
                let source = info.coreIsUserSet ? "set by OPENBLAS_CORETYPE" : "chosen from CPUID"
                print("  kernel   \(info.activeCore) (requested \(info.requestedCore), \(source))")
                if info.activeCore.lowercased() != info.requestedCore.lowercased() {
                    print("  warning  OpenBLAS did not take the requested kernel family")
                }
                print("  threads  \(BLAS.threadCount) (idle threads spin 2^\(info.threadTimeout) cycles"
                      + "\(info.threadTimeoutIsUserSet ? ", set by OPENBLAS_THREAD_TIMEOUT" : ""))")
                if let gflops { print(String(format: "sgemm      %d×%d×%d: %.1f GFLOP/s", shape.m, shape.k, shape.n, gflops)) }
            case .failure(let error):
                print("BLAS       missing: \(error)")
            }
            switch dnnl {
            case .success(let info):
                print("oneDNN     \(info.version) \(info.libraryPath)")
                print("  isa      \(info.isa), products split between \(info.threads) kernel workers"
                      + " (OpenMP idle policy, should it start threads: \(info.waitPolicy)"
                      + "\(info.waitPolicyIsUserSet ? ", set by the environment" : ""))")
                print("  bf16     \(info.nativeBF16 ? "native (AVX512_BF16 or AMX)" : "emulated (slower than fp32)")")
                print("  int8     \(info.nativeInt8 ? "native (VNNI)" : "emulated")")
            case .failure(let error):
                print("oneDNN     missing (products stay on OpenBLAS): \(error)")
            }
            print("Precision  auto = \(Precision.automatic.rawValue)")
            print("Kernels    \(Parallel.workerCount) workers, element-wise \(VectorKernels.activeName) (best \(VectorISA.best))")
            print("Cache      \(cache.path) [\(cache.source)] \(Self.isDirectory(cache.path) ? "exists" : "missing")")
            if mirrors.isEmpty { print("Mirrors    none ($TEXTCLF_MIRROR unset)") }
            for mirror in mirrors {
                print("Mirror     \(mirror) \(Self.isDirectory(mirror) ? "exists" : "missing")")
            }
            for line in mpi.lines { print(line) }
        }
        if case .failure(let error) = blas { throw error }
    }

    // TODO(lead): use Store's cache resolver here once it is merged, so there is one rule.
    static func cacheDirectory(_ environment: [String: String]) -> (path: String, source: String) {
        if let home = environment["TEXTCLF_HOME"], !home.isEmpty { return (home, "TEXTCLF_HOME") }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return (xdg + "/textclf", "XDG_CACHE_HOME") }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home + "/.cache/textclf", "default")
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
