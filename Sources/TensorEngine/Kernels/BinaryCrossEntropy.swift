// Binary cross-entropy on logits, one independent sigmoid per element, mean over all elements
// (PyTorch's BCEWithLogitsLoss(pos_weight=p), reduction "mean"). For logit x, target y ∈ [0, 1]
// and the positive weight p of x's column:
//   l = p·y·softplus(−x) + (1 − y)·softplus(x),   softplus(z) = max(z, 0) + log1p(exp(−|z|))
// which is −[p·y·log σ(x) + (1 − y)·log(1 − σ(x))] without overflow for large |x|.
//   dl/dx = σ(x)·(p·y + 1 − y) − p·y
import Common
import Foundation

public enum BinaryCrossEntropyKernel {
    /// Sum of the element losses of rows × columns logits, in Double; sigmoids (if non-nil)
    /// receive σ(x).
    public static func forward(sigmoids: UnsafeMutablePointer<Float>?, logits: UnsafePointer<Float>, targets: UnsafePointer<Float>,
                               positiveWeights: UnsafePointer<Float>?, rows: Int, columns: Int) -> Double {
        var total: Double = 0
        for r in 0..<rows {
            for j in 0..<columns {
                let k = r * columns + j
                let x = Double(logits[k]), y = Double(targets[k]), p = Double(positiveWeights?[j] ?? 1)
                total += p * y * softplus(-x) + (1 - y) * softplus(x)
                sigmoids?[k] = Float(1 / (1 + Foundation.exp(-x)))
            }
        }
        return total
    }

    /// dlogits += (σ(x)·(p·y + 1 − y) − p·y) · scale, where scale = dloss / (rows · columns).
    public static func backward(dlogits: UnsafeMutablePointer<Float>, sigmoids: UnsafePointer<Float>, targets: UnsafePointer<Float>,
                                positiveWeights: UnsafePointer<Float>?, rows: Int, columns: Int, scale: Float) {
        for r in 0..<rows {
            for j in 0..<columns {
                let k = r * columns + j
                let y = targets[k], p = positiveWeights?[j] ?? 1
                dlogits[k] += (sigmoids[k] * (p * y + 1 - y) - p * y) * scale
            }
        }
    }

    public static func softplus(_ z: Double) -> Double { max(z, 0) + Foundation.log1p(Foundation.exp(-abs(z))) }
}

extension Ops {
    /// Mean binary cross-entropy with logits of logits [N, C] against `targets` (N·C values in
    /// [0, 1], row-major: 1 where a row has the class), each column's positive term weighted by
    /// `positiveWeights` (C values ≥ 0; nil: 1), as PyTorch's `BCEWithLogitsLoss(pos_weight=)`.
    /// Returns a scalar (shape []).
    public static func binaryCrossEntropy(logits: Variable, targets: [Float], positiveWeights: [Float]? = nil, tape: Tape?) throws -> Variable {
        let (rows, columns) = logits.rowsAndColumns
        guard targets.count == rows * columns else {
            throw InvalidInput("binary cross-entropy: \(targets.count) targets for \(rows)×\(columns) logits")
        }
        if let bad = targets.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
            throw InvalidInput("binary cross-entropy: target \(targets[bad]) at \(bad) is outside [0, 1]")
        }
        if let positiveWeights {
            guard positiveWeights.count == columns, positiveWeights.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
                throw InvalidInput("binary cross-entropy: \(positiveWeights.count) positive weights for \(columns) columns; each must be a finite number ≥ 0")
            }
        }
        let needsGrad = recording(tape, logits)
        let sigmoids = needsGrad ? Tensor(uninitializedShape: logits.shape) : nil
        let count = max(1, rows * columns)
        let total = withExtendedLifetime(logits) {
            targets.withUnsafeBufferPointer { t in
                (positiveWeights ?? []).withUnsafeBufferPointer { w in
                    BinaryCrossEntropyKernel.forward(sigmoids: sigmoids?.mutablePointer, logits: logits.value.pointer, targets: t.baseAddress!,
                                                     positiveWeights: positiveWeights == nil ? nil : w.baseAddress, rows: rows, columns: columns)
                }
            }
        }
        let result = Variable(Tensor(shape: [], repeating: Float(total / Double(count))), requiresGrad: needsGrad)
        if needsGrad, let tape, let sigmoids {
            tape.record("binaryCrossEntropy", output: result, saved: [sigmoids]) {
                guard let dloss = result.grad else { return }
                targets.withUnsafeBufferPointer { t in
                    (positiveWeights ?? []).withUnsafeBufferPointer { w in
                        BinaryCrossEntropyKernel.backward(dlogits: logits.gradBuffer().mutablePointer, sigmoids: sigmoids.pointer,
                                                          targets: t.baseAddress!, positiveWeights: positiveWeights == nil ? nil : w.baseAddress,
                                                          rows: rows, columns: columns, scale: dloss[flat: 0] / Float(count))
                    }
                }
            }
        }
        return result
    }
}
