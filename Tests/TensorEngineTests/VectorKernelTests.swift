import CKernels
import Common
import Foundation
@testable import TensorEngine
import XCTest

/// CKernels against the Swift loops they mirror, in every variant this CPU runs (avx512f, avx2
/// and the baseline "default" build, forced through the dispatch table), on awkward lengths.
/// Both sides do the same IEEE float operations in the same order per element and per lane
/// sum, and neither fuses a multiply-add, so the vector width cannot change a result: the
/// comparison is bit for bit, with no tolerance to tune.
final class VectorKernelTests: XCTestCase {
    static let lengths = [0, 1, 15, 16, 17, 1000]

    override func tearDown() {
        VectorKernels.swiftReference = false
        VectorKernels.use(.best)
    }

    func testBestVariantIsDispatchedAndBaselineCanBeForced() {
        XCTAssertEqual(VectorKernels.isa, VectorISA.best)
        XCTAssertTrue(VectorKernels.use(.baseline))
        XCTAssertEqual(VectorKernels.isa, .baseline)
        XCTAssertEqual(VectorKernels.activeName, "default")
        for isa in VectorISA.allCases where !isa.isSupported {
            XCTAssertFalse(VectorKernels.use(isa), "\(isa) accepted on a CPU without it")
            XCTAssertEqual(VectorKernels.isa, .baseline)
        }
    }

    /// Values in ±`scale`, with exact zeros, ±0.5 and the exp clamp's range among them.
    static func values(_ count: Int, seed: UInt64, scale: Float = 6) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { i in
            switch i % 29 {
            case 3: return 0
            case 7: return -0.5
            case 11: return scale * 20
            case 13: return -scale * 20
            default: return (rng.nextUnitFloat() * 2 - 1) * scale
            }
        }
    }

    /// `run(useC)` with the Swift loops, then with C in each supported variant: identical bits.
    func assertVariantsMatchSwift(_ what: String, file: StaticString = #filePath, line: UInt = #line,
                                  _ run: (_ useC: Bool) -> [Float]) {
        VectorKernels.swiftReference = true
        let expected = run(false)
        VectorKernels.swiftReference = false
        var variants = 0
        for isa in VectorISA.allCases where isa.isSupported {
            XCTAssertTrue(VectorKernels.use(isa), file: file, line: line)
            let actual = run(true)
            XCTAssertEqual(actual.count, expected.count, "\(what) [\(isa)]", file: file, line: line)
            if let i = actual.indices.first(where: { $0 < expected.count && actual[$0].bitPattern != expected[$0].bitPattern }) {
                XCTFail("\(what) [\(isa)]: element \(i) is \(actual[i]), the Swift loop gives \(expected[i])", file: file, line: line)
            }
            variants += 1
        }
        XCTAssertEqual(variants, Int(VectorISA.best.rawValue) + 1, file: file, line: line)
    }

    func testGELUForwardAndBackward() {
        for kind in [GELUKind.tanh, .erf] {
            for n in Self.lengths + [100_003] {  // the last is split between workers
                let x = Self.values(n, seed: 1), dout = Self.values(n, seed: 2), dx0 = Self.values(n, seed: 3)
                assertVariantsMatchSwift("gelu \(kind) forward n=\(n)") { useC in
                    var out = [Float](repeating: .nan, count: n)
                    if useC { tc_gelu_forward(&out, x, n, kind.code) } else {
                        GELUKernel.forward(out: &out, x: x, count: n, kind: kind)
                    }
                    return out
                }
                assertVariantsMatchSwift("gelu \(kind) backward n=\(n)") { _ in
                    var dx = dx0
                    GELUKernel.backward(dx: &dx, dout: dout, x: x, count: n, kind: kind)
                    return dx
                }
            }
        }
    }

    func testTanhForwardAndBackward() {
        for n in Self.lengths {
            let x = Self.values(n, seed: 4), dout = Self.values(n, seed: 5), dx0 = Self.values(n, seed: 6)
            let y = x.map { Foundation.tanh($0) }
            assertVariantsMatchSwift("tanh forward n=\(n)") { useC in
                var out = [Float](repeating: .nan, count: n)
                if useC { tc_tanh_forward(&out, x, n) } else { TanhKernel.forward(out: &out, x: x, count: n) }
                return out
            }
            assertVariantsMatchSwift("tanh backward n=\(n)") { _ in
                var dx = dx0
                TanhKernel.backward(dx: &dx, dout: dout, y: y, count: n)
                return dx
            }
        }
    }

    func testLayerNormForwardAndBackward() {
        for cols in Self.lengths where cols > 0 {
            for rows in [0, 3, 40] {  // 40 rows: more than one worker's grain
                let x = Self.values(rows * cols, seed: 7, scale: 3), dout = Self.values(rows * cols, seed: 8)
                let weight = Self.values(cols, seed: 9, scale: 1), bias = Self.values(cols, seed: 10, scale: 1)
                let dx0 = Self.values(rows * cols, seed: 11), dw0 = Self.values(cols, seed: 12), db0 = Self.values(cols, seed: 13)
                assertVariantsMatchSwift("layerNorm forward \(rows)×\(cols)") { useC in
                    var out = [Float](repeating: .nan, count: rows * cols)
                    var mean = [Float](repeating: .nan, count: rows), rstd = mean
                    if useC {
                        tc_layernorm_forward(&out, &mean, &rstd, x, weight, bias, rows, cols, 1e-5)
                    } else {
                        LayerNormKernel.forward(out: &out, mean: &mean, rstd: &rstd, x: x, weight: weight, bias: bias,
                                                rows: rows, cols: cols, eps: 1e-5)
                    }
                    return out + mean + rstd
                }
                var mean = [Float](repeating: 0, count: rows), rstd = mean, out = x
                LayerNormKernel.forward(out: &out, mean: &mean, rstd: &rstd, x: x, weight: weight, bias: bias,
                                        rows: rows, cols: cols, eps: 1e-12)
                assertVariantsMatchSwift("layerNorm backward \(rows)×\(cols)") { _ in
                    var dx = dx0, dw = dw0, db = db0
                    LayerNormKernel.backward(dx: &dx, dweight: &dw, dbias: &db, dout: dout, x: x, weight: weight,
                                             mean: mean, rstd: rstd, rows: rows, cols: cols)
                    return dx + dw + db
                }
                assertVariantsMatchSwift("layerNorm backward, dx only \(rows)×\(cols)") { _ in
                    var dx = dx0
                    LayerNormKernel.backward(dx: &dx, dweight: nil, dbias: nil, dout: dout, x: x, weight: weight,
                                             mean: mean, rstd: rstd, rows: rows, cols: cols)
                    return dx
                }
            }
        }
    }

    func testSoftmaxForwardAndBackward() {
        for n in Self.lengths {
            let x = Self.values(n, seed: 14, scale: 30), dp0 = Self.values(n, seed: 15)
            assertVariantsMatchSwift("softmax n=\(n)") { useC in
                var row = x
                if useC { tc_softmax_row(&row, n) } else { AttentionKernel.softmaxRow(&row, count: n) }
                return row
            }
            var p = x
            AttentionKernel.softmaxRow(&p, count: n)
            assertVariantsMatchSwift("softmax backward n=\(n)") { useC in
                var dp = dp0
                if useC { tc_softmax_backward_row(&dp, p, n, 0.125) } else {
                    AttentionKernel.softmaxBackwardRow(&dp, probabilities: &p, count: n, scale: 0.125)
                }
                return dp
            }
        }
    }

    func testDropoutDrawsTheSameMask() {
        for n in Self.lengths + [100_003] {
            let x = Self.values(n, seed: 16), out0 = Self.values(n, seed: 17)
            for accumulate in [false, true] {
                assertVariantsMatchSwift("dropout n=\(n) accumulate=\(accumulate)") { _ in
                    var out = out0
                    DropoutKernel.apply(out: &out, x: x, count: n, rate: 0.1, key: 0x1234_5678_9ABC_DEF0, accumulate: accumulate)
                    return out
                }
            }
            // Attention's dropout: the mask of elements starting at an offset, and its gradient.
            let unused = UnsafeMutablePointer<Float>.allocate(capacity: 1)
            defer { unused.deallocate() }
            let dropout = AttentionDropout(rate: 0.25, key: 42, dropped: unused)
            assertVariantsMatchSwift("attention dropout n=\(n)") { _ in
                var out = [Float](repeating: .nan, count: n)
                dropout.apply(&out, x, count: n, element: 1_000_003)
                return out
            }
            var dropped = [Float](repeating: 0, count: n)
            dropout.apply(&dropped, x, count: n, element: 7)
            assertVariantsMatchSwift("attention dropout gradient n=\(n)") { _ in
                var row = out0
                dropout.maskGradient(&row, dropped: dropped, count: n)
                return row
            }
        }
    }

    /// The mask is the one the scalar hash gives, element by element: seeded runs keep their stream.
    func testDropoutMaskIsTheScalarHash() {
        let n = 1000, key: UInt64 = 99, rate: Float = 0.3
        let x = [Float](repeating: 1, count: n)
        for isa in VectorISA.allCases where VectorKernels.use(isa) {
            var out = [Float](repeating: .nan, count: n)
            tc_dropout(&out, x, n, 5, key, rate, 1 / (1 - rate), 0)
            for i in 0..<n {
                XCTAssertEqual(out[i], DropoutKernel.scale(key: key, index: 5 + i, rate: rate, keepScale: 1 / (1 - rate)), "[\(isa)] \(i)")
            }
        }
    }

    func testEmbeddingGatherAndScatter() throws {
        for dim in Self.lengths where dim > 0 {
            let table = Self.values(50 * dim, seed: 18), out0 = Self.values(20 * dim, seed: 19)
            let ids: [Int32] = (0..<20).map { Int32(($0 * 7) % 50) }
            for accumulate in [false, true] {
                assertVariantsMatchSwift("embedding dim=\(dim) accumulate=\(accumulate)") { _ in
                    var out = out0
                    EmbeddingKernel.forward(out: &out, table: table, ids: ids, rows: 20, dim: dim, accumulate: accumulate)
                    return out
                }
            }
            let repeated: [Int32] = (0..<20).map { Int32($0 % 3) }  // repeated ids accumulate
            assertVariantsMatchSwift("embedding backward dim=\(dim)") { _ in
                var dtable = table
                EmbeddingKernel.backward(dtable: &dtable, dout: out0, ids: repeated, rows: 20, dim: dim)
                return dtable
            }
        }
    }

    func testAddAccumulateAxpy() {
        for n in Self.lengths + [100_003] {
            let a = Self.values(n, seed: 20), b = Self.values(n, seed: 21)
            assertVariantsMatchSwift("add n=\(n)") { _ in
                var out = [Float](repeating: .nan, count: n)
                Kernels.add(&out, a, b, count: n)
                return out
            }
            assertVariantsMatchSwift("addInPlace n=\(n)") { _ in
                var y = a
                Kernels.addInPlace(&y, b, count: n)
                return y
            }
            assertVariantsMatchSwift("axpy n=\(n)") { _ in
                var y = a
                Kernels.axpy(&y, alpha: -0.37, b, count: n)
                return y
            }
        }
    }
}
