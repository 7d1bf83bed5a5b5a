// Loads OpenBLAS at run time. Debian's OpenBLAS 0.3.21 names some AVX-512 CPUs "Prescott"
// and then runs SSE3 kernels (~65 instead of ~300 GFLOP/s); OPENBLAS_CORETYPE fixes that,
// but the library reads it only once, when it initialises. So nothing links libopenblas:
// on first use we pick the core from CPUID, set the variable (unless the user did), and
// only then dlopen the library and look up the few functions we call.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the loader chose, for `textclf doctor` and benchmark reports.
public struct BLASInfo: Sendable, Equatable {
    /// The OPENBLAS_CORETYPE we asked for (or the user's value).
    public var requestedCore: String
    /// True if OPENBLAS_CORETYPE came from the user's environment, false if we chose it.
    public var coreIsUserSet: Bool
    /// The core OpenBLAS reports it is running (`openblas_get_corename`).
    public var activeCore: String
    /// Build description (`openblas_get_config`), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ...".
    public var config: String
    /// The file dlopen found.
    public var libraryPath: String
    /// OPENBLAS_THREAD_TIMEOUT in effect (log2 of spin cycles), and whether the user set it.
    public var threadTimeout: String
    public var threadTimeoutIsUserSet: Bool
}

public struct BLASLoadError: Error, CustomStringConvertible {
    public let description: String
}

/// The OpenBLAS functions TensorEngine calls, resolved with dlsym.
struct BLASFunctions: @unchecked Sendable {
    // @unchecked: the fields are C function pointers into a library that is never unloaded.
    typealias SgemmFn = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float,
                                        UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32,
                                        Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias SgemvFn = @convention(c) (Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
                                        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias GetStringFn = @convention(c) () -> UnsafeMutablePointer<CChar>?
    typealias SetThreadsFn = @convention(c) (Int32) -> Void
    typealias GetThreadsFn = @convention(c) () -> Int32

    let sgemm: SgemmFn
    let sgemv: SgemvFn
    let getCoreName: GetStringFn
    let getConfig: GetStringFn
    let setNumThreads: SetThreadsFn
    let getNumThreads: GetThreadsFn
}

public enum BLAS {
    /// Where to look, most specific first; dlopen also searches the usual system paths.
    static let candidateLibraries = [
        "libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
        "libopenblas.so",
        "libopenblas.dylib",
        "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
        "/usr/local/opt/openblas/lib/libopenblas.dylib",
    ]

    /// How long OpenBLAS's idle threads spin before sleeping, as log2(cycles), unless the
    /// user set OPENBLAS_THREAD_TIMEOUT. Spinning threads would take a core from our own
    /// kernels, which run between BLAS calls; see `textclf bench gemm --contention`.
    static let defaultThreadTimeout = "4"

    private static let loaded: Result<(BLASFunctions, BLASInfo), BLASLoadError> = load()

    /// Loads the library if it is not yet loaded; throws a clear error if it is missing.
    /// Entry points (model construction, benchmarks, doctor) call this so the kernels
    /// below never meet an unloaded library.
    @discardableResult
    public static func ensureLoaded() throws -> BLASInfo {
        try loaded.get().1
    }

    /// The loader's choices (loads the library on first call).
    public static var info: BLASInfo {
        get throws { try ensureLoaded() }
    }

    static var functions: BLASFunctions {
        switch loaded {
        case .success(let pair): return pair.0
        case .failure(let error):
            // Reached only if an entry point skipped ensureLoaded(); the message is the fix.
            fatalError(error.description)
        }
    }

    /// Threads OpenBLAS uses for one call.
    public static var threadCount: Int {
        get { Int(functions.getNumThreads()) }
    }

    public static func setThreadCount(_ count: Int) {
        functions.setNumThreads(Int32(max(1, count)))
    }

    /// Runs `body` with OpenBLAS limited to `count` threads, e.g. 1 while our own workers
    /// each call BLAS on small matrices (OpenBLAS is safe to call from several threads when
    /// each call is single-threaded). Call from one thread only: the setting is global.
    public static func withThreadCount<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        let previous = functions.getNumThreads()
        functions.setNumThreads(Int32(max(1, count)))
        defer { functions.setNumThreads(previous) }
        return try body()
    }

    /// The kernel family for these CPU features, as OpenBLAS 0.3.21 spells it in
    /// OPENBLAS_CORETYPE (it also knows Cooperlake; its sgemm is SkylakeX's).
    public static func coreType(for cpu: CPUFeatures) -> String {
        let avx512 = ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"].allSatisfy(cpu.has)
        if avx512 { return "SkylakeX" }
        if cpu.has("avx2") && cpu.has("fma") { return "Haswell" }
        if cpu.has("avx") { return "Sandybridge" }
        if cpu.has("sse4_2") { return "Nehalem" }
        if cpu.has("ssse3") { return "Core2" }
        return "Prescott"
    }

    /// The user's value of an environment setting if set (empty counts as unset), else ours.
    public static func choose(_ name: String, default value: String, environment: [String: String]) -> (value: String, userSet: Bool) {
        if let user = environment[name], !user.isEmpty { return (user, true) }
        return (value, false)
    }

    private static func load() -> Result<(BLASFunctions, BLASInfo), BLASLoadError> {
        let environment = ProcessInfo.processInfo.environment
        let core = choose("OPENBLAS_CORETYPE", default: coreType(for: .current), environment: environment)
        let timeout = choose("OPENBLAS_THREAD_TIMEOUT", default: defaultThreadTimeout, environment: environment)
        if !core.userSet { setenv("OPENBLAS_CORETYPE", core.value, 1) }
        if !timeout.userSet { setenv("OPENBLAS_THREAD_TIMEOUT", timeout.value, 1) }

        var handle: UnsafeMutableRawPointer?
        var path = ""
        var reasons: [String] = []
        for candidate in candidateLibraries {
            if let h = dlopen(candidate, RTLD_NOW | RTLD_LOCAL) {
                handle = h
                path = candidate
                break
            }
            if let message = dlerror() { reasons.append(String(cString: message)) }
        }
        guard let handle else {
            return .failure(BLASLoadError(description:
                "OpenBLAS not found (tried \(candidateLibraries.joined(separator: ", "))); run `make setup` "
                + "(installs libopenblas-dev). Last error: \(reasons.last ?? "none")"))
        }
        func symbol<T>(_ name: String, as type: T.Type) throws(BLASLoadError) -> T {
            guard let pointer = dlsym(handle, name) else {
                throw BLASLoadError(description: "\(path) has no symbol \(name); is it OpenBLAS? run `make setup`")
            }
            return unsafeBitCast(pointer, to: type)
        }
        do {
            let functions = BLASFunctions(
                sgemm: try symbol("cblas_sgemm", as: BLASFunctions.SgemmFn.self),
                sgemv: try symbol("cblas_sgemv", as: BLASFunctions.SgemvFn.self),
                getCoreName: try symbol("openblas_get_corename", as: BLASFunctions.GetStringFn.self),
                getConfig: try symbol("openblas_get_config", as: BLASFunctions.GetStringFn.self),
                setNumThreads: try symbol("openblas_set_num_threads", as: BLASFunctions.SetThreadsFn.self),
                getNumThreads: try symbol("openblas_get_num_threads", as: BLASFunctions.GetThreadsFn.self))
            let info = BLASInfo(
                requestedCore: core.value, coreIsUserSet: core.userSet,
                activeCore: functions.getCoreName().map { String(cString: $0) } ?? "unknown",
                config: functions.getConfig().map { String(cString: $0) }?
                    .trimmingCharacters(in: .whitespaces) ?? "unknown",
                libraryPath: mappedLibraryPath(containing: "libopenblas", fallback: path),
                threadTimeout: timeout.value, threadTimeoutIsUserSet: timeout.userSet)
            return .success((functions, info))
        } catch {
            return .failure(error)
        }
    }

    /// The file the dynamic loader actually mapped (symlinks resolved), for the doctor
    /// report; read from /proc/self/maps because dladdr needs _GNU_SOURCE.
    static func mappedLibraryPath(containing name: String, fallback: String) -> String {
        if let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8),
           let line = maps.split(separator: "\n").first(where: { $0.contains(name) }),
           let slash = line.firstIndex(of: "/") {
            return String(line[slash...])
        }
        return URL(fileURLWithPath: fallback).resolvingSymlinksInPath().path
    }
}
