// Softmax cross-entropy over classes, mean over rows (every row counts; nothing ignored):
//   loss = (1/N) Σ_r [logsumexp(logits_r) − logits_r[label_r]]
// With class weights w (PyTorch's CrossEntropyLoss(weight=w)), a weighted mean:
//   loss = Σ_r w[label_r]·l_r / Σ_r w[label_r]
// Forward keeps the softmax probabilities; backward is dlogits += (p − onehot(label))·s_r with
// s_r = dloss/N, or dloss·w[label_r]/Σw.
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

    /// dlogits += (p − onehot(label)) · scale · rowScale(label), where scale = dloss / N for a
    /// mean loss (rowScale 1), or dloss / Σw with rowScale = w for a weighted one.
    public static func backward(dlogits: UnsafeMutablePointer<Float>, probabilities: UnsafePointer<Float>,
                                labels: UnsafePointer<Int32>, rows: Int, classes: Int, scale: Float,
                                classWeights: UnsafePointer<Float>? = nil) {
        Parallel.forRanges(rows, grain: max(1, Kernels.elementwiseGrain / max(1, classes))) { range in
            for r in range {
                let d = dlogits + r * classes, p = probabilities + r * classes
                let label = Int(labels[r])
                let s = scale * (classWeights?[label] ?? 1)
                for j in 0..<classes { d[j] += p[j] * s }
                d[label] -= s
            }
        }
    }
}

extension Ops {
    /// Mean softmax cross-entropy of logits [N, classes] against labels (N class indices), or
    /// with `classWeights` (one per class, non-negative) their weighted mean, as PyTorch's
    /// `CrossEntropyLoss(weight=)`. Returns a scalar (shape []). Throws if a label is outside
    /// 0..<classes, or the weights do not fit.
    public static func crossEntropy(logits: Variable, labels: [Int32], classWeights: [Float]? = nil, tape: Tape?) throws -> Variable {
        let (rows, classes) = logits.rowsAndColumns
        guard labels.count == rows else {
            throw InvalidInput("cross-entropy: \(labels.count) labels for \(rows) rows of logits")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= classes }) {
            throw InvalidInput("cross-entropy: label \(labels[bad]) of row \(bad) is outside 0..<\(classes)")
        }
        if let classWeights {
            guard classWeights.count == classes, classWeights.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
                throw InvalidInput("cross-entropy: \(classWeights.count) class weights for \(classes) classes; each must be a finite number ≥ 0")
            }
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
        var total: Double = 0, weightSum: Double = 0
        for r in 0..<rows {
            let w = Double(classWeights?[Int(labels[r])] ?? 1)
            total += w * Double(losses[flat: r])
            weightSum += w
        }
        // An all-zero-weight batch has no loss to learn from (PyTorch gives NaN); 0 keeps the
        // step a no-op instead of poisoning the weights.
        let normaliser = weightSum > 0 ? weightSum : 1
        let mean = Tensor(shape: [], repeating: Float(total / normaliser))
        let result = Variable(mean, requiresGrad: needsGrad)
        if needsGrad, let tape, let probabilities {
            tape.record("crossEntropy", output: result, saved: [probabilities]) {
                guard let dloss = result.grad else { return }
                labels.withUnsafeBufferPointer { labelPointer in
                    (classWeights ?? []).withUnsafeBufferPointer { weightPointer in
                        CrossEntropyKernel.backward(dlogits: logits.gradBuffer().mutablePointer, probabilities: probabilities.pointer,
                                                    labels: labelPointer.baseAddress!, rows: rows, classes: classes,
                                                    scale: dloss[flat: 0] / Float(normaliser),
                                                    classWeights: classWeights == nil ? nil : weightPointer.baseAddress)
                    }
                }
            }
        }
        return result
    }
}
