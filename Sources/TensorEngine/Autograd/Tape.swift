// Reverse-mode autograd as a tape of backward steps (one per coarse op, recorded in forward
// order, replayed in reverse), as in llm.c's explicit backward pass but recorded rather than
// hand-sequenced. Inference passes no tape at all (`tape: nil`): nothing is recorded and no
// activation is kept beyond what the caller holds.

public final class Tape {
    private struct Step {
        let name: String
        let output: Variable
        let backward: () -> Void
    }

    private var steps: [Step] = []
    private var savedStorages: Set<ObjectIdentifier> = []
    private var savedFloats = 0

    public init() {}

    /// Number of recorded backward steps.
    public var count: Int { steps.count }

    /// Names of the recorded ops, in forward order (for debugging and tests).
    public var opNames: [String] { steps.map(\.name) }

    /// Bytes of tensors kept alive for backward (each storage counted once).
    public var savedBytes: Int { savedFloats * MemoryLayout<Float>.stride }

    /// Records the backward step of an op whose output is `output`; `saved` lists the
    /// tensors the step keeps alive, for `savedBytes`. The step reads `output.grad`
    /// (nil if the loss does not depend on the output, then the step is skipped).
    public func record(_ name: String, output: Variable, saved: [Tensor], backward: @escaping () -> Void) {
        for tensor in saved where savedStorages.insert(ObjectIdentifier(tensor.storage)).inserted {
            savedFloats += tensor.count
        }
        steps.append(Step(name: name, output: output, backward: backward))
    }

    /// Backpropagates from a scalar loss (d loss / d loss = 1).
    public func backward(from loss: Variable) {
        guard loss.value.count == 1 else {
            fatalError("backward(from:) needs a scalar loss, got shape \(loss.shape); pass a gradient")
        }
        backward(from: loss, gradient: Tensor(shape: loss.shape, repeating: 1))
    }

    /// Backpropagates `gradient` (d loss / d output) from `output` through every recorded op,
    /// accumulating into the `grad` of variables that require it. Consumes the tape: the
    /// steps and the activations they kept are released.
    public func backward(from output: Variable, gradient: Tensor) {
        guard gradient.shape == output.shape else {
            fatalError("gradient shape \(gradient.shape) does not match output shape \(output.shape)")
        }
        if let existing = output.grad {
            Kernels.addInPlace(existing.mutablePointer, gradient.pointer, count: existing.count)
        } else {
            output.grad = gradient.copy()
        }
        let steps = self.steps
        self.steps = []
        savedStorages = []
        savedFloats = 0
        for step in steps.reversed() where step.output.grad != nil {
            step.backward()
            // An activation's gradient is needed only by the step that produced it.
            if !(step.output is Parameter) { step.output.grad = nil }
        }
    }
}
