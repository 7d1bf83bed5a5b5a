// One optimiser step, llm.c-style in the open: forward, loss and backward for each batch of an
// accumulation group (each loss scaled by 1/n, so the summed gradients are the group mean's),
// then clipping, the update of every parameter group, and cleared gradients.
import Heads
import TensorEngine

struct TrainingStep {
    struct Outcome {
        /// Mean loss over the group's batches.
        let loss: Double
        let tokens: Int
        let examples: Int
    }

    let trainable: [Parameter]
    let groups: [ParameterGroup]
    let optimizer: any Optimizer
    let gradientClipNorm: Double?
    /// Per-class loss weights (nil: the plain mean).
    let classWeights: [Float]?
    /// Tags: each training example's class ids (the loss is then the binary cross-entropy of
    /// every label, each positive term weighted by `positiveWeights`).
    var targets: [[Int]]? = nil
    var positiveWeights: [Float]? = nil

    /// `logits` runs the model on a batch of training examples (through the frozen-prefix
    /// cache when there is one); `labels` and `lengths` are the training split's.
    func callAsFunction(_ batches: ArraySlice<[Int]>, labels: [Int], lengths: [Int],
                        logits: ([Int], Tape) throws -> Variable) throws -> Outcome {
        var lossSum: Double = 0, tokens = 0, examples = 0
        for indices in batches {
            let tape = Tape()
            let output = try logits(indices, tape)
            let loss: Variable
            if let targets {
                let classes = output.shape[output.shape.count - 1]
                var multiHot = [Float](repeating: 0, count: indices.count * classes)
                for (row, index) in indices.enumerated() { for c in targets[index] { multiHot[row * classes + c] = 1 } }
                loss = try Ops.binaryCrossEntropy(logits: output, targets: multiHot, positiveWeights: positiveWeights, tape: tape)
            } else {
                loss = try Ops.crossEntropy(logits: output, labels: indices.map { Int32(labels[$0]) }, classWeights: classWeights, tape: tape)
            }
            tape.backward(from: loss, gradient: Tensor(shape: [], repeating: 1 / Float(batches.count)))
            lossSum += Double(loss.value[flat: 0])
            tokens += indices.reduce(0) { $0 + lengths[$1] }
            examples += indices.count
        }
        if let gradientClipNorm { GradientClipping.clip(trainable, maxNorm: gradientClipNorm) }
        optimizer.step(groups)
        for parameter in trainable { parameter.zeroGrad() }
        return Outcome(loss: lossSum / Double(batches.count), tokens: tokens, examples: examples)
    }
}
