// Pooling: from the final hidden states [B·T, C] of a padded batch to one vector per text [B, C].
import Backbones
import TensorEngine

extension Pooling {
    /// Pools `hidden` ([batch.rowCount, C]) into [batch.batchSize, C].
    public func pool(_ hidden: Variable, batch: PaddedBatch, tape: Tape?) throws -> Variable {
        switch self {
        case .last:
            return try Ops.lastTokenPool(hidden, batch: batch, tape: tape)
        case .positionLast, .first:
            return try Ops.gatherRows(hidden, rows: rows(batch)!, tape: tape)
        case .mean:
            return try Ops.meanPool(hidden, batch: batch, tape: tape)
        case .max:
            return try Ops.maxPool(hidden, batch: batch, tape: tape)
        }
    }

    /// The one row per sequence this pooling reads, or nil when it reads all real rows
    /// (mean, max). Then only those rows of the last block need computing.
    public func rows(_ batch: PaddedBatch) -> [Int]? {
        switch self {
        case .last: batch.lastTokenRows
        case .positionLast: (0..<batch.batchSize).map { $0 * batch.time + batch.time - 1 }
        case .first: (0..<batch.batchSize).map { $0 * batch.time }
        case .mean, .max: nil
        }
    }

    /// Whether a text's pooled vector can change with the padding around it. Only
    /// `position-last` reads a padding position; the others read real tokens only, so a text
    /// gives the same vector alone, in any batch, and from cached hidden states.
    public var readsPadding: Bool { self == .positionLast }
}
