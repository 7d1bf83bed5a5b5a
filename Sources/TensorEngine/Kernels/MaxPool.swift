// Max pooling over each sequence's real positions, for classification heads:
//   out[b, c] = max_{t < length[b]} x[b·T + t, c]
// Forward records which row won each (b, c) (the first one on ties); backward sends dout[b, c]
// to that row only, as torch.max(dim=) does.
import Common

public enum MaxPoolKernel {
    /// out [B, C], winners [B, C] (row indices into x) from x [B·T, C].
    public static func forward(out: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<Int32>,
                               x: UnsafePointer<Float>, batch: PaddedBatch, cols: Int) {
        Parallel.forEach(batch.batchSize) { b in
            let o = out + b * cols, w = winners + b * cols
            let first = b * batch.time
            o.update(from: x + first * cols, count: cols)
            w.update(repeating: Int32(first), count: cols)
            for t in 1..<max(1, batch.lengths[b]) {
                let row = first + t, s = x + row * cols
                for c in 0..<cols where s[c] > o[c] {
                    o[c] = s[c]
                    w[c] = Int32(row)
                }
            }
        }
    }

    /// dx[winners[b, c], c] += dout[b, c]. Each sequence's winners are rows of its own, so
    /// sequences run in parallel without sharing a row.
    public static func backward(dx: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                winners: UnsafePointer<Int32>, batchSize: Int, cols: Int) {
        Parallel.forEach(batchSize) { b in
            for c in 0..<cols {
                dx[Int(winners[b * cols + c]) * cols + c] += dout[b * cols + c]
            }
        }
    }
}

extension Ops {
    /// Element-wise maximum over each sequence's real positions: [B·T, C] → [B, C].
    public static func maxPool(_ x: Variable, batch: PaddedBatch, tape: Tape?) throws -> Variable {
        let (rows, cols) = x.rowsAndColumns
        guard rows == batch.rowCount else {
            throw TensorShapeError("maxPool: input \(x.shape) is not [\(batch.rowCount), C]")
        }
        let out = Tensor(uninitializedShape: [batch.batchSize, cols])
        var winners = [Int32](repeating: 0, count: batch.batchSize * cols)
        withExtendedLifetime(x) {
            winners.withUnsafeMutableBufferPointer { w in
                MaxPoolKernel.forward(out: out.mutablePointer, winners: w.baseAddress!, x: x.value.pointer, batch: batch, cols: cols)
            }
        }
        let result = Variable(out, requiresGrad: recording(tape, x))
        if result.requiresGrad, let tape {
            tape.record("maxPool", output: result, saved: []) { [winners] in
                guard let dout = result.grad else { return }
                winners.withUnsafeBufferPointer { w in
                    MaxPoolKernel.backward(dx: x.gradBuffer().mutablePointer, dout: dout.pointer, winners: w.baseAddress!,
                                           batchSize: batch.batchSize, cols: cols)
                }
            }
        }
        return result
    }
}
