// A dense layer with a low-rank update (LoRA) as one op:
//
//     out = x·W (+ bias) + s · (x·Aᵀ)·Bᵀ        A [r, in], B [out, r]
//
// The two-op form (linear, then the adapter's linear, linear, scale and add) keeps three more
// [rows, out] tensors per layer alive for the backward pass; this keeps x and the [rows, r]
// x·Aᵀ only. Backward, with dlow = s · dout·B:
//   dB += s · doutᵀ·(x·Aᵀ)     dA += dlowᵀ·x     dx += dout·Wᵀ + dlow·A     (dW, dbias as Linear)

extension Ops {
    public static func linearWithLowRank(_ x: Variable, weight: Parameter, bias: Parameter?, layout: WeightLayout,
                                         a: Parameter, b: Parameter, scale: Float, tape: Tape?) -> Variable {
        let (rows, inFeatures) = x.rowsAndColumns
        let rank = a.shape.first ?? 0, outFeatures = b.shape.first ?? 0
        guard a.shape == [rank, inFeatures], b.shape == [outFeatures, rank], rank > 0 else {
            fatalError("linearWithLowRank: A \(a.shape) and B \(b.shape) do not fit input \(x.shape)")
        }
        // The plain layer first (int8 where that is on and nothing is recorded), then the update into it.
        let out = linear(x, weight: weight, bias: bias, layout: layout, tape: nil).value
        guard out.shape.last == outFeatures else { fatalError("linearWithLowRank: B \(b.shape) does not fit \(weight.name) \(weight.shape)") }
        let low = Tensor(uninitializedShape: [rows, rank])
        withExtendedLifetime((x, a, b)) {
            Matmul.gemm(transposeA: false, transposeB: true, m: rows, n: rank, k: inFeatures,
                        a: x.value.pointer, lda: inFeatures, b: a.value.pointer, ldb: inFeatures,
                        beta: 0, c: low.mutablePointer, ldc: rank)
            Matmul.gemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: rank, alpha: scale,
                        a: low.pointer, lda: rank, b: b.value.pointer, ldb: rank,
                        beta: 1, c: out.mutablePointer, ldc: outFeatures)
        }
        let result = Variable(out, requiresGrad: recording(tape, x, weight, bias, a, b))
        if result.requiresGrad, let tape {
            tape.record("linear+lowrank", output: result, saved: [x.value, low]) {
                guard let dout = result.grad else { return }
                let dlow = Tensor(uninitializedShape: [rows, rank])
                Matmul.gemm(transposeA: false, transposeB: false, m: rows, n: rank, k: outFeatures, alpha: scale,
                            a: dout.pointer, lda: outFeatures, b: b.value.pointer, ldb: rank,
                            beta: 0, c: dlow.mutablePointer, ldc: rank)
                if let db = b.gradBufferIfRequired() {
                    Matmul.gemm(transposeA: true, transposeB: false, m: outFeatures, n: rank, k: rows, alpha: scale,
                                a: dout.pointer, lda: outFeatures, b: low.pointer, ldb: rank,
                                beta: 1, c: db.mutablePointer, ldc: rank)
                }
                if let da = a.gradBufferIfRequired() {
                    Matmul.gemm(transposeA: true, transposeB: false, m: rank, n: inFeatures, k: rows,
                                a: dlow.pointer, lda: rank, b: x.value.pointer, ldb: inFeatures,
                                beta: 1, c: da.mutablePointer, ldc: inFeatures)
                }
                if let dx = linearBackward(dout: dout, x: x, weight: weight, bias: bias, layout: layout,
                                           rows: rows, inFeatures: inFeatures, outFeatures: outFeatures) {
                    Matmul.gemm(transposeA: false, transposeB: false, m: rows, n: inFeatures, k: rank,
                                a: dlow.pointer, lda: rank, b: a.value.pointer, ldb: inFeatures,
                                beta: 1, c: dx.mutablePointer, ldc: inFeatures)
                }
            }
        }
        return result
    }
}
