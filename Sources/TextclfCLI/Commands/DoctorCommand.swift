import ArgumentParser
import Foundation
import Textclf

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
        blas_thread_timeout, kernel_workers, sgemm_shape, sgemm_gflops,
        cache_dir {path, source, exists}, mirrors [{path, exists}].

        Examples:
          textclf doctor
          OPENBLAS_CORETYPE=Haswell textclf doctor --json
        """)

    @OptionGroup var output: OutputOptions

    func run() throws {
        let cpu = CPUFeatures.current
        let info = try BLAS.ensureLoaded()
        let shape = (m: 960, k: 768, n: 768)
        let gflops = try BLAS.measureSgemm(m: shape.m, k: shape.k, n: shape.n, repeats: 7).medianGFLOPS
        let environment = ProcessInfo.processInfo.environment
        let cache = Self.cacheDirectory(environment)
        let mirrors = (environment["TEXTCLF_MIRROR"] ?? "").split(separator: ":").map(String.init)
        let flags = CPUFeatures.reportedFlags.filter(cpu.has)

        if output.json {
            JSONLines.emit([
                "cpu_model": cpu.modelName,
                "cpu_flags": flags,
                "blas_library": info.libraryPath,
                "blas_config": info.config,
                "blas_core": info.activeCore,
                "blas_core_requested": info.requestedCore,
                "blas_core_source": info.coreIsUserSet ? "user" : "auto",
                "blas_threads": BLAS.threadCount,
                "blas_thread_timeout": info.threadTimeout,
                "kernel_workers": Parallel.workerCount,
                "sgemm_shape": [shape.m, shape.k, shape.n],
                "sgemm_gflops": (gflops * 10).rounded() / 10,
                "cache_dir": ["path": cache.path, "source": cache.source, "exists": Self.isDirectory(cache.path)],
                "mirrors": mirrors.map { ["path": $0, "exists": Self.isDirectory($0)] as [String: Any] },
            ])
            return
        }
        let missing = CPUFeatures.reportedFlags.filter { !cpu.has($0) }
        print("CPU        \(cpu.modelName)")
        print("  features \(flags.joined(separator: " "))")
        if !missing.isEmpty { print("  missing  \(missing.joined(separator: " "))") }
        print("BLAS       \(info.libraryPath)")
        print("  config   \(info.config)")
        let source = info.coreIsUserSet ? "set by OPENBLAS_CORETYPE" : "chosen from CPUID"
        print("  kernel   \(info.activeCore) (requested \(info.requestedCore), \(source))")
        if info.activeCore.lowercased() != info.requestedCore.lowercased() {
            print("  warning  OpenBLAS did not take the requested kernel family")
        }
        print("  threads  \(BLAS.threadCount) (idle-spin timeout 2^\(info.threadTimeout) cycles"
              + "\(info.threadTimeoutIsUserSet ? ", user-set" : ""))")
        print("Kernels    \(Parallel.workerCount) workers")
        print(String(format: "sgemm      %d×%d×%d: %.1f GFLOP/s", shape.m, shape.k, shape.n, gflops))
        print("Cache      \(cache.path) [\(cache.source)] \(Self.isDirectory(cache.path) ? "exists" : "missing")")
        if mirrors.isEmpty { print("Mirrors    none ($TEXTCLF_MIRROR unset)") }
        for mirror in mirrors {
            print("Mirror     \(mirror) \(Self.isDirectory(mirror) ? "exists" : "missing")")
        }
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
