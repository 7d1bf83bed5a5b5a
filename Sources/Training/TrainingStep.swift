// One optimiser step, llm.c-style in the open: forward, loss and backward for each batch of an
// accumulation group (each loss scaled by 1/n, so the summed gradients are the group mean's),
// then clipping, the update of every parameter group, and cleared gradients. In a
// data-parallel job each rank runs its share of every batch, with its loss scaled by its share
// of the batch's weight, and the gradients are summed across ranks before clipping: the same
// gradient as one process on the whole batch.
import Dispatch
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
    /// The job's ranks (nil: this process alone).
    var group: (any DataParallelGroup)? = nil
    /// Adds up the seconds the gradient reduction takes (its share of a step, reported).
    var reductionClock: ReductionClock? = nil

    /// `logits` runs the model on a batch of training examples (through the frozen-prefix
    /// cache when there is one); `labels` and `lengths` are the training split's.
    func callAsFunction(_ batches: ArraySlice<[Int]>, labels: [Int], lengths: [Int],
                        logits: ([Int], Tape) throws -> Variable) throws -> Outcome {
        var lossSum: Double = 0, tokens = 0, examples = 0
        for batch in batches {
            tokens += batch.reduce(0) { $0 + lengths[$1] }
            examples += batch.count
            // The batch's loss is a mean weighted by class (1 each without class weights); this
            // rank's share of it is its examples' weight over the whole batch's.
            let indices = group.map { Array($0.share(batch)) } ?? batch
            guard !indices.isEmpty else { continue }
            let weight = { (members: [Int]) in members.reduce(Float(0)) { $0 + (classWeights?[labels[$1]] ?? 1) } }
            let share = group == nil ? 1 : weight(indices) / weight(batch)
            let tape = Tape()
            // One row per example (a text read as windows has its windows' logits aggregated),
            // so the tags' binary cross-entropy is the example's, as the softmax loss is.
            let output = try logits(indices, tape)
            let loss: Variable
            if let targets {
                // Tags have no class weights (Trainer refuses them), so `share` is this rank's
                // fraction of the batch's rows: the mean over rows × labels splits the same way.
                let classes = output.shape[output.shape.count - 1]
                var multiHot = [Float](repeating: 0, count: indices.count * classes)
                for (row, index) in indices.enumerated() { for c in targets[index] { multiHot[row * classes + c] = 1 } }
                loss = try Ops.binaryCrossEntropy(logits: output, targets: multiHot, positiveWeights: positiveWeights, tape: tape)
            } else {
                loss = try Ops.crossEntropy(logits: output, labels: indices.map { Int32(labels[$0]) }, classWeights: classWeights, tape: tape)
            }
            tape.backward(from: loss, gradient: Tensor(shape: [], repeating: share / Float(batches.count)))
            lossSum += Double(loss.value[flat: 0] * share)
        }
        if let group {
            var loss = Float(lossSum)
            let start = DispatchTime.now()
            try GradientReduction(group: group).reduce(trainable, extra: &loss)
            reductionClock?.seconds += seconds(since: start)
            lossSum = Double(loss)
        }
        if let gradientClipNorm { GradientClipping.clip(trainable, maxNorm: gradientClipNorm) }
        optimizer.step(groups)
        for parameter in trainable { parameter.zeroGrad() }
        return Outcome(loss: lossSum / Double(batches.count), tokens: tokens, examples: examples)
    }
}
