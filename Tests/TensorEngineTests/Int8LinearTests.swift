import TensorEngine
import TestRequirements
import XCTest

/// int8 Linear layers against the exact (float64) product, with the error bound of the
/// quantisation itself: x = sx·(qx − zx) + ex with |ex| ≤ sx/2 per row, W = sw·qw + ew with
/// |ew| ≤ sw/2 per column, so |x·W − x̂·Ŵ| ≤ Σ_p (|x_p|·sw/2 + |W_pj|·sx/2 + sx·sw/4); the s32
/// accumulation is exact and the dequantisation adds f32 rounding (a few u of the result).
final class Int8LinearTests: XCTestCase {
    private func checkLayer(rows: Int, inFeatures: Int, outFeatures: Int, layout: WeightLayout, seed: UInt64) throws {
        let x = Tensor.random(shape: [rows, inFeatures], seed: seed)
        let wShape = layout == .inOut ? [inFeatures, outFeatures] : [outFeatures, inFeatures]
        let w = Tensor.random(shape: wShape, seed: seed + 1, scale: 0.1)
        let bias = Tensor.random(shape: [outFeatures], seed: seed + 2)
        let quantized = Int8Weight(w, layout: layout)
        let out = Tensor(zeros: [rows, outFeatures])
        withExtendedLifetime((x, bias)) {
            quantized.forward(out: out.mutablePointer, x: x.pointer, bias: bias.pointer, rows: rows)
        }
        func weight(_ p: Int, _ j: Int) -> Double { Double(layout == .inOut ? w[flat: p * outFeatures + j] : w[flat: j * inFeatures + p]) }
        var worst = 0.0, largestError = 0.0
        for i in 0..<rows {
            var lo = 0.0, hi = 0.0
            for p in 0..<inFeatures { lo = min(lo, Double(x[flat: i * inFeatures + p])); hi = max(hi, Double(x[flat: i * inFeatures + p])) }
            let sx = (hi - lo) / 255
            for j in 0..<outFeatures {
                let sw = Double(quantized.scales[j])
                var exact = Double(bias[flat: j]), bound = 0.0
                for p in 0..<inFeatures {
                    let xv = Double(x[flat: i * inFeatures + p]), wv = weight(p, j)
                    exact += xv * wv
                    bound += abs(xv) * sw / 2 + abs(wv) * sx / 2 + sx * sw / 4
                }
                bound += 8 * 0x1p-24 * (abs(exact) + bound)
                let error = abs(Double(out[flat: i * outFeatures + j]) - exact)
                worst = max(worst, error / bound)
                largestError = max(largestError, error)
            }
        }
        XCTAssertLessThanOrEqual(worst, 1, "\(rows)×\(inFeatures)×\(outFeatures) \(layout): error / bound")
        XCTAssertGreaterThan(largestError, 1e-6, "the layer did run quantised")
    }

    func testLayerOutputsStayWithinTheQuantisationBound() throws {
        do { try OneDNN.ensureLoaded() } catch { throw missingPrerequisite("oneDNN not available: \(error)") }
        try checkLayer(rows: 7, inFeatures: 33, outFeatures: 19, layout: .inOut, seed: 1)
        try checkLayer(rows: 40, inFeatures: 384, outFeatures: 96, layout: .outIn, seed: 4)
        try checkLayer(rows: 1, inFeatures: 64, outFeatures: 10, layout: .outIn, seed: 7)
        // Products split between the workers into column blocks (the last one ragged), then
        // into row blocks, each block of u8 × s8 at its own offsets.
        try checkLayer(rows: 37, inFeatures: 53, outFeatures: 200, layout: .outIn, seed: 10)
        try checkLayer(rows: 97, inFeatures: 60, outFeatures: 96, layout: .inOut, seed: 13)
    }

    /// Per-output-channel symmetric s8: every weight within half a step of its column's scale,
    /// and the scale is the column's largest |w| / 127.
    func testWeightsArePerChannelSymmetric() throws {
        do { try OneDNN.ensureLoaded() } catch { throw missingPrerequisite("oneDNN not available: \(error)") }
        let w = Tensor.random(shape: [5, 12], seed: 9)  // [out, in]
        let quantized = Int8Weight(w, layout: .outIn)
        let dequantized = quantized.dequantized  // [in, out]
        for j in 0..<5 {
            let column = (0..<12).map { w[flat: j * 12 + $0] }
            XCTAssertEqual(quantized.scales[j], column.map(abs).max()! / 127, accuracy: 1e-7)
            for p in 0..<12 {
                XCTAssertLessThanOrEqual(abs(dequantized[p * 5 + j] - column[p]), quantized.scales[j] / 2 * (1 + 1e-5))
            }
        }
    }

    /// Through Ops.linear: with int8 on, a forward without a tape is quantised and a recorded
    /// one (training) is not.
    func testOnlyUntapedForwardsAreQuantised() throws {
        do { try OneDNN.ensureLoaded() } catch { throw missingPrerequisite("oneDNN not available: \(error)") }
        let x = Variable(Tensor.random(shape: [6, 32], seed: 2))
        let w = Parameter(name: "w", value: Tensor.random(shape: [8, 32], seed: 3))
        let fp32 = Ops.linear(x, weight: w, bias: nil, layout: .outIn, tape: nil).value.scalars
        let (int8, taped) = Int8Inference.with(true) {
            (Ops.linear(x, weight: w, bias: nil, layout: .outIn, tape: nil).value.scalars,
             Ops.linear(x, weight: w, bias: nil, layout: .outIn, tape: Tape()).value.scalars)
        }
        XCTAssertEqual(taped, fp32)
        XCTAssertNotEqual(int8, fp32)
        XCTAssertLessThan(zip(int8, fp32).map { abs($0 - $1) }.max()!, 0.1)
    }
}
