import TensorEngine
import XCTest

final class BLASTests: XCTestCase {
    func testCoreTypeFromFeatures() {
        func core(_ flags: [String]) -> String { BLAS.coreType(for: CPUFeatures(modelName: "test", flags: Set(flags))) }
        let avx2 = ["sse3", "ssse3", "sse4_2", "avx", "fma", "avx2"]
        XCTAssertEqual(core(avx2 + ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]), "SkylakeX")
        XCTAssertEqual(core(avx2 + ["avx512f"]), "Haswell", "AVX-512 foundation alone is not enough")
        XCTAssertEqual(core(avx2), "Haswell")
        XCTAssertEqual(core(["sse3", "ssse3", "sse4_2", "avx"]), "Sandybridge")
        XCTAssertEqual(core(["sse3", "ssse3", "sse4_2"]), "Nehalem")
        XCTAssertEqual(core(["sse3"]), "Prescott")
    }

    func testUserSettingWins() {
        XCTAssertEqual(BLAS.choose("OPENBLAS_CORETYPE", default: "SkylakeX", environment: ["OPENBLAS_CORETYPE": "Haswell"]).value, "Haswell")
        XCTAssertTrue(BLAS.choose("OPENBLAS_CORETYPE", default: "SkylakeX", environment: ["OPENBLAS_CORETYPE": "Haswell"]).userSet)
        XCTAssertEqual(BLAS.choose("OPENBLAS_CORETYPE", default: "SkylakeX", environment: ["OPENBLAS_CORETYPE": ""]).value, "SkylakeX")
        XCTAssertFalse(BLAS.choose("OPENBLAS_CORETYPE", default: "SkylakeX", environment: [:]).userSet)
    }

    func testLoaderReportsWhatItChose() throws {
        try requireBLAS()
        let info = try BLAS.info
        XCTAssertTrue(info.config.contains("OpenBLAS"), info.config)
        XCTAssertTrue(info.libraryPath.contains("openblas"), info.libraryPath)
        if !info.coreIsUserSet {
            XCTAssertEqual(info.requestedCore, BLAS.coreType(for: .current))
            XCTAssertEqual(info.activeCore.lowercased(), info.requestedCore.lowercased(), "OpenBLAS took the core we chose")
        }
        XCTAssertGreaterThanOrEqual(BLAS.threadCount, 1)
    }

    /// sgemm with every transpose combination and padded leading dimensions vs a naive loop;
    /// one-row products (m = 1) take the matrix-vector path.
    func testSgemmMatchesNaive() throws {
        try requireBLAS()
        for (m, n, k) in [(5, 7, 3), (1, 7, 3), (1, 300, 40)] {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    let lda = (transposeA ? m : k) + 2, ldb = (transposeB ? k : n) + 1, ldc = n + 3
                    let a = Tensor.random(shape: [(transposeA ? k : m) * lda], seed: 1)
                    let b = Tensor.random(shape: [(transposeB ? n : k) * ldb], seed: 2)
                    let c = Tensor.random(shape: [m * ldc], seed: 3)
                    let c0 = c.scalars
                    BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 2,
                               a: a.pointer, lda: lda, b: b.pointer, ldb: ldb, beta: 0.5, c: c.mutablePointer, ldc: ldc)
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum: Float = 0
                            for p in 0..<k {
                                let av = transposeA ? a[flat: p * lda + i] : a[flat: i * lda + p]
                                let bv = transposeB ? b[flat: j * ldb + p] : b[flat: p * ldb + j]
                                sum += av * bv
                            }
                            XCTAssertEqual(c[flat: i * ldc + j], 2 * sum + 0.5 * c0[i * ldc + j], accuracy: 1e-5, "\(m)×\(n)×\(k)")
                        }
                    }
                }
            }
        }
    }

    func testCPUFeaturesSeeSSE2() {
        #if arch(x86_64)
        XCTAssertTrue(CPUFeatures.current.has("sse2"), "every x86-64 CPU has SSE2: detection is broken")
        XCTAssertFalse(CPUFeatures.current.modelName.isEmpty)
        #endif
    }
}
