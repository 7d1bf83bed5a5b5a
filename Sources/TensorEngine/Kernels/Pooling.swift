// Sequence pooling for classification heads, over activations [B·T, C] of a padded batch:
//   gatherRows: out[n] = x[rows[n]]  (GPT-2 classifiers: the last real token of each sequence)
//   meanPool:   out[b] = mean of x[b·T + t] for t < length[b]  (sentence-transformers)
// Backward scatters dout back: gather adds each row's gradient to its source row; mean pool
// spreads dout[b] / length[b] over the real rows.
import Common

public enum PoolingKernel {
    public static func gatherForward(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, rows: [Int], cols: Int) {
        for (n, row) in rows.enumerated() { (out + n * cols).update(from: x + row * cols, count: cols) }
    }

    /// dx[rows[n]] += dout[n] (serial: rows may repeat, and there are only a few).
    public static func gatherBackward(dx: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, rows: [Int], cols: Int) {
        for (n, row) in rows.enumerated() {
            let d = dx + row * cols, s = dout + n * cols
            var c = 0
            while c + vecWidth <= cols { store(load(d, c) + load(s, c), d, c); c += vecWidth }
            while c < cols { d[c] += s[c]; c += 1 }
        }
    }

    public static func meanForward(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, batch: PaddedBatch, cols: Int) {
        Parallel.forEach(batch.batchSize) { b in
            let o = out + b * cols
            o.update(repeating: 0, count: cols)
            let length = batch.lengths[b]
            for t in 0..<length {
                let s = x + (b * batch.time + t) * cols
                var c = 0
                while c + vecWidth <= cols { store(load(o, c) + load(s, c), o, c); c += vecWidth }
                while c < cols { o[c] += s[c]; c += 1 }
            }
            let inverse = 1 / Float(length)
            for c in 0..<cols { o[c] *= inverse }
        }
    }

    /// dx[b·T + t] += dout[b] / length[b] for the real positions t.
    public static func meanBackward(dx: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, batch: PaddedBatch, cols: Int) {
        Parallel.forEach(batch.batchSize) { b in
            let scale = 1 / Float(batch.lengths[b])
            let s = dout + b * cols
            for t in 0..<batch.lengths[b] {
                let d = dx + (b * batch.time + t) * cols
                var c = 0
                while c + vecWidth <= cols { store(load(d, c) + scale * load(s, c), d, c); c += vecWidth }
                while c < cols { d[c] += scale * s[c]; c += 1 }
            }
        }
    }
}

extension Ops {
    /// Picks rows of x [R, C] → [rows.count, C]. Throws if a row index is out of range.
    public static func gatherRows(_ x: Variable, rows: [Int], tape: Tape?) throws -> Variable {
        let (count, cols) = x.rowsAndColumns
        if let bad = rows.firstIndex(where: { $0 < 0 || $0 >= count }) {
            throw InvalidInput("gatherRows: row \(rows[bad]) (entry \(bad)) is outside 0..<\(count)")
        }
        let out = Tensor(uninitializedShape: [rows.count, cols])
        withExtendedLifetime(x) { PoolingKernel.gatherForward(out: out.mutablePointer, x: x.value.pointer, rows: rows, cols: cols) }
        let result = Variable(out, requiresGrad: recording(tape, x))
        if result.requiresGrad, let tape {
            tape.record("gatherRows", output: result, saved: []) {
                guard let dout = result.grad else { return }
                PoolingKernel.gatherBackward(dx: x.gradBuffer().mutablePointer, dout: dout.pointer, rows: rows, cols: cols)
            }
        }
        return result
    }

    /// The hidden state of each sequence's last real token: [B·T, C] → [B, C].
    public static func lastTokenPool(_ x: Variable, batch: PaddedBatch, tape: Tape?) throws -> Variable {
        guard x.rowsAndColumns.rows == batch.rowCount else {
            throw TensorShapeError("lastTokenPool: input \(x.shape) is not [\(batch.rowCount), C]")
        }
        return try gatherRows(x, rows: batch.lastTokenRows, tape: tape)
    }

    /// Mean over each sequence's real positions: [B·T, C] → [B, C].
    public static func meanPool(_ x: Variable, batch: PaddedBatch, tape: Tape?) throws -> Variable {
        let (rows, cols) = x.rowsAndColumns
        guard rows == batch.rowCount else {
            throw TensorShapeError("meanPool: input \(x.shape) is not [\(batch.rowCount), C]")
        }
        let out = Tensor(uninitializedShape: [batch.batchSize, cols])
        withExtendedLifetime(x) { PoolingKernel.meanForward(out: out.mutablePointer, x: x.value.pointer, batch: batch, cols: cols) }
        let result = Variable(out, requiresGrad: recording(tape, x))
        if result.requiresGrad, let tape {
            tape.record("meanPool", output: result, saved: []) {
                guard let dout = result.grad else { return }
                PoolingKernel.meanBackward(dx: x.gradBuffer().mutablePointer, dout: dout.pointer, batch: batch, cols: cols)
            }
        }
        return result
    }
}
