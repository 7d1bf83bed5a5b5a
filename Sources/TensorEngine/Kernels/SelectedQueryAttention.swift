// Attention for one query row per sequence: what a classifier needs from the last block when
// it pools a single position (GPT-2's last token, BERT's [CLS]). Keys and values come from all
// real positions of the packed qkv [B·T, 3C], but only the selected row's query is used, so the
// softmax and the weighted sum are [1, Lk] per head instead of [Lq, Lk], and everything after
// attention (projection, MLP) runs on B rows instead of B·T.
//
// A causal query at position t sees keys 0...t, a bidirectional one every real key; both are
// the same masking as the full op, so the result equals the full op's row (same kernels).
import Common

extension Ops {
    /// qkv [B·T, 3C] (q | k | v, heads side by side) → [B, C]: attention output of row
    /// `queryRows[b]` (which must be a real position of sequence b) for every sequence b.
    public static func attention(qkv: Variable, queryRows: [Int], batch: PaddedBatch, heads: Int, causal: Bool,
                                 tape: Tape?) throws -> Variable {
        let (rows, width) = qkv.rowsAndColumns
        guard width % 3 == 0, rows == batch.rowCount, heads > 0, (width / 3) % heads == 0 else {
            throw TensorShapeError("attention: qkv \(qkv.shape) does not fit a batch of \(batch.batchSize)×\(batch.time) with \(heads) heads")
        }
        guard queryRows.count == batch.batchSize else {
            throw InvalidInput("attention: \(queryRows.count) query rows for \(batch.batchSize) sequences")
        }
        let positions = try queryRows.enumerated().map { b, row -> Int in
            let t = row - b * batch.time
            guard t >= 0, t < batch.lengths[b] else {
                throw InvalidInput("attention: query row \(row) is not a real position of sequence \(b)")
            }
            return t
        }
        let c = width / 3, headDim = c / heads
        let shape = AttentionShape(batchSize: batch.batchSize, heads: heads, headDim: headDim, queryTime: 1, keyTime: batch.time,
                                   queryLengths: Array(repeating: 1, count: batch.batchSize),
                                   keyLengths: causal ? positions.map { $0 + 1 } : batch.lengths, queryOffset: 0, causal: false)
        // The selected queries, gathered into [B, C].
        let queries = Tensor(uninitializedShape: [batch.batchSize, c])
        withExtendedLifetime(qkv) {
            for (b, row) in queryRows.enumerated() {
                (queries.mutablePointer + b * c).update(from: qkv.value.pointer + row * width, count: c)
            }
        }
        func keys(_ base: UnsafePointer<Float>) -> HeadView { HeadView.rows(base, time: batch.time, width: width, offset: c, headDim: headDim) }
        func values(_ base: UnsafePointer<Float>) -> HeadView { HeadView.rows(base, time: batch.time, width: width, offset: 2 * c, headDim: headDim) }
        func single(_ base: UnsafePointer<Float>) -> HeadView { HeadView.rows(base, time: 1, width: c, offset: 0, headDim: headDim) }
        let out = Tensor(uninitializedShape: [batch.batchSize, c])
        let probabilities = Tensor(uninitializedShape: [shape.probabilityCount])
        withExtendedLifetime((qkv, queries)) {
            AttentionKernel.forward(out: single(out.mutablePointer), probabilities: probabilities.mutablePointer,
                                    q: single(queries.pointer), k: keys(qkv.value.pointer), v: values(qkv.value.pointer), shape: shape)
        }
        let result = Variable(out, requiresGrad: recording(tape, qkv))
        if result.requiresGrad, let tape {
            tape.record("selectedQueryAttention", output: result, saved: [qkv.value, queries, probabilities]) {
                guard let dout = result.grad else { return }
                let dqkv = qkv.gradBuffer()
                let dq = Tensor(zeros: [batch.batchSize, c])
                let scratch = Tensor(uninitializedShape: [shape.probabilityCount])
                let base = UnsafePointer(dqkv.mutablePointer)
                AttentionKernel.backward(dq: single(dq.mutablePointer), dk: keys(base), dv: values(base), dout: single(dout.pointer),
                                         probabilities: probabilities.pointer, scratch: scratch.mutablePointer,
                                         q: single(queries.pointer), k: keys(qkv.value.pointer), v: values(qkv.value.pointer), shape: shape)
                // Each query's gradient goes back to the q columns of its row.
                let d = dqkv.mutablePointer
                for (b, row) in queryRows.enumerated() {
                    let target = d + row * width, source = dq.pointer + b * c
                    for j in 0..<c { target[j] += source[j] }
                }
                withExtendedLifetime((scratch, dq)) {}
            }
        }
        return result
    }
}
