// oneDNN's matmul, loaded with dlopen by the CDNNL shim (see its header): where libdnnl is
// missing, `OneDNN.info` says why and every product stays on OpenBLAS. Primitives are made
// once per shape and kept: creating one costs far more than a small product, and the length
// buckets make the same shapes come back every batch.
import CDNNL
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What oneDNN offers here, for `textclf doctor` and benchmark reports.
public struct OneDNNInfo: Sendable, Equatable {
    public var version: String
    public var libraryPath: String
    /// The instruction set oneDNN dispatches to, e.g. "avx512_core_bf16".
    public var isa: String
    /// Native bf16 dot products (AVX512_BF16 or AMX); without them oneDNN emulates bf16, slowly.
    public var nativeBF16: Bool
    /// int8 dot products (VNNI or AMX).
    public var nativeInt8: Bool
    /// Workers a product is split between.
    public var threads: Int
    /// OMP_WAIT_POLICY in effect, and whether the user set it (or GOMP_SPINCOUNT).
    public var waitPolicy: String
    public var waitPolicyIsUserSet: Bool
}

public struct OneDNNError: Error, CustomStringConvertible {
    public let description: String
}

/// The element types of one product.
public enum MatmulKind: Int32, Sendable, Hashable {
    case f32 = 0
    /// f32 operands rounded to bf16 for the product, f32 accumulation and result.
    case bf16 = 1
    /// u8 A, s8 B, s32 C.
    case u8s8 = 2

    /// Bytes per element of A, B and C.
    var elementBytes: (Int, Int, Int) {
        switch self {
        case .f32: return (4, 4, 4)
        case .bf16: return (2, 2, 4)
        case .u8s8: return (1, 1, 4)
        }
    }
}

public enum OneDNN {
    private static let loaded: Result<OneDNNInfo, OneDNNError> = load()

    /// Loads libdnnl on first use; throws the reason it is unusable.
    @discardableResult
    public static func ensureLoaded() throws -> OneDNNInfo { try loaded.get() }

    public static var isAvailable: Bool { (try? loaded.get()) != nil }

    /// How idle OpenMP threads wait, unless the user chose (OMP_WAIT_POLICY or GOMP_SPINCOUNT),
    /// should any start (our products run single-threaded on the kernel workers): passive, so
    /// they sleep at once instead of spinning on a core that our own kernels need. On a
    /// loaded 2-core machine spinning made 274×384×384 products run at 3–4 instead of ~200
    /// GFLOP/s (`textclf bench gemm` with OMP_WAIT_POLICY=active vs passive).
    static let defaultWaitPolicy = "passive"

    private static func load() -> Result<OneDNNInfo, OneDNNError> {
        // libgomp reads these once, when oneDNN's first product starts its threads.
        let environment = ProcessInfo.processInfo.environment
        let policy = BLAS.choose("OMP_WAIT_POLICY", default: defaultWaitPolicy, environment: environment)
        let userSpin = !(environment["GOMP_SPINCOUNT"] ?? "").isEmpty
        if !policy.userSet && !userSpin { setenv("OMP_WAIT_POLICY", policy.value, 1) }
        var message = [CChar](repeating: 0, count: 512)
        if textclf_dnnl_load(&message, Int32(message.count)) != 0 {
            return .failure(OneDNNError(description: String(cString: message)))
        }
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        textclf_dnnl_version(&major, &minor, &patch)
        let isa = textclf_dnnl_isa()
        let name = String(cString: textclf_dnnl_isa_name(isa))
        let bf16 = name.hasPrefix("avx512_core_bf16") || name.hasPrefix("avx512_core_amx")
        let int8 = bf16 || name.contains("vnni")
        let libraryPath = BLAS.mappedLibraryPath(containing: "libdnnl", fallback: String(cString: textclf_dnnl_path()))
        return .success(OneDNNInfo(version: "\(major).\(minor).\(patch)", libraryPath: libraryPath, isa: name,
                                   nativeBF16: bf16, nativeInt8: int8,
                                   threads: workers,
                                   waitPolicy: userSpin && !policy.userSet ? "GOMP_SPINCOUNT=\(environment["GOMP_SPINCOUNT"]!)" : policy.value,
                                   waitPolicyIsUserSet: policy.userSet || userSpin))
    }

    struct Key: Hashable {
        var kind: MatmulKind
        var m: Int, n: Int, k: Int
        var transposeA: Bool, transposeB: Bool
        var lda: Int, ldb: Int, ldc: Int
        var alpha: Float, beta: Float
    }

    /// Primitives by shape, shared by every thread: executing one primitive from several
    /// threads at once is safe (each thread has its own stream, scratchpad and bf16 copies).
    final class Cache: @unchecked Sendable {
        // @unchecked: `entries` is only touched under `lock`; the pointers are never freed.
        private let lock = NSLock()
        private var entries: [Key: OpaquePointer] = [:]

        func primitive(_ key: Key) throws -> OpaquePointer {
            lock.lock()
            defer { lock.unlock() }
            if let found = entries[key] { return found }
            var message = [CChar](repeating: 0, count: 512)
            guard let made = textclf_matmul_create(
                key.kind.rawValue, Int64(key.m), Int64(key.n), Int64(key.k),
                key.transposeA ? 1 : 0, key.transposeB ? 1 : 0, Int64(key.lda), Int64(key.ldb), Int64(key.ldc),
                key.alpha, key.beta, 1, &message, Int32(message.count))
            else { throw OneDNNError(description: String(cString: message)) }
            entries[key] = made
            return made
        }

        var count: Int {
            lock.lock()
            defer { lock.unlock() }
            return entries.count
        }
    }

    static let cache = Cache()

    /// Primitives made so far (one per distinct shape and kind).
    public static var cachedPrimitives: Int { cache.count }

    /// C[m, n] = alpha · op(A) · op(B) + beta · C, row-major, as `BLAS.sgemm`, on f32 (f32 and
    /// bf16 kinds) or u8 A, s8 B and s32 C (u8s8). Crashes with oneDNN's reason if it cannot
    /// run: callers check `isAvailable`.
    ///
    /// The product is split into column (or row) blocks, one per kernel worker, each a
    /// single-threaded oneDNN product: so the workers that run our element-wise kernels run the
    /// products too, already awake, and OpenMP starts no threads of its own.
    public static func gemm(
        kind: MatmulKind, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafeRawPointer, lda: Int, b: UnsafeRawPointer, ldb: Int,
        beta: Float, c: UnsafeMutableRawPointer, ldc: Int
    ) {
        var (a, lda, b, ldb) = (a, lda, b, ldb)
        if kind == .bf16 { (a, lda, b, ldb) = roundToBF16(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                                          a: a, lda: lda, b: b, ldb: ldb) }
        let split = Split(m: m, n: n, k: k, workers: workers)
        let (aBytes, bBytes, cBytes) = kind.elementBytes
        Parallel.run(split.parts) { part in
            let range = split.range(part)
            let (pm, pn) = split.alongColumns ? (m, range.count) : (range.count, n)
            let key = Key(kind: kind, m: pm, n: pn, k: k, transposeA: transposeA, transposeB: transposeB,
                          lda: lda, ldb: ldb, ldc: ldc, alpha: alpha, beta: beta)
            let primitive: OpaquePointer
            do { primitive = try cache.primitive(key) } catch { fatalError("\(error)") }
            let start = range.lowerBound
            // A block of columns reads those columns of op(B); a block of rows those rows of op(A).
            let aPart = split.alongColumns ? a : a + (transposeA ? start : start * lda) * aBytes
            let bPart = split.alongColumns ? b + (transposeB ? start * ldb : start) * bBytes : b
            let cPart = c + (split.alongColumns ? start : start * ldc) * cBytes
            guard textclf_matmul_execute(primitive, aPart, bPart, cPart) == 0 else {
                fatalError("oneDNN matmul \(pm)×\(k)×\(pn) (\(kind)) failed to execute")
            }
        }
    }

    /// Workers a product started on this thread is split between: the kernel workers, at most
    /// this thread's OpenMP thread count (OMP_NUM_THREADS, or `withThreadCount`).
    public static var workers: Int { min(Parallel.workerCount, Int(textclf_dnnl_threads())) }

    /// How a product is divided between the workers: into column blocks whole multiples of 64
    /// (oneDNN's AVX-512 kernels' block width, so no block gets a ragged edge and each worker
    /// copies only its own part of B), else row blocks of 32, else not at all when a block
    /// would be too small to be worth a worker.
    public struct Split: Sendable {
        public private(set) var parts = 1
        public private(set) var alongColumns = true
        private var extent: Int

        public init(m: Int, n: Int, k: Int, workers: Int) {
            extent = n
            guard workers > 1, m * n * k >= 1 << 17 else { return }
            if n >= 128 {
                parts = min(workers, n / 64)
            } else if m >= 64 {
                (parts, alongColumns, extent) = (min(workers, m / 32), false, m)
            }
        }

        /// The columns (or rows) of C that `part` computes.
        public func range(_ part: Int) -> Range<Int> {
            let block = alongColumns ? 64 : 32
            let blocks = (extent + block - 1) / block
            let lower = part == 0 ? 0 : blocks * part / parts * block
            let upper = part == parts - 1 ? extent : blocks * (part + 1) / parts * block
            return lower..<upper
        }
    }

    /// Both f32 operands rounded into this thread's bf16 buffers, packed tight, their rows split
    /// between the workers (a serial rounding pass cost as much as the product itself at
    /// MiniLM's shapes). Returns the copies and their leading dimensions.
    private static func roundToBF16(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                    a: UnsafeRawPointer, lda: Int, b: UnsafeRawPointer, ldb: Int)
        -> (UnsafeRawPointer, Int, UnsafeRawPointer, Int) {
        let (ar, ac) = transposeA ? (k, m) : (m, k)
        let (br, bc) = transposeB ? (n, k) : (k, n)
        var a16: UnsafeMutablePointer<UInt16>?, b16: UnsafeMutablePointer<UInt16>?
        guard textclf_bf16_buffers(Int64(ar * ac), Int64(br * bc), &a16, &b16) == 0, let a16, let b16 else {
            fatalError("out of memory for the bf16 copies of a \(m)×\(k)×\(n) product")
        }
        let (fa, fb) = (a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self))
        // The rows of A, then those of B, as one range.
        Parallel.forRanges(ar + br, grain: max(1, Kernels.elementwiseGrain / max(1, max(ac, bc)))) { range in
            let inA = range.clamped(to: 0..<ar)
            if !inA.isEmpty {
                textclf_pack_bf16(a16 + inA.lowerBound * ac, fa + inA.lowerBound * lda, Int64(inA.count), Int64(ac), Int64(lda))
            }
            let inB = (range.lowerBound - ar ..< range.upperBound - ar).clamped(to: 0..<br)
            if !inB.isEmpty {
                textclf_pack_bf16(b16 + inB.lowerBound * bc, fb + inB.lowerBound * ldb, Int64(inB.count), Int64(bc), Int64(ldb))
            }
        }
        return (UnsafeRawPointer(a16), ac, UnsafeRawPointer(b16), bc)
    }

    /// The kernel oneDNN picked for a product of this shape, e.g. "brg:avx512_core_bf16".
    public static func implementation(kind: MatmulKind, m: Int, n: Int, k: Int) throws -> String {
        try ensureLoaded()
        let key = Key(kind: kind, m: m, n: n, k: k, transposeA: false, transposeB: false,
                      lda: k, ldb: n, ldc: n, alpha: 1, beta: 0)
        return String(cString: textclf_matmul_implementation(try cache.primitive(key)))
    }

    /// Runs `body` with the oneDNN products it starts on this thread split between at most
    /// `count` workers (OMP_NUM_THREADS sets the default, as for oneDNN's own threads).
    public static func withThreadCount<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        let previous = textclf_dnnl_threads()
        textclf_dnnl_set_threads(Int32(count))
        defer { textclf_dnnl_set_threads(previous) }
        return try body()
    }
}

/// bf16 rounding as oneDNN's bf16 products apply it to their inputs (nearest even).
public enum BF16 {
    public static func round(_ x: Float) -> Float { textclf_f32_from_bf16(textclf_bf16_from_f32(x)) }

    /// `values` rounded by the vectorised kernel the bf16 products pack their operands with
    /// (tests: it must agree with `round` bit for bit).
    public static func packed(_ values: [Float]) -> [Float] {
        var out = [UInt16](repeating: 0, count: values.count)
        textclf_pack_bf16(&out, values, 1, Int64(values.count), Int64(values.count))
        return out.map(textclf_f32_from_bf16)
    }
}
