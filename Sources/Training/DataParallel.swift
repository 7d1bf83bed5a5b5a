// Data-parallel training over the ranks of a job (ScaleOut's `Communicator` under mpirun):
// every rank holds the whole model and sees the same global batches in the same order (the
// sampler's, from the seed); each takes a fixed contiguous share of every batch, and the
// gradients are summed across ranks before one identical optimiser step on every rank. So the
// result is that of one process on the global batch, up to the order of the float sums, and
// does not depend on which rank finishes first.
import TensorEngine

/// The ranks of a job, as the trainer needs them.
public protocol DataParallelGroup: AnyObject, Sendable {
    var rank: Int { get }
    var size: Int { get }
    /// Element-wise sum over all ranks, in place.
    func sum(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// True on every rank when `flag` is true on any.
    func any(_ flag: Bool) throws -> Bool
}

extension DataParallelGroup {
    /// This rank's share of `indices`: the `rank`-th of `size` contiguous, near-equal pieces.
    func share<T>(_ indices: [T]) -> ArraySlice<T> {
        indices[indices.count * rank / size ..< indices.count * (rank + 1) / size]
    }
}

/// Seconds spent summing gradients across ranks.
final class ReductionClock {
    var seconds: Double = 0
}

/// Sums the trainable parameters' gradients across ranks through one reused buffer of at most
/// `bucketElements` floats (Horovod's fusion buffer): one MPI_Allreduce per bucket rather than
/// one per tensor, so small tensors (biases, norms) do not each pay the latency.
///
/// Not overlapped with the backward pass: on a machine whose cores all compute the backward
/// pass, a reduction running beside it only takes a core from it (README, Scale-out).
struct GradientReduction {
    let group: any DataParallelGroup
    static let bucketElements = 1 << 22  // 16 MB of float32

    /// Sums every parameter's gradient and `extra` (the step's loss) over the ranks. A gradient
    /// no rank computed stays nil, as it would in one process; one that only some ranks
    /// computed is summed with zeros from the others.
    func reduce(_ parameters: [Parameter], extra: inout Float) throws {
        // Which gradients exist on any rank, and the extra value, in one small reduction.
        var presence = parameters.map { $0.grad == nil ? Float(0) : 1 } + [extra]
        try presence.withUnsafeMutableBufferPointer { try group.sum($0) }
        extra = presence[parameters.count]
        let present = parameters.indices.filter { presence[$0] > 0 }.map { parameters[$0] }
        var buffer = [Float](repeating: 0, count: min(Self.bucketElements, present.reduce(0) { $0 + $1.value.count }))
        var start = 0
        while start < present.count {
            // A bucket: whole tensors up to the buffer's size (a larger tensor alone, in pieces).
            var end = start, filled = 0
            while end < present.count, end == start || filled + present[end].value.count <= buffer.count {
                filled += present[end].value.count
                end += 1
            }
            if end - start == 1, filled > buffer.count {
                try reduceLarge(present[start], buffer: &buffer)
            } else {
                try buffer.withUnsafeMutableBufferPointer { flat in
                    var offset = 0
                    for parameter in present[start..<end] {
                        let grad = parameter.gradBuffer()
                        flat.baseAddress!.advanced(by: offset).update(from: grad.pointer, count: grad.count)
                        offset += grad.count
                    }
                    try group.sum(UnsafeMutableBufferPointer(rebasing: flat[0..<offset]))
                    offset = 0
                    for parameter in present[start..<end] {
                        let grad = parameter.gradBuffer()
                        grad.mutablePointer.update(from: flat.baseAddress!.advanced(by: offset), count: grad.count)
                        offset += grad.count
                    }
                }
            }
            start = end
        }
    }

    /// A gradient larger than the buffer, summed in place a buffer's length at a time.
    private func reduceLarge(_ parameter: Parameter, buffer: inout [Float]) throws {
        let grad = parameter.gradBuffer()
        try withExtendedLifetime(grad) {
            var offset = 0
            while offset < grad.count {
                let count = min(buffer.count, grad.count - offset)
                try group.sum(UnsafeMutableBufferPointer(start: grad.mutablePointer.advanced(by: offset), count: count))
                offset += count
            }
        }
    }
}
