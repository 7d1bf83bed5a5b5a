// Multi-head scaled dot-product attention over right-padded sequences.
//
// For every (sequence b, head h), with Lq real queries and Lk real keys:
//   S = Q·Kᵀ / √headDim        [Lq, Lk]   BLAS
//   P = softmax(S) per row      (causal: query i sees keys j ≤ i + offset; keys ≥ Lk never)
//   O = P·V                    [Lq, headDim]  BLAS
// Padded query rows (i ≥ Lq) get O = 0 and P = 0. Only the real [Lq, Lk] blocks are
// multiplied, so padding costs no BLAS work.
//
// With attention dropout (training, BERT's attention_probs_dropout_prob), O = D·V where
// D = P ∘ mask / (1 − rate); P itself is kept for the softmax gradient.
//
// Backward, from dO:
//   dD = dO·Vᵀ,  dV += Dᵀ·dO                BLAS  (D = P without dropout)
//   dP = dD ∘ mask / (1 − rate)              ours, in place (dropout only)
//   dS = P ∘ (dP − rowsum(dP ∘ P)) / √hd    ours, in place
//   dQ += dS·K,  dK += dSᵀ·Q                 BLAS
//
// Q, K, V and O are read and written in place through `HeadView` strides: the packed GPT-2
// c_attn output [B·T, 3C] (Q at column h·hd, K at C + h·hd, V at 2C + h·hd), separate
// [B·T, C] BERT projections, or a KV cache laid out [B, H, time, hd] — so no head
// permutation is ever copied. See `AttentionKernel.Schedule` for how the work is threaded.

import CKernels

/// Where one attention operand lives: element (b, h, t, d) is at
/// base + b·batchStride + h·headStride + t·rowStride + d.
public struct HeadView {
    public var base: UnsafeMutablePointer<Float>
    public var batchStride: Int
    public var headStride: Int
    public var rowStride: Int

    public init(base: UnsafeMutablePointer<Float>, batchStride: Int, headStride: Int, rowStride: Int) {
        self.base = base
        self.batchStride = batchStride
        self.headStride = headStride
        self.rowStride = rowStride
    }

    /// A read-only operand (never written through this view).
    public init(readOnly base: UnsafePointer<Float>, batchStride: Int, headStride: Int, rowStride: Int) {
        self.init(base: UnsafeMutablePointer(mutating: base), batchStride: batchStride, headStride: headStride, rowStride: rowStride)
    }

    /// Rows [B·T, width] holding all heads side by side from column `offset`
    /// (e.g. packed QKV: width 3C, offset 0 / C / 2C; separate projections: width C, offset 0).
    public static func rows(_ base: UnsafePointer<Float>, time: Int, width: Int, offset: Int, headDim: Int) -> HeadView {
        HeadView(readOnly: base + offset, batchStride: time * width, headStride: headDim, rowStride: width)
    }

    /// Heads laid out [B, H, time, headDim] (the KV-cache layout).
    public static func headMajor(_ base: UnsafePointer<Float>, heads: Int, time: Int, headDim: Int) -> HeadView {
        HeadView(readOnly: base, batchStride: heads * time * headDim, headStride: time * headDim, rowStride: headDim)
    }

    @inline(__always) func at(_ b: Int, _ h: Int) -> UnsafeMutablePointer<Float> {
        base + b * batchStride + h * headStride
    }
}

/// Sizes of one attention call. Query i of sequence b may see keys j < keyLengths[b], and
/// with `causal` only j ≤ i + queryOffset (queryOffset = keys already cached before the
/// first query; 0 in training).
public struct AttentionShape {
    public var batchSize: Int
    public var heads: Int
    public var headDim: Int
    /// Padded query positions per sequence (rows of P).
    public var queryTime: Int
    /// Padded key positions per sequence (columns of P).
    public var keyTime: Int
    public var queryLengths: [Int]
    public var keyLengths: [Int]
    public var queryOffset: Int
    public var causal: Bool

    public init(batchSize: Int, heads: Int, headDim: Int, queryTime: Int, keyTime: Int,
                queryLengths: [Int], keyLengths: [Int], queryOffset: Int, causal: Bool) {
        self.batchSize = batchSize
        self.heads = heads
        self.headDim = headDim
        self.queryTime = queryTime
        self.keyTime = keyTime
        self.queryLengths = queryLengths
        self.keyLengths = keyLengths
        self.queryOffset = queryOffset
        self.causal = causal
    }

    /// Self-attention over a padded batch (training / evaluation).
    public init(batch: PaddedBatch, heads: Int, headDim: Int, causal: Bool) {
        self.init(batchSize: batch.batchSize, heads: heads, headDim: headDim, queryTime: batch.time, keyTime: batch.time,
                  queryLengths: batch.lengths, keyLengths: batch.lengths, queryOffset: 0, causal: causal)
    }

    /// Floats in the probability buffer P: [B, H, queryTime, keyTime].
    public var probabilityCount: Int { batchSize * heads * queryTime * keyTime }

    var scale: Float { 1 / Float(headDim).squareRoot() }

    @inline(__always) func keyLimit(_ b: Int, query i: Int) -> Int {
        causal ? min(keyLengths[b], i + queryOffset + 1) : keyLengths[b]
    }

    @inline(__always) func probabilities(_ p: UnsafeMutablePointer<Float>, _ b: Int, _ h: Int) -> UnsafeMutablePointer<Float> {
        p + (b * heads + h) * queryTime * keyTime
    }
}

/// Dropout on the attention probabilities: the rate, the mask's key (see `DropoutKernel`:
/// element e of P, flat index in [B, H, Tq, Tk], is kept by hash(key, e), so the mask does not
/// depend on the schedule), and where the dropped probabilities D go (probabilityCount floats).
public struct AttentionDropout {
    public var rate: Float
    public var key: UInt64
    public var dropped: UnsafeMutablePointer<Float>

    public init(rate: Float, key: UInt64, dropped: UnsafeMutablePointer<Float>) {
        self.rate = rate
        self.key = key
        self.dropped = dropped
    }

    var keepScale: Float { 1 / (1 - rate) }

    /// dP = dD ∘ mask / (1 − rate) in place for one row, the mask read off D instead of hashed
    /// again: D[j] = 0 where dropped, and where kept with P[j] = 0, in which case dP[j] does not
    /// reach dS (dS = P ∘ (dP − Σ dP∘P)). So the result is the same as with the hash.
    @inline(__always) func maskGradient(_ row: UnsafeMutablePointer<Float>, dropped d: UnsafePointer<Float>, count: Int) {
        let keep = keepScale
        guard VectorKernels.swiftReference else { return tc_dropout_mask_gradient(row, d, count, keep) }
        var j = 0
        while j + vecWidth <= count {
            let scaled = load(row, j) * keep
            store(scaled.replacing(with: 0, where: load(d, j) .== 0), row, j)
            j += vecWidth
        }
        while j < count { row[j] = d[j] == 0 ? 0 : row[j] * keep; j += 1 }
    }

    /// out[j] = x[j] · mask(e + j) / (1 − rate) for one row starting at flat element e.
    @inline(__always) func apply(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int, element e: Int) {
        let keep = keepScale
        guard VectorKernels.swiftReference else { return tc_dropout(out, x, count, e, key, rate, keep, 0) }
        for j in 0..<count { out[j] = x[j] * DropoutKernel.scale(key: key, index: e + j, rate: rate, keepScale: keep) }
    }
}

public enum AttentionKernel {
    /// How the (sequence, head) pairs are spread over the cores.
    public enum Schedule: Sendable {
        /// All BLAS products from the calling thread (OpenBLAS threads inside each), then our
        /// parallel softmax, then BLAS again: BLAS and our workers strictly alternate.
        case phased
        /// Our workers take whole (sequence, head) pairs, each with single-threaded BLAS
        /// calls and its own softmax: no barriers, the P block stays in cache.
        case perHead
    }

    /// The schedule the ops use (measured with `textclf bench kernels`). A tuning knob set
    /// at startup or by benchmarks and tests, never while ops run: hence nonisolated(unsafe).
    nonisolated(unsafe) public static var schedule: Schedule = .perHead

    /// O = softmax(mask(Q·Kᵀ/√d))·V. `probabilities` ([B, H, Tq, Tk]) receives P; keep it
    /// (and `dropout.dropped`) for backward. Padded query rows of `out` are zeroed.
    public static func forward(out: HeadView, probabilities: UnsafeMutablePointer<Float>,
                               q: HeadView, k: HeadView, v: HeadView, shape: AttentionShape, dropout: AttentionDropout? = nil) {
        let pairs = shape.batchSize * shape.heads
        let weights = dropout?.dropped ?? probabilities  // what multiplies V
        switch schedule {
        case .perHead:
            BLAS.withThreadCount(1) {
                Parallel.forEach(pairs, chunksPerWorker: 4) { pair in
                    let (b, h) = (pair / shape.heads, pair % shape.heads)
                    scores(b, h, probabilities, q, k, shape)
                    softmaxRows(b, h, probabilities, shape, rows: 0..<shape.queryTime)
                    if let dropout { dropRows(b, h, probabilities, dropout, shape, rows: 0..<shape.queryTime) }
                    weightedValues(b, h, out, weights, v, shape)
                }
            }
        case .phased:
            for pair in 0..<pairs { scores(pair / shape.heads, pair % shape.heads, probabilities, q, k, shape) }
            Parallel.forRanges(pairs * shape.queryTime, grain: 64, chunksPerWorker: 4) { range in
                for flat in range {
                    let pair = flat / shape.queryTime, i = flat % shape.queryTime
                    softmaxRows(pair / shape.heads, pair % shape.heads, probabilities, shape, rows: i..<(i + 1))
                    if let dropout { dropRows(pair / shape.heads, pair % shape.heads, probabilities, dropout, shape, rows: i..<(i + 1)) }
                }
            }
            for pair in 0..<pairs { weightedValues(pair / shape.heads, pair % shape.heads, out, weights, v, shape) }
        }
    }

    /// Accumulates dQ, dK, dV (each optional) from dO. `scratch` holds probabilityCount floats.
    /// `dropout` must be the forward's (same key, its `dropped` still holding D).
    public static func backward(dq: HeadView?, dk: HeadView?, dv: HeadView?, dout: HeadView,
                                probabilities: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                q: HeadView, k: HeadView, v: HeadView, shape: AttentionShape, dropout: AttentionDropout? = nil) {
        let p = UnsafeMutablePointer(mutating: probabilities)
        let weights = dropout?.dropped ?? p  // what multiplied V
        let pairs = shape.batchSize * shape.heads
        let needScores = dq != nil || dk != nil
        /// dS for one real query row: through the dropout mask (if any), then the softmax.
        @inline(__always) func scoreGradientRow(_ b: Int, _ h: Int, _ i: Int) {
            if let dropout {
                let offset = i * shape.keyTime
                dropout.maskGradient(shape.probabilities(scratch, b, h) + offset,
                                     dropped: shape.probabilities(dropout.dropped, b, h) + offset, count: shape.keyLengths[b])
            }
            softmaxBackwardRow(b, h, i, scratch, p, shape)
        }
        switch schedule {
        case .perHead:
            BLAS.withThreadCount(1) {
                Parallel.forEach(pairs, chunksPerWorker: 4) { pair in
                    let (b, h) = (pair / shape.heads, pair % shape.heads)
                    backwardValues(b, h, scratch: needScores ? scratch : nil, dv: dv, dout: dout, p: weights, v: v, shape)
                    guard needScores else { return }
                    for i in 0..<shape.queryLengths[b] { scoreGradientRow(b, h, i) }
                    backwardScores(b, h, dq: dq, dk: dk, ds: scratch, q: q, k: k, shape)
                }
            }
        case .phased:
            for pair in 0..<pairs {
                backwardValues(pair / shape.heads, pair % shape.heads, scratch: needScores ? scratch : nil,
                               dv: dv, dout: dout, p: weights, v: v, shape)
            }
            guard needScores else { return }
            Parallel.forRanges(pairs * shape.queryTime, grain: 64, chunksPerWorker: 4) { range in
                for flat in range {
                    let pair = flat / shape.queryTime, i = flat % shape.queryTime
                    let b = pair / shape.heads
                    if i < shape.queryLengths[b] { scoreGradientRow(b, pair % shape.heads, i) }
                }
            }
            for pair in 0..<pairs {
                backwardScores(pair / shape.heads, pair % shape.heads, dq: dq, dk: dk, ds: scratch, q: q, k: k, shape)
            }
        }
    }

    // MARK: Steps for one (sequence b, head h)

    /// S = scale · Q Kᵀ over the real [Lq, Lk] block.
    @inline(__always)
    static func scores(_ b: Int, _ h: Int, _ p: UnsafeMutablePointer<Float>, _ q: HeadView, _ k: HeadView, _ shape: AttentionShape) {
        BLAS.sgemm(transposeA: false, transposeB: true, m: shape.queryLengths[b], n: shape.keyLengths[b], k: shape.headDim,
                   alpha: shape.scale, a: q.at(b, h), lda: q.rowStride, b: k.at(b, h), ldb: k.rowStride,
                   beta: 0, c: shape.probabilities(p, b, h), ldc: shape.keyTime)
    }

    /// Masked softmax of the given rows of P, in place; masked and padded entries become 0.
    @inline(__always)
    static func softmaxRows(_ b: Int, _ h: Int, _ p: UnsafeMutablePointer<Float>, _ shape: AttentionShape, rows: Range<Int>) {
        let base = shape.probabilities(p, b, h), tk = shape.keyTime
        for i in rows {
            let row = base + i * tk
            let limit = i < shape.queryLengths[b] ? shape.keyLimit(b, query: i) : 0
            softmaxRow(row, count: limit)
            (row + limit).update(repeating: 0, count: tk - limit)
        }
    }

    /// D = P ∘ mask / (1 − rate) for the given rows: masks drawn for the entries softmax
    /// filled only (P is 0 beyond them, so D is too, without a draw).
    @inline(__always)
    static func dropRows(_ b: Int, _ h: Int, _ p: UnsafeMutablePointer<Float>, _ dropout: AttentionDropout,
                         _ shape: AttentionShape, rows: Range<Int>) {
        let start = shape.probabilities(p, b, h) - p, tk = shape.keyTime
        for i in rows {
            let e = start + i * tk
            let limit = i < shape.queryLengths[b] ? shape.keyLimit(b, query: i) : 0
            dropout.apply(dropout.dropped + e, p + e, count: limit, element: e)
            (dropout.dropped + e + limit).update(repeating: 0, count: tk - limit)
        }
    }

    /// O = P V for the real rows; padded query rows of O are zeroed.
    @inline(__always)
    static func weightedValues(_ b: Int, _ h: Int, _ out: HeadView, _ p: UnsafeMutablePointer<Float>, _ v: HeadView,
                               _ shape: AttentionShape) {
        let lq = shape.queryLengths[b]
        BLAS.sgemm(transposeA: false, transposeB: false, m: lq, n: shape.headDim, k: shape.keyLengths[b],
                   a: shape.probabilities(p, b, h), lda: shape.keyTime, b: v.at(b, h), ldb: v.rowStride,
                   beta: 0, c: out.at(b, h), ldc: out.rowStride)
        for i in lq..<shape.queryTime { (out.at(b, h) + i * out.rowStride).update(repeating: 0, count: shape.headDim) }
    }

    /// dP = dO Vᵀ (into scratch, if given) and dV += Pᵀ dO.
    @inline(__always)
    static func backwardValues(_ b: Int, _ h: Int, scratch: UnsafeMutablePointer<Float>?, dv: HeadView?, dout: HeadView,
                               p: UnsafeMutablePointer<Float>, v: HeadView, _ shape: AttentionShape) {
        let (lq, lk, hd, tk) = (shape.queryLengths[b], shape.keyLengths[b], shape.headDim, shape.keyTime)
        if let scratch {
            BLAS.sgemm(transposeA: false, transposeB: true, m: lq, n: lk, k: hd,
                       a: dout.at(b, h), lda: dout.rowStride, b: v.at(b, h), ldb: v.rowStride,
                       beta: 0, c: shape.probabilities(scratch, b, h), ldc: tk)
        }
        if let dv {
            BLAS.sgemm(transposeA: true, transposeB: false, m: lk, n: hd, k: lq,
                       a: shape.probabilities(p, b, h), lda: tk, b: dout.at(b, h), ldb: dout.rowStride,
                       beta: 1, c: dv.at(b, h), ldc: dv.rowStride)
        }
    }

    /// dS = P ∘ (dP − Σ_j dP∘P) · scale for one real query row, in place over dP.
    @inline(__always)
    static func softmaxBackwardRow(_ b: Int, _ h: Int, _ i: Int, _ scratch: UnsafeMutablePointer<Float>,
                                   _ p: UnsafeMutablePointer<Float>, _ shape: AttentionShape) {
        let offset = i * shape.keyTime
        softmaxBackwardRow(shape.probabilities(scratch, b, h) + offset, probabilities: shape.probabilities(p, b, h) + offset,
                           count: shape.keyLengths[b], scale: shape.scale)
    }

    /// dQ += dS K and dK += dSᵀ Q.
    @inline(__always)
    static func backwardScores(_ b: Int, _ h: Int, dq: HeadView?, dk: HeadView?, ds: UnsafeMutablePointer<Float>,
                               q: HeadView, k: HeadView, _ shape: AttentionShape) {
        let (lq, lk, hd, tk) = (shape.queryLengths[b], shape.keyLengths[b], shape.headDim, shape.keyTime)
        let dsBlock = shape.probabilities(ds, b, h)
        if let dq {
            BLAS.sgemm(transposeA: false, transposeB: false, m: lq, n: hd, k: lk,
                       a: dsBlock, lda: tk, b: k.at(b, h), ldb: k.rowStride, beta: 1, c: dq.at(b, h), ldc: dq.rowStride)
        }
        if let dk {
            BLAS.sgemm(transposeA: true, transposeB: false, m: lk, n: hd, k: lq,
                       a: dsBlock, lda: tk, b: q.at(b, h), ldb: q.rowStride, beta: 1, c: dk.at(b, h), ldc: dk.rowStride)
        }
    }

    /// row[0..<count] = softmax(row[0..<count]) (max subtracted first).
    @inline(__always)
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int) {
        guard VectorKernels.swiftReference else { return tc_softmax_row(row, count) }
        guard count > 0 else { return }
        var maxVec = Vec(repeating: -.infinity), j = 0
        while j + vecWidth <= count {
            let x = load(row, j)
            maxVec = maxVec.replacing(with: x, where: x .> maxVec)
            j += vecWidth
        }
        var maxValue = horizontalMax(maxVec)
        while j < count { maxValue = Swift.max(maxValue, row[j]); j += 1 }

        var sumVec = Vec(); j = 0
        while j + vecWidth <= count {
            let e = exp(load(row, j) - maxValue)
            store(e, row, j)
            sumVec += e
            j += vecWidth
        }
        var sum = horizontalSum(sumVec)
        if j < count {  // tail through one padded vector so every element uses the same exp
            var tail = Vec(repeating: -.infinity)
            for t in 0..<(count - j) { tail[t] = row[j + t] - maxValue }
            let e = exp(tail)
            for t in 0..<(count - j) { row[j + t] = e[t]; sum += e[t] }
        }
        let inverse = 1 / sum
        j = 0
        while j + vecWidth <= count { store(load(row, j) * inverse, row, j); j += vecWidth }
        while j < count { row[j] *= inverse; j += 1 }
    }

    /// ds[j] = p[j] · (dp[j] − Σ_k dp[k]·p[k]) · scale, in place over dp.
    @inline(__always)
    static func softmaxBackwardRow(_ dp: UnsafeMutablePointer<Float>, probabilities p: UnsafeMutablePointer<Float>,
                                   count: Int, scale: Float) {
        guard VectorKernels.swiftReference else { return tc_softmax_backward_row(dp, p, count, scale) }
        var accVec = Vec(), j = 0
        while j + vecWidth <= count { accVec += load(dp, j) * load(p, j); j += vecWidth }
        var dot = horizontalSum(accVec)
        while j < count { dot += dp[j] * p[j]; j += 1 }
        j = 0
        while j + vecWidth <= count {
            store(load(p, j) * (load(dp, j) - dot) * scale, dp, j)
            j += vecWidth
        }
        while j < count { dp[j] = p[j] * (dp[j] - dot) * scale; j += 1 }
    }
}

extension Ops {
    /// GPT-2 attention from the packed c_attn output: qkv [B·T, 3C] → [B·T, C] (heads merged,
    /// ready for c_proj). `causal` true for GPT-2; false with key padding for BERT.
    public static func attention(qkv: Variable, batch: PaddedBatch, heads: Int, causal: Bool, tape: Tape?) -> Variable {
        var unused = DropoutGenerator(seed: 0)
        return attention(qkv: qkv, batch: batch, heads: heads, causal: causal, dropout: 0, generator: &unused, tape: tape)
    }

    /// The same, with dropout at `rate` on the attention probabilities while training (GPT-2's attn_pdrop).
    public static func attention(qkv: Variable, batch: PaddedBatch, heads: Int, causal: Bool, dropout rate: Float,
                                 generator: inout DropoutGenerator, tape: Tape?) -> Variable {
        let (rows, width) = qkv.rowsAndColumns
        guard width % 3 == 0 else { fatalError("attention: qkv width \(width) is not 3·C") }
        let c = width / 3
        return attentionCore(q: (qkv, 0), k: (qkv, c), v: (qkv, 2 * c), width: width, channels: c, rows: rows,
                             batch: batch, heads: heads, causal: causal, dropout: dropoutKey(rate, &generator, tape), tape: tape)
    }

    /// The mask key of one attention dropout, when there is one (training and rate > 0).
    private static func dropoutKey(_ rate: Float, _ generator: inout DropoutGenerator, _ tape: Tape?) -> (rate: Float, key: UInt64)? {
        guard rate < 1 else { fatalError("attention dropout rate \(rate) must be below 1") }
        return rate > 0 && tape != nil ? (rate, generator.nextKey()) : nil
    }

    /// Attention from separate projections (BERT): query, key, value each [B·T, C] → [B·T, C].
    public static func attention(query: Variable, key: Variable, value: Variable, batch: PaddedBatch, heads: Int,
                                 causal: Bool, tape: Tape?) -> Variable {
        var unused = DropoutGenerator(seed: 0)
        return attention(query: query, key: key, value: value, batch: batch, heads: heads, causal: causal,
                         dropout: 0, generator: &unused, tape: tape)
    }

    /// The same, with dropout at `rate` on the attention probabilities while training (a tape is
    /// recording, as for `Ops.dropout`): Hugging Face's attention_probs_dropout_prob.
    public static func attention(query: Variable, key: Variable, value: Variable, batch: PaddedBatch, heads: Int,
                                 causal: Bool, dropout rate: Float, generator: inout DropoutGenerator, tape: Tape?) -> Variable {
        checkSameShape(query, key, "attention")
        checkSameShape(query, value, "attention")
        let (rows, c) = query.rowsAndColumns
        return attentionCore(q: (query, 0), k: (key, 0), v: (value, 0), width: c, channels: c, rows: rows,
                             batch: batch, heads: heads, causal: causal, dropout: dropoutKey(rate, &generator, tape), tape: tape)
    }

    private static func attentionCore(q: (Variable, Int), k: (Variable, Int), v: (Variable, Int), width: Int, channels c: Int,
                                      rows: Int, batch: PaddedBatch, heads: Int, causal: Bool,
                                      dropout: (rate: Float, key: UInt64)? = nil, tape: Tape?) -> Variable {
        guard rows == batch.rowCount, heads > 0, c % heads == 0 else {
            fatalError("attention: \(rows) rows × \(c) channels do not fit a batch of \(batch.batchSize)×\(batch.time) with \(heads) heads")
        }
        let headDim = c / heads
        let shape = AttentionShape(batch: batch, heads: heads, headDim: headDim, causal: causal)
        func view(_ tensor: Tensor, _ offset: Int, mutable: Bool) -> HeadView {
            let base = mutable ? UnsafePointer(tensor.mutablePointer) : tensor.pointer
            return HeadView.rows(base, time: batch.time, width: width, offset: offset, headDim: headDim)
        }
        let out = Tensor(uninitializedShape: [rows, c])
        let probabilities = Tensor(uninitializedShape: [shape.probabilityCount])
        let dropped = dropout.map { _ in Tensor(uninitializedShape: [shape.probabilityCount]) }
        let kernelDropout = dropout.map { AttentionDropout(rate: $0.rate, key: $0.key, dropped: dropped!.mutablePointer) }
        withExtendedLifetime((q.0, k.0, v.0)) {
            AttentionKernel.forward(out: HeadView.rows(out.mutablePointer, time: batch.time, width: c, offset: 0, headDim: headDim),
                                    probabilities: probabilities.mutablePointer,
                                    q: view(q.0.value, q.1, mutable: false), k: view(k.0.value, k.1, mutable: false),
                                    v: view(v.0.value, v.1, mutable: false), shape: shape, dropout: kernelDropout)
        }
        let result = Variable(out, requiresGrad: recording(tape, q.0, k.0, v.0))
        if result.requiresGrad, let tape {
            tape.record("attention", output: result, saved: [q.0.value, k.0.value, v.0.value, probabilities] + (dropped.map { [$0] } ?? [])) {
                guard let dout = result.grad else { return }
                func gradView(_ operand: (Variable, Int)) -> HeadView? {
                    operand.0.requiresGrad ? view(operand.0.gradBuffer(), operand.1, mutable: true) : nil
                }
                let scratch = Tensor(uninitializedShape: [shape.probabilityCount])
                AttentionKernel.backward(
                    dq: gradView(q), dk: gradView(k), dv: gradView(v),
                    dout: HeadView.rows(dout.pointer, time: batch.time, width: c, offset: 0, headDim: headDim),
                    probabilities: probabilities.pointer, scratch: scratch.mutablePointer,
                    q: view(q.0.value, q.1, mutable: false), k: view(k.0.value, k.1, mutable: false),
                    v: view(v.0.value, v.1, mutable: false), shape: shape, dropout: kernelDropout)
                withExtendedLifetime((scratch, dropped)) {}  // kernelDropout points into dropped
            }
        }
        return result
    }
}
