// Softmax cross-entropy over classes, mean over rows (every row counts; nothing ignored):
//   loss = (1/N) Σ_r [logsumexp(logits_r) − logits_r[label_r]]
// Forward keeps the softmax probabilities; backward is dlogits += (p − onehot(label))·dloss/N.
import Common
import Foundation

public enum CrossEntropyKernel {
    /// losses[r] = −log softmax(logits_r)[labels[r]]; probabilities (if non-nil) = softmax.
    public static func forward(losses: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>?,
                               logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int, classes: Int) {
        Parallel.forRanges(rows, grain: max(1, 8192 / max(1, classes))) { range in
            for r in range {
                let x = logits + r * classes
                var maxValue = -Float.infinity
                for j in 0..<classes where x[j] > maxValue { maxValue = x[j] }
                var sum: Double = 0
                for j in 0..<classes { sum += Double(Foundation.exp(x[j] - maxValue)) }
                let logSumExp = Double(maxValue) + Foundation.log(sum)
                losses[r] = Float(logSumExp - Double(x[Int(labels[r])]))
                if let probabilities {
                    let p = probabilities + r * classes
                    for j in 0..<classes { p[j] = Float(Foundation.exp(Double(x[j]) - logSumExp)) }
                }
            }
        }
    }

    /// dlogits += (p − onehot(label)) · scale, where scale = dloss / N for a mean loss.
    public static func backward(dlogits: UnsafeMutablePointer<Float>, probabilities: UnsafePointer<Float>,
                                labels: UnsafePointer<Int32>, rows: Int, classes: Int, scale: Float) {
        Parallel.forRanges(rows, grain: max(1, Kernels.elementwiseGrain / max(1, classes))) { range in
            for r in range {
                let d = dlogits + r * classes, p = probabilities + r * classes
                for j in 0..<classes { d[j] += p[j] * scale }
                d[Int(labels[r])] -= scale
            }
        }
    }
}

extension Ops {
    /// Mean softmax cross-entropy of logits [N, classes] against labels (N class indices).
    /// Returns a scalar (shape []). Throws if a label is outside 0..<classes.
    public static func crossEntropy(logits: Variable, labels: [Int32], tape: Tape?) throws -> Variable {
        let (rows, classes) = logits.rowsAndColumns
        guard labels.count == rows else {
            throw InvalidInput("cross-entropy: \(labels.count) labels for \(rows) rows of logits")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= classes }) {
            throw InvalidInput("cross-entropy: label \(labels[bad]) of row \(bad) is outside 0..<\(classes)")
        }
        let needsGrad = recording(tape, logits)
        let losses = Tensor(uninitializedShape: [rows])
        let probabilities = needsGrad ? Tensor(uninitializedShape: logits.shape) : nil
        withExtendedLifetime(logits) {
            labels.withUnsafeBufferPointer { labelPointer in
                CrossEntropyKernel.forward(losses: losses.mutablePointer, probabilities: probabilities?.mutablePointer,
                                           logits: logits.value.pointer, labels: labelPointer.baseAddress!,
                                           rows: rows, classes: classes)
            }
        }
        var total: Double = 0
        for r in 0..<rows { total += Double(losses[flat: r]) }
        let mean = Tensor(shape: [], repeating: Float(total / Double(max(1, rows))))
        let result = Variable(mean, requiresGrad: needsGrad)
        if needsGrad, let tape, let probabilities {
            tape.record("crossEntropy", output: result, saved: [probabilities]) {
                guard let dloss = result.grad else { return }
                labels.withUnsafeBufferPointer { labelPointer in
                    CrossEntropyKernel.backward(dlogits: logits.gradBuffer().mutablePointer, probabilities: probabilities.pointer,
                                                labels: labelPointer.baseAddress!, rows: rows, classes: classes,
                                                scale: dloss[flat: 0] / Float(rows))
                }
            }
        }
        return result
    }
}
