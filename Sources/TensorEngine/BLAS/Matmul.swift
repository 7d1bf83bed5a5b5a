// The matrix-product seam: layers call `Matmul.gemm`, which picks a backend per precision
// and shape. OpenBLAS does f32 only; oneDNN does f32 and bf16 (bf16 operands, f32
// accumulation, as torch.autocast on CPUs). Where both can, the faster one measured with
// `textclf bench gemm` on this kind of machine is chosen (see `f32Backend`).
import Common
import Foundation

/// The element type of the matrix products' operands. Master weights, optimiser state,
/// LayerNorm, softmax, the loss and every reduction stay f32 in both.
public enum Precision: String, Sendable, CaseIterable, Codable {
    case fp32, bf16

    /// bf16 where the CPU has native bf16 dot products (AVX512_BF16 or AMX) and oneDNN is
    /// present, else fp32.
    public static var automatic: Precision {
        (try? OneDNN.ensureLoaded().nativeBF16) == true ? .bf16 : .fp32
    }

    /// The precision for a `--precision` value ("fp32", "bf16" or "auto"). An explicit bf16
    /// needs oneDNN and native bf16: emulated bf16 is correct but slower than fp32.
    public static func resolve(_ text: String) throws -> Precision {
        switch text {
        case "auto": return automatic
        case "fp32": return .fp32
        case "bf16":
            let info: OneDNNInfo
            do { info = try OneDNN.ensureLoaded() } catch {
                throw PrecisionError(description: "--precision bf16 needs oneDNN: \(error)")
            }
            guard info.nativeBF16 else {
                throw PrecisionError(description: "--precision bf16: this CPU has no native bf16 (oneDNN dispatches to \(info.isa); "
                                     + "AVX512_BF16 or AMX needed), so bf16 would be slower than fp32; use fp32 or auto")
            }
            return .bf16
        default:
            throw PrecisionError(description: "--precision must be fp32, bf16 or auto, not '\(text)'")
        }
    }
}

public struct PrecisionError: InputError {
    public let description: String
}

/// One way to compute C = alpha · op(A) · op(B) + beta · C (row-major, cblas conventions).
public protocol MatmulBackend: Sendable {
    var name: String { get }
    func supports(_ kind: MatmulKind) -> Bool
    func gemm(kind: MatmulKind, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
              a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
              beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int)
}

public struct OpenBLASBackend: MatmulBackend {
    public init() {}
    public var name: String { "openblas" }
    public func supports(_ kind: MatmulKind) -> Bool { kind == .f32 }
    public func gemm(kind: MatmulKind, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(kind == .f32, "OpenBLAS computes f32 products only")
        BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                   a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

public struct OneDNNBackend: MatmulBackend {
    public init() {}
    public var name: String { "onednn" }
    public func supports(_ kind: MatmulKind) -> Bool { kind != .u8s8 && OneDNN.isAvailable }
    public func gemm(kind: MatmulKind, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        OneDNN.gemm(kind: kind, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                    a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

public enum Matmul {
    /// Which backend f32 products use: chosen by shape, or forced (benchmarks, tests, and
    /// TEXTCLF_MATMUL=openblas|onednn in the environment).
    public enum Routing: String, Sendable, CaseIterable {
        case auto, openblas, onednn
    }

    /// The precision of the layers' products. Set at startup (`--precision`) or around a
    /// test with `withPrecision`, never while ops run: hence nonisolated(unsafe).
    nonisolated(unsafe) public static var precision: Precision = .fp32

    nonisolated(unsafe) public static var routing: Routing = {
        Routing(rawValue: ProcessInfo.processInfo.environment["TEXTCLF_MATMUL"] ?? "") ?? .auto
    }()

    public static let openBLAS = OpenBLASBackend()
    public static let oneDNN = OneDNNBackend()

    /// Products smaller than this many multiply-adds stay on OpenBLAS in f32: oneDNN's fixed
    /// cost per call (memory objects, stream) outweighs its faster kernel there.
    public static let oneDNNMinimumWork = 1 << 18

    /// The backend an f32 product of this shape goes to.
    public static func f32Backend(m: Int, n: Int, k: Int) -> any MatmulBackend {
        switch routing {
        case .openblas: return openBLAS
        case .onednn: return OneDNN.isAvailable ? oneDNN : openBLAS
        case .auto:
            // One row is a matrix-vector product, which OpenBLAS does without packing B.
            let big = m > 1 && m * n * k >= oneDNNMinimumWork
            return big && OneDNN.isAvailable ? oneDNN : openBLAS
        }
    }

    /// C[m, n] = alpha · op(A) · op(B) + beta · C at the current precision (see `BLAS.sgemm`
    /// for the conventions). Called from one thread at a time per product; both backends
    /// parallelise inside.
    @inline(__always)
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        // Without oneDNN (only reachable through the library: `--precision` checks) bf16 falls back to f32.
        let bf16 = precision == .bf16 && m > 0 && n > 0 && k > 0 && OneDNN.isAvailable
        let kind: MatmulKind = bf16 ? .bf16 : .f32
        let backend: any MatmulBackend = kind == .bf16 ? oneDNN : f32Backend(m: m, n: n, k: k)
        backend.gemm(kind: kind, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                     a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// Runs `body` with the layers' products at `precision`, then restores the previous one.
    public static func withPrecision<R>(_ value: Precision, _ body: () throws -> R) rethrows -> R {
        let previous = precision
        precision = value
        defer { precision = previous }
        return try body()
    }
}
