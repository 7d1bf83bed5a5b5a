// LayerNorm over the last dimension: out = (x − mean) / sqrt(var + eps) · weight + bias.
// GPT-2 uses eps 1e-5, BERT 1e-12. Forward keeps mean and rstd (1/std) per row for the
// backward pass, which is llm.c's layernorm_backward:
//   norm = (x − mean)·rstd,  dnorm = weight·dout
//   dx = rstd · (dnorm − mean(dnorm) − norm · mean(dnorm·norm))
//   dweight += Σ_rows dout·norm,  dbias += Σ_rows dout
// Rows run in parallel; the weight/bias gradients go to one partial sum per worker first.
// CKernels runs the row loops (the same bits); the Swift ones are the reference.
import CKernels

public enum LayerNormKernel {
    static let rowGrain = 16

    /// x, out: [rows, cols]; weight, bias: [cols]; mean, rstd: [rows] or nil (inference).
    public static func forward(
        out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?,
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        rows: Int, cols: Int, eps: Float
    ) {
        let reference = VectorKernels.swiftReference
        Parallel.forRanges(rows, grain: rowGrain) { range in
            let lo = range.lowerBound
            guard reference else {
                return tc_layernorm_forward(out + lo * cols, mean.map { $0 + lo }, rstd.map { $0 + lo }, x + lo * cols,
                                            weight, bias, range.count, cols, eps)
            }
            for row in range {
                let xr = x + row * cols, yr = out + row * cols
                var acc = Vec(), c = 0
                while c + vecWidth <= cols { acc += load(xr, c); c += vecWidth }
                var sum = horizontalSum(acc)
                while c < cols { sum += xr[c]; c += 1 }
                let m = sum / Float(cols)

                var accVar = Vec(); c = 0
                while c + vecWidth <= cols { let d = load(xr, c) - m; accVar += d * d; c += vecWidth }
                var sumVar = horizontalSum(accVar)
                while c < cols { let d = xr[c] - m; sumVar += d * d; c += 1 }
                let s = 1 / (sumVar / Float(cols) + eps).squareRoot()

                c = 0
                while c + vecWidth <= cols {
                    store((load(xr, c) - m) * s * load(weight, c) + load(bias, c), yr, c)
                    c += vecWidth
                }
                while c < cols { yr[c] = (xr[c] - m) * s * weight[c] + bias[c]; c += 1 }
                mean?[row] = m
                rstd?[row] = s
            }
        }
    }

    /// Accumulates into dx (if non-nil) and dweight/dbias (if non-nil).
    public static func backward(
        dx: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?,
        dout: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int, cols: Int
    ) {
        let chunks = Parallel.chunkCount(rows, grain: rowGrain)
        let wantParams = dweight != nil || dbias != nil
        // Per-chunk partial sums of dweight (first cols) and dbias (next cols).
        let partials = Tensor(zeros: wantParams ? [chunks, 2 * cols] : [0])
        let partialBase = partials.mutablePointer
        let reference = VectorKernels.swiftReference
        Parallel.forChunks(rows, grain: rowGrain) { chunk, range in
            let pw = partialBase + chunk * 2 * cols, pb = pw + cols
            let lo = range.lowerBound
            guard reference else {
                return tc_layernorm_backward(dx.map { $0 + lo * cols }, wantParams ? pw : nil, wantParams ? pb : nil,
                                             dout + lo * cols, x + lo * cols, weight, mean + lo, rstd + lo, range.count, cols)
            }
            for row in range {
                let xr = x + row * cols, dr = dout + row * cols
                let m = mean[row], s = rstd[row]
                if wantParams {
                    var c = 0
                    while c + vecWidth <= cols {
                        let d = load(dr, c)
                        store(load(pw, c) + d * ((load(xr, c) - m) * s), pw, c)
                        store(load(pb, c) + d, pb, c)
                        c += vecWidth
                    }
                    while c < cols { pw[c] += dr[c] * ((xr[c] - m) * s); pb[c] += dr[c]; c += 1 }
                }
                guard let dx else { continue }
                var accD = Vec(), accDN = Vec(), c = 0
                while c + vecWidth <= cols {
                    let dnorm = load(weight, c) * load(dr, c)
                    accD += dnorm
                    accDN += dnorm * ((load(xr, c) - m) * s)
                    c += vecWidth
                }
                var sumD = horizontalSum(accD), sumDN = horizontalSum(accDN)
                while c < cols {
                    let dnorm = weight[c] * dr[c]
                    sumD += dnorm
                    sumDN += dnorm * ((xr[c] - m) * s)
                    c += 1
                }
                let meanD = sumD / Float(cols), meanDN = sumDN / Float(cols)
                let dxr = dx + row * cols
                c = 0
                while c + vecWidth <= cols {
                    let norm = (load(xr, c) - m) * s
                    let dnorm = load(weight, c) * load(dr, c)
                    store(load(dxr, c) + (dnorm - meanD - norm * meanDN) * s, dxr, c)
                    c += vecWidth
                }
                while c < cols {
                    let norm = (xr[c] - m) * s
                    dxr[c] += (weight[c] * dr[c] - meanD - norm * meanDN) * s
                    c += 1
                }
            }
        }
        guard wantParams else { return }
        for chunk in 0..<chunks {
            let pw = partialBase + chunk * 2 * cols
            if let dweight { Kernels.addInPlace(dweight, pw, count: cols) }
            if let dbias { Kernels.addInPlace(dbias, pw + cols, count: cols) }
        }
        withExtendedLifetime(partials) {}
    }
}

extension Ops {
    /// LayerNorm over the last dimension of `x` ([..., cols]); weight and bias are [cols].
    public static func layerNorm(_ x: Variable, weight: Parameter, bias: Parameter, eps: Float, tape: Tape?) -> Variable {
        let (rows, cols) = x.rowsAndColumns
        guard weight.value.count == cols, bias.value.count == cols else {
            fatalError("layerNorm: \(weight.name) \(weight.shape) / \(bias.name) \(bias.shape) do not match input \(x.shape)")
        }
        let needsGrad = recording(tape, x, weight, bias)
        let out = Tensor(uninitializedShape: x.shape)
        let mean = needsGrad ? Tensor(uninitializedShape: [rows]) : nil
        let rstd = needsGrad ? Tensor(uninitializedShape: [rows]) : nil
        withExtendedLifetime((x, weight, bias)) {
            LayerNormKernel.forward(out: out.mutablePointer, mean: mean?.mutablePointer, rstd: rstd?.mutablePointer,
                                    x: x.value.pointer, weight: weight.value.pointer, bias: bias.value.pointer,
                                    rows: rows, cols: cols, eps: eps)
        }
        let result = Variable(out, requiresGrad: needsGrad)
        if needsGrad, let tape, let mean, let rstd {
            tape.record("layerNorm", output: result, saved: [x.value, mean, rstd]) {
                guard let dout = result.grad else { return }
                LayerNormKernel.backward(
                    dx: x.gradBufferIfRequired()?.mutablePointer,
                    dweight: weight.gradBufferIfRequired()?.mutablePointer,
                    dbias: bias.gradBufferIfRequired()?.mutablePointer,
                    dout: dout.pointer, x: x.value.pointer, weight: weight.value.pointer,
                    mean: mean.pointer, rstd: rstd.pointer, rows: rows, cols: cols)
            }
        }
        return result
    }
}
