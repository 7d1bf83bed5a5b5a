import Dispatch
import TensorEngine
import TestRequirements
import XCTest

func requireOneDNN() throws {
    try requireBLAS()
    do { try OneDNN.ensureLoaded() } catch { throw missingPrerequisite("oneDNN not available: \(error)") }
}

/// The matmul seam: oneDNN's f32 and bf16 products against exact (float64) references, on every
/// transpose combination with padded leading dimensions, alpha and beta. These hold on any CPU:
/// where bf16 is not native, oneDNN emulates it with the same rounding.
final class MatmulBackendTests: XCTestCase {
    /// op(X)[i, p] for a row-major block with leading dimension ld.
    private func element(_ x: Tensor, transposed: Bool, _ i: Int, _ p: Int, ld: Int) -> Float {
        transposed ? x[flat: p * ld + i] : x[flat: i * ld + p]
    }

    /// Runs C = alpha·op(A)·op(B) + beta·C on `backend` and checks every entry against the
    /// float64 product of `round(A)`, `round(B)` (the inputs as the kind sees them).
    /// Error bound: with inputs exact in the kind (bf16 products of 8-bit mantissas are exact in
    /// f32), only the f32 accumulation rounds: |error| ≤ γ_k·Σ|a·b| with γ_k = k·u/(1 − k·u),
    /// u = 2⁻²⁴, plus the rounding of alpha·sum + beta·c (2u relative). The factor 2 covers the
    /// blocked kernels' partial sums, which do not raise the bound's order.
    private func check(_ backend: any MatmulBackend, kind: MatmulKind, m: Int, n: Int, k: Int,
                       round: (Float) -> Float, file: StaticString = #filePath, line: UInt = #line) {
        let u = 0x1p-24
        for (transposeA, transposeB, padded) in [false, true].flatMap({ a in [false, true].flatMap { b in [(a, b, true), (a, b, false)] } }) {
            do {
                // Padded rows (a block of a wider matrix) and tightly packed ones.
                let pad = padded ? 1 : 0
                let lda = (transposeA ? m : k) + 2 * pad, ldb = (transposeB ? k : n) + pad, ldc = n + 3 * pad
                let a = Tensor.random(shape: [(transposeA ? k : m) * lda], seed: 1)
                let b = Tensor.random(shape: [(transposeB ? n : k) * ldb], seed: 2)
                let c = Tensor.random(shape: [m * ldc], seed: 3)
                let c0 = c.scalars
                let (alpha, beta): (Float, Float) = (0.75, 1)
                backend.gemm(kind: kind, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                             a: a.pointer, lda: lda, b: b.pointer, ldb: ldb, beta: beta, c: c.mutablePointer, ldc: ldc)
                var worst = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0, magnitude = 0.0
                        for p in 0..<k {
                            let x = Double(round(element(a, transposed: transposeA, i, p, ld: lda)))
                            let y = Double(round(element(b, transposed: transposeB, p, j, ld: ldb)))
                            sum += x * y
                            magnitude += abs(x * y)
                        }
                        let expected = Double(alpha) * sum + Double(beta) * Double(c0[i * ldc + j])
                        let bound = 2 * (Double(k) * u / (1 - Double(k) * u)) * Double(alpha) * magnitude + 2 * u * abs(expected) + 1e-30
                        worst = max(worst, abs(Double(c[flat: i * ldc + j]) - expected) / bound)
                    }
                }
                XCTAssertLessThanOrEqual(worst, 1, "\(backend.name) \(kind) \(m)×\(k)×\(n) transpose \(transposeA) \(transposeB) padded \(padded): error / bound",
                                         file: file, line: line)
                // Entries past n in each row of C (the padding) are untouched.
                for i in 0..<m { for j in n..<ldc { XCTAssertEqual(c[flat: i * ldc + j], c0[i * ldc + j], file: file, line: line) } }
            }
        }
    }

    func testOneDNNF32MatchesTheExactProduct() throws {
        try requireOneDNN()
        // (64, 96, 200) and (97, 96, 60) are split into row blocks between the workers, (37, 200, 53)
        // into column blocks, the last one ragged.
        for (m, n, k) in [(5, 7, 3), (37, 29, 53), (64, 96, 200), (97, 96, 60), (37, 200, 53)] {
            check(Matmul.oneDNN, kind: .f32, m: m, n: n, k: k, round: { $0 })
        }
    }

    func testOpenBLASMatchesTheExactProduct() throws {
        try requireBLAS()
        for (m, n, k) in [(5, 7, 3), (37, 29, 53)] { check(Matmul.openBLAS, kind: .f32, m: m, n: n, k: k, round: { $0 }) }
    }

    /// How products are divided between the workers: column blocks of whole multiples of 64
    /// where C is wide enough, else row blocks of 32, contiguous and covering C; nothing
    /// divided for one worker or a product too small to be worth a second.
    func testProductsSplitIntoBlocksThatCoverC() {
        func blocks(_ split: OneDNN.Split) -> [Range<Int>] { (0..<split.parts).map(split.range) }
        let wide = OneDNN.Split(m: 37, n: 200, k: 53, workers: 2)
        XCTAssertTrue(wide.alongColumns)
        XCTAssertEqual(blocks(wide), [0..<128, 128..<200])
        let tall = OneDNN.Split(m: 97, n: 96, k: 60, workers: 2)
        XCTAssertFalse(tall.alongColumns)
        XCTAssertEqual(blocks(tall), [0..<64, 64..<97])
        XCTAssertEqual(blocks(OneDNN.Split(m: 274, n: 1536, k: 384, workers: 3)), [0..<512, 512..<1024, 1024..<1536])
        XCTAssertEqual(OneDNN.Split(m: 274, n: 1536, k: 384, workers: 1).parts, 1)
        XCTAssertEqual(OneDNN.Split(m: 8, n: 130, k: 16, workers: 2).parts, 1, "too small")
        XCTAssertEqual(OneDNN.Split(m: 40, n: 100, k: 1000, workers: 2).parts, 1, "neither wide nor tall enough")
        for (m, n, k, workers) in [(600, 600, 600, 2), (600, 70, 600, 4), (33, 4097, 10, 8)] {
            let split = OneDNN.Split(m: m, n: n, k: k, workers: workers)
            let covered = blocks(split)
            XCTAssertEqual(covered.first?.lowerBound, 0)
            XCTAssertEqual(covered.last?.upperBound, split.alongColumns ? n : m)
            for (x, y) in zip(covered, covered.dropFirst()) { XCTAssertEqual(x.upperBound, y.lowerBound) }
            XCTAssertTrue(covered.allSatisfy { !$0.isEmpty && $0.lowerBound % (split.alongColumns ? 64 : 32) == 0 })
        }
    }

    /// bf16 products round both inputs to bf16 (nearest even) and accumulate in f32: they equal
    /// the exact product of the rounded inputs within the f32 accumulation bound.
    func testOneDNNBF16IsTheProductOfRoundedInputs() throws {
        try requireOneDNN()
        // (39, 32, 32) and (39, 64, 32): the tiny BERT fixture's products (3 texts × 13 tokens).
        for (m, n, k) in [(5, 7, 3), (37, 29, 53), (64, 96, 200), (97, 96, 60), (37, 200, 53), (39, 32, 32), (39, 64, 32), (39, 32, 64)] {
            check(Matmul.oneDNN, kind: .bf16, m: m, n: n, k: k, round: BF16.round)
        }
    }

    /// The bf16 path really rounds: 1 + 2⁻¹⁰ is not a bf16 number (8 significant bits), so
    /// (1 + 2⁻¹⁰)·1 gives 1 in bf16 and 1 + 2⁻¹⁰ in f32.
    func testBF16RoundsTheOperands() throws {
        try requireOneDNN()
        XCTAssertEqual(BF16.round(1 + 0x1p-10), 1)
        XCTAssertEqual(BF16.round(1 + 0x1p-7), 1 + 0x1p-7, "8 significant bits are kept")
        XCTAssertEqual(BF16.round(1 + 0x1p-8 + 0x1p-12), 1 + 0x1p-7, "above the halfway point rounds up")
        XCTAssertEqual(BF16.round(1 + 0x1p-8), 1, "a tie rounds to even")
        XCTAssertTrue(BF16.round(.nan).isNaN)
        let a = try Tensor(shape: [2, 2], values: [1 + 0x1p-10, 0, 0, 1])
        let b = try Tensor(shape: [2, 2], values: [1, 0, 0, 1])
        for (precision, expected) in [(Precision.bf16, Float(1)), (.fp32, 1 + 0x1p-10)] {
            let out = Matmul.withPrecision(precision) {
                Ops.linear(Variable(a), weight: Parameter(name: "w", value: b), bias: nil, layout: .inOut, tape: nil)
            }
            XCTAssertEqual(out.value[flat: 0], expected, "\(precision)")
        }
    }

    /// The vectorised rounding that packs the products' operands is the scalar reference, bit for
    /// bit: ties to even both ways, the largest finite values (which round to infinity),
    /// infinities, NaNs of either sign and payload, subnormals, ±0, and random bit patterns.
    func testPackedRoundingMatchesTheScalarOne() throws {
        try requireOneDNN()
        var bits: [UInt32] = [0, 0x8000_0000, 0x0000_0001, 0x807f_ffff, 0x3f80_8000, 0x3f81_8000, 0x3f80_8001, 0x7f7f_ffff,
                              0xff7f_ffff, 0x7f80_0000, 0xff80_0000, 0x7f80_0001, 0xffc0_0000, 0x7fff_ffff, 0x7fbf_ffff]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<4093 {  // odd, so the vector loops end in a scalar tail
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bits.append(UInt32(truncatingIfNeeded: state >> 32))
        }
        let values = bits.map(Float.init(bitPattern:))
        let packed = BF16.packed(values)
        for (value, got) in zip(values, packed) {
            let expected = BF16.round(value)
            XCTAssertEqual(got.bitPattern, expected.bitPattern, "\(value) (0x\(String(value.bitPattern, radix: 16)))")
        }
    }

    /// Primitives are made once per shape and shared by threads: 64 calls on Dispatch's threads
    /// running the same three shapes give the first call's results bit for bit, and make no
    /// primitive twice.
    func testPrimitiveCacheIsSharedAndThreadSafe() throws {
        try requireOneDNN()
        // The third shape is split between the workers: the callers' jobs then share them, or
        // run on Dispatch's threads while another caller's job holds them.
        let shapes = [(m: 19, n: 23, k: 31), (m: 41, n: 17, k: 13), (m: 45, n: 192, k: 40)]
        // Read-only from every thread; Tensor is not Sendable, hence nonisolated(unsafe).
        nonisolated(unsafe) let inputs = shapes.map { (Tensor.random(shape: [$0.m, $0.k], seed: 4), Tensor.random(shape: [$0.k, $0.n], seed: 5)) }
        let product: @Sendable (Int, MatmulKind) -> [Float] = { s, kind in
            let (a, b) = inputs[s], shape = shapes[s]
            let c = Tensor(zeros: [shape.m, shape.n])
            Matmul.oneDNN.gemm(kind: kind, transposeA: false, transposeB: false, m: shape.m, n: shape.n, k: shape.k, alpha: 1,
                               a: a.pointer, lda: shape.k, b: b.pointer, ldb: shape.n, beta: 0, c: c.mutablePointer, ldc: shape.n)
            return c.scalars
        }
        let before = OneDNN.cachedPrimitives
        let expected = (0..<3).map { product($0, .bf16) }
        let split = OneDNN.Split(m: 45, n: 192, k: 40, workers: OneDNN.workers).parts
        XCTAssertEqual(OneDNN.cachedPrimitives, before + 2 + split)
        let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 64)
        results.initialize(repeating: [])
        defer { _ = results.deinitialize(); results.deallocate() }
        nonisolated(unsafe) let shared = results
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            shared[i] = i % 3 == 2 ? product(2, .bf16) : OneDNN.withThreadCount(1) { product(i % 3, .bf16) }
        }
        for i in 0..<64 { XCTAssertEqual(results[i], expected[i % 3], "call \(i)") }
        XCTAssertEqual(OneDNN.cachedPrimitives, before + 2 + split, "no primitive made twice")
    }

    func testPrecisionNames() throws {
        XCTAssertEqual(try Precision.resolve("fp32"), .fp32)
        XCTAssertThrowsError(try Precision.resolve("fp16")) { XCTAssertTrue("\($0)".contains("--precision must be")) }
        let auto = try Precision.resolve("auto")
        let native = (try? OneDNN.ensureLoaded().nativeBF16) == true
        XCTAssertEqual(auto, native ? .bf16 : .fp32)
        if native { XCTAssertEqual(try Precision.resolve("bf16"), .bf16) } else {
            XCTAssertThrowsError(try Precision.resolve("bf16")) { XCTAssertTrue("\($0)".contains("bf16"), "\($0)") }
        }
    }

    /// Small and one-row f32 products stay on OpenBLAS; large ones go to oneDNN where present.
    func testF32Routing() throws {
        try requireOneDNN()
        guard Matmul.routing == .auto else { throw XCTSkip("TEXTCLF_MATMUL forces a backend") }
        XCTAssertEqual(Matmul.f32Backend(m: 1, n: 4096, k: 4096).name, "openblas")
        XCTAssertEqual(Matmul.f32Backend(m: 8, n: 8, k: 8).name, "openblas")
        XCTAssertEqual(Matmul.f32Backend(m: 274, n: 1536, k: 384).name, "onednn")
    }
}
