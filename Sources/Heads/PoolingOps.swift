// Pooling: from the final hidden states [B·T, C] of a padded batch to one vector per text [B, C].
import Backbones
import TensorEngine

extension Pooling {
    /// Pools `hidden` ([batch.rowCount, C]) into [batch.batchSize, C].
    public func pool(_ hidden: Variable, batch: PaddedBatch, tape: Tape?) throws -> Variable {
        switch self {
        case .last:
            return try Ops.lastTokenPool(hidden, batch: batch, tape: tape)
        case .positionLast:
            return try Ops.gatherRows(hidden, rows: (0..<batch.batchSize).map { $0 * batch.time + batch.time - 1 }, tape: tape)
        case .first:
            return try Ops.gatherRows(hidden, rows: (0..<batch.batchSize).map { $0 * batch.time }, tape: tape)
        case .mean:
            return try Ops.meanPool(hidden, batch: batch, tape: tape)
        case .max:
            return try Ops.maxPool(hidden, batch: batch, tape: tape)
        }
    }

    /// Whether a text's pooled vector can change with the padding around it. Only
    /// `position-last` reads a padding position; the others read real tokens only, so a text
    /// gives the same vector alone, in any batch, and from cached hidden states.
    public var readsPadding: Bool { self == .positionLast }
}
