// Measures sgemm speed for `textclf bench gemm` and `textclf doctor`.
import Foundation

public struct GEMMMeasurement: Sendable {
    public var m: Int, k: Int, n: Int
    /// Seconds per call, one entry per timed repeat.
    public var seconds: [Double]

    public var flops: Double { 2 * Double(m) * Double(k) * Double(n) }
    public var medianSeconds: Double { Self.medianOf(seconds) }
    public var medianGFLOPS: Double { flops / medianSeconds / 1e9 }
    /// The fastest repeat: what the machine gives when nothing else runs (shared machines).
    public var bestGFLOPS: Double { flops / (seconds.min() ?? .nan) / 1e9 }

    /// The median of some timings (benchmarks report medians).
    public static func medianOf(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}

extension BLAS {
    /// Times C[m, n] = A[m, k] · B[k, n] on OpenBLAS (`repeats` timed calls after `warmup` untimed ones).
    public static func measureSgemm(m: Int, k: Int, n: Int, repeats: Int, warmup: Int = 2) throws -> GEMMMeasurement {
        try Matmul.measure(backend: Matmul.openBLAS, kind: .f32, m: m, k: k, n: n, repeats: repeats, warmup: warmup)
    }
}

extension Matmul {
    /// Times C[m, n] = A[m, k] · B[k, n] of this kind on this backend. The first untimed call
    /// also makes oneDNN's primitive, which later calls of the shape reuse.
    public static func measure(backend: any MatmulBackend, kind: MatmulKind, m: Int, k: Int, n: Int,
                               repeats: Int, warmup: Int = 2) throws -> GEMMMeasurement {
        try BLAS.ensureLoaded()
        if backend.name == oneDNN.name { try OneDNN.ensureLoaded() }
        let a = Tensor.random(shape: [m, k], seed: 1)
        let b = Tensor.random(shape: [k, n], seed: 2)
        let c = Tensor(zeros: [m, n])
        let seconds = withExtendedLifetime((a, b, c)) {
            timed(repeats: repeats, warmup: warmup) {
                backend.gemm(kind: kind, transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 1,
                             a: a.pointer, lda: k, b: b.pointer, ldb: n, beta: 0, c: c.mutablePointer, ldc: n)
            }
        }
        return GEMMMeasurement(m: m, k: k, n: n, seconds: seconds)
    }

    /// Times an int8 Linear product out[m, n] = x[m, k] · W[k, n] as the layers run it
    /// (`Int8Weight.forward`): x quantised per row to u8, the u8×s8 product in s32 on oneDNN,
    /// dequantised to f32. W is quantised once, before timing, as on load.
    public static func measureInt8(m: Int, k: Int, n: Int, repeats: Int, warmup: Int = 2) throws -> GEMMMeasurement {
        try OneDNN.ensureLoaded()
        let x = Tensor.random(shape: [m, k], seed: 1)
        let weight = Int8Weight(Tensor.random(shape: [k, n], seed: 2), layout: .inOut)
        let out = Tensor(zeros: [m, n])
        let seconds = withExtendedLifetime((x, out)) {
            timed(repeats: repeats, warmup: warmup) { weight.forward(out: out.mutablePointer, x: x.pointer, bias: nil, rows: m) }
        }
        return GEMMMeasurement(m: m, k: k, n: n, seconds: seconds)
    }

    /// Seconds of each of `repeats` calls of `body`, after max(1, warmup) untimed ones.
    static func timed(repeats: Int, warmup: Int, _ body: () -> Void) -> [Double] {
        var seconds: [Double] = []
        for i in 0..<(max(1, warmup) + repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if i >= max(1, warmup) { seconds.append(elapsed) }
        }
        return seconds
    }
}
