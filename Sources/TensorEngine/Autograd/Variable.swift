// Variables are the values autograd tracks: inputs, activations and (subclass) parameters.
// An op's output requires a gradient only when a tape is recording and one of its inputs
// requires one, so frozen layers cost no backward work and record nothing.

/// A tensor in a computation, with the gradient backward() accumulates for it.
public class Variable {
    public var value: Tensor
    /// d(loss)/d(value), same shape as `value`; nil until backward reaches this variable.
    /// Activations' gradients are released as soon as they have been propagated.
    public var grad: Tensor?
    /// Whether backward should compute a gradient for this variable.
    public var requiresGrad: Bool

    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        self.requiresGrad = requiresGrad
    }

    public var shape: [Int] { value.shape }

    /// The gradient buffer for accumulating into, zero-filled on first use.
    public func gradBuffer() -> Tensor {
        if let grad { return grad }
        let buffer = Tensor(zeros: value.shape)
        grad = buffer
        return buffer
    }

    /// For kernels that can either overwrite or accumulate (BLAS beta): the buffer and
    /// 1 if it already holds gradient to add to, or 0 if it is new and uninitialised.
    public func gradBufferForWrite() -> (buffer: Tensor, beta: Float) {
        if let grad { return (grad, 1) }
        let buffer = Tensor(uninitializedShape: value.shape)
        grad = buffer
        return (buffer, 0)
    }

    /// The gradient buffer if this variable wants one, else nil (kernels skip that work).
    @inline(__always)
    func gradBufferIfRequired() -> Tensor? {
        requiresGrad ? gradBuffer() : nil
    }
}

/// A trainable (or frozen) weight, named as in Hugging Face checkpoints, e.g.
/// "h.11.attn.c_attn.weight". Its gradient persists and accumulates across backward passes
/// until `zeroGrad()` (PyTorch semantics), so gradient accumulation works.
public final class Parameter: Variable {
    public let name: String

    public init(name: String, value: Tensor, requiresGrad: Bool = true) {
        self.name = name
        super.init(value, requiresGrad: requiresGrad)
    }

    /// Zeroes the gradient buffer (kept allocated for the next step).
    public func zeroGrad() {
        grad?.zero()
    }

    /// Freezes or unfreezes; freezing drops the gradient buffer.
    public func setRequiresGrad(_ flag: Bool) {
        requiresGrad = flag
        if !flag { grad = nil }
    }
}

extension Variable {
    /// The number of rows and columns when the last dimension is the feature dimension.
    var rowsAndColumns: (rows: Int, cols: Int) {
        let cols = value.shape.last ?? 1
        return (cols == 0 ? 0 : value.count / cols, cols)
    }
}
