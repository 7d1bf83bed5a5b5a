// Linear layer on the matmul seam (OpenBLAS or oneDNN, f32 or bf16): out[rows, out] = x[rows, in] · W + bias.
// W may be stored [in, out] (Hugging Face GPT-2's Conv1D) or [out, in] (nn.Linear, BERT);
// the layout only changes a transpose flag, the weights are never copied.
// Backward (each part skipped when nobody needs it):
//   dx += dout · Wᵀ      dW += xᵀ · dout ([in, out]) or doutᵀ · x ([out, in])
//   dbias += Σ_rows dout

/// How a weight matrix is stored.
public enum WeightLayout: Sendable {
    /// [in, out]: HF GPT-2 Conv1D (`c_attn`, `c_proj`, `c_fc`).
    case inOut
    /// [out, in]: torch nn.Linear (BERT, classifier heads, tied LM head over `wte`).
    case outIn
}

public enum LinearKernel {
    /// out = x · W (+ bias): x [rows, inFeatures], out [rows, outFeatures].
    public static func forward(
        out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, layout: WeightLayout, rows: Int, inFeatures: Int, outFeatures: Int
    ) {
        if let bias {
            // Start from the bias in every row, then let the product add x·W (beta = 1).
            Parallel.forRanges(rows, grain: max(1, Kernels.elementwiseGrain / max(1, outFeatures))) { range in
                for row in range { (out + row * outFeatures).update(from: bias, count: outFeatures) }
            }
        }
        Matmul.gemm(transposeA: false, transposeB: layout == .outIn,
                   m: rows, n: outFeatures, k: inFeatures,
                   a: x, lda: inFeatures,
                   b: weight, ldb: layout == .inOut ? outFeatures : inFeatures,
                   beta: bias == nil ? 0 : 1, c: out, ldc: outFeatures)
    }

    /// dx = dxBeta·dx + dout · Wᵀ
    public static func backwardInput(
        dx: UnsafeMutablePointer<Float>, dxBeta: Float, dout: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        layout: WeightLayout, rows: Int, inFeatures: Int, outFeatures: Int
    ) {
        Matmul.gemm(transposeA: false, transposeB: layout == .inOut,
                   m: rows, n: inFeatures, k: outFeatures,
                   a: dout, lda: outFeatures,
                   b: weight, ldb: layout == .inOut ? outFeatures : inFeatures,
                   beta: dxBeta, c: dx, ldc: inFeatures)
    }

    /// dW += (layout-shaped) xᵀ·dout; dbias += column sums of dout.
    public static func backwardWeight(
        dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?,
        dout: UnsafePointer<Float>, x: UnsafePointer<Float>,
        layout: WeightLayout, rows: Int, inFeatures: Int, outFeatures: Int
    ) {
        if let dweight {
            switch layout {
            case .inOut:  // [in, out] += xᵀ[in, rows] · dout[rows, out]
                Matmul.gemm(transposeA: true, transposeB: false, m: inFeatures, n: outFeatures, k: rows,
                           a: x, lda: inFeatures, b: dout, ldb: outFeatures, beta: 1, c: dweight, ldc: outFeatures)
            case .outIn:  // [out, in] += doutᵀ[out, rows] · x[rows, in]
                Matmul.gemm(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: rows,
                           a: dout, lda: outFeatures, b: x, ldb: inFeatures, beta: 1, c: dweight, ldc: inFeatures)
            }
        }
        if let dbias { columnSums(into: dbias, dout, rows: rows, cols: outFeatures) }
    }

    /// sums[c] += Σ_r m[r, c], columns split between workers (each owns its columns).
    static func columnSums(into sums: UnsafeMutablePointer<Float>, _ m: UnsafePointer<Float>, rows: Int, cols: Int) {
        let blocks = (cols + vecWidth - 1) / vecWidth
        Parallel.forRanges(blocks, grain: max(1, 4096 / max(1, rows))) { blockRange in
            for block in blockRange {
                let c0 = block * vecWidth
                if c0 + vecWidth <= cols {
                    var acc = Vec()
                    for r in 0..<rows { acc += load(m, r * cols + c0) }
                    store(load(sums, c0) + acc, sums, c0)
                } else {
                    for c in c0..<cols {
                        var acc: Float = 0
                        for r in 0..<rows { acc += m[r * cols + c] }
                        sums[c] += acc
                    }
                }
            }
        }
    }
}

extension Ops {
    /// x [..., in] · weight (+ bias [out]) → [..., out]. `layout` says how weight is stored.
    public static func linear(_ x: Variable, weight: Parameter, bias: Parameter?, layout: WeightLayout, tape: Tape?) -> Variable {
        let (rows, inFeatures) = x.rowsAndColumns
        guard weight.shape.count == 2 else { fatalError("linear: \(weight.name) must be 2-D, is \(weight.shape)") }
        let (wIn, outFeatures) = layout == .inOut ? (weight.shape[0], weight.shape[1]) : (weight.shape[1], weight.shape[0])
        guard wIn == inFeatures, bias.map({ $0.value.count == outFeatures }) ?? true else {
            fatalError("linear: \(weight.name) \(weight.shape) (\(layout)) / bias \(bias?.shape ?? []) do not fit input \(x.shape)")
        }
        var outShape = x.shape
        outShape[outShape.count - 1] = outFeatures
        let out = Tensor(uninitializedShape: outShape)
        withExtendedLifetime((x, weight, bias)) {
            if tape == nil && Int8Inference.isEnabled {
                Int8Inference.weight(for: weight, layout: layout)
                    .forward(out: out.mutablePointer, x: x.value.pointer, bias: bias?.value.pointer, rows: rows)
                return
            }
            LinearKernel.forward(out: out.mutablePointer, x: x.value.pointer, weight: weight.value.pointer,
                                 bias: bias?.value.pointer, layout: layout,
                                 rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
        }
        let result = Variable(out, requiresGrad: recording(tape, x, weight, bias))
        if result.requiresGrad, let tape {
            tape.record("linear", output: result, saved: [x.value]) {
                guard let dout = result.grad else { return }
                linearBackward(dout: dout, x: x, weight: weight, bias: bias, layout: layout,
                               rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
            }
        }
        return result
    }

    /// A dense layer's backward step: dx (+)= dout·Wᵀ if x needs a gradient, then dW and dbias
    /// for those that need one. Returns x's gradient buffer if it was written.
    @discardableResult
    static func linearBackward(dout: Tensor, x: Variable, weight: Parameter, bias: Parameter?, layout: WeightLayout,
                               rows: Int, inFeatures: Int, outFeatures: Int) -> Tensor? {
        var written: Tensor?
        if x.requiresGrad {
            let (dx, beta) = x.gradBufferForWrite()
            LinearKernel.backwardInput(dx: dx.mutablePointer, dxBeta: beta, dout: dout.pointer,
                                       weight: weight.value.pointer, layout: layout,
                                       rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
            written = dx
        }
        LinearKernel.backwardWeight(
            dweight: weight.gradBufferIfRequired()?.mutablePointer,
            dbias: bias?.gradBufferIfRequired()?.mutablePointer,
            dout: dout.pointer, x: x.value.pointer, layout: layout,
            rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
        return written
    }
}
