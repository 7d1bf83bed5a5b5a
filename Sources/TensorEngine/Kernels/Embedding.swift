// Embedding lookup as a sum of table rows: out[r] = Σ_k table_k[ids_k[r]].
// GPT-2: token table `wte` + position table `wpe`; BERT adds a third lookup (token types)
// with no new kernel. Backward scatter-adds dout rows into each table's gradient.
// CKernels runs the row loops; the Swift ones are the reference.
import CKernels
import Common

/// One table and the row to read from it for every output row.
public struct EmbeddingLookup {
    public let table: Parameter
    public let ids: [Int32]

    public init(table: Parameter, ids: [Int32]) {
        self.table = table
        self.ids = ids
    }
}

public enum EmbeddingKernel {
    /// out[r] (+)= table[ids[r]] for r in 0..<rows; `accumulate` false overwrites.
    public static func forward(out: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>, ids: UnsafePointer<Int32>,
                               rows: Int, dim: Int, accumulate: Bool) {
        let reference = VectorKernels.swiftReference
        Parallel.forRanges(rows, grain: max(1, Kernels.elementwiseGrain / max(1, dim))) { range in
            guard reference else {
                return tc_embedding_gather(out + range.lowerBound * dim, table, ids + range.lowerBound, range.count, dim,
                                           accumulate ? 1 : 0)
            }
            for r in range {
                let src = table + Int(ids[r]) * dim, dst = out + r * dim
                if accumulate {
                    var c = 0
                    while c + vecWidth <= dim { store(load(dst, c) + load(src, c), dst, c); c += vecWidth }
                    while c < dim { dst[c] += src[c]; c += 1 }
                } else {
                    dst.update(from: src, count: dim)
                }
            }
        }
    }

    /// dtable[ids[r]] += dout[r]; columns are split between workers so repeated ids never race.
    public static func backward(dtable: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, ids: UnsafePointer<Int32>,
                                rows: Int, dim: Int) {
        let blocks = (dim + vecWidth - 1) / vecWidth
        let reference = VectorKernels.swiftReference
        Parallel.forRanges(blocks, grain: max(1, 2048 / max(1, rows))) { blockRange in
            let c0 = blockRange.lowerBound * vecWidth, c1 = min(dim, blockRange.upperBound * vecWidth)
            for r in 0..<rows {
                let dst = dtable + Int(ids[r]) * dim, src = dout + r * dim
                guard reference else { tc_add_in_place(dst + c0, src + c0, c1 - c0); continue }
                var c = c0
                while c + vecWidth <= c1 { store(load(dst, c) + load(src, c), dst, c); c += vecWidth }
                while c < c1 { dst[c] += src[c]; c += 1 }
            }
        }
    }
}

extension Ops {
    /// Σ_k lookups[k].table[lookups[k].ids[r]] for every row r → [rows, dim]. Throws if an id
    /// is outside its table or the lookups disagree on rows or width.
    public static func embeddingSum(_ lookups: [EmbeddingLookup], tape: Tape?) throws -> Variable {
        guard let first = lookups.first else { throw InvalidInput("embeddingSum needs at least one table") }
        let rows = first.ids.count
        let dim = first.table.shape.last ?? 0
        for lookup in lookups {
            let table = lookup.table
            guard table.shape.count == 2, table.shape[1] == dim else {
                throw TensorShapeError("embedding table \(table.name) has shape \(table.shape), expected [_, \(dim)]")
            }
            guard lookup.ids.count == rows else {
                throw InvalidInput("embedding lookup into \(table.name) has \(lookup.ids.count) ids, expected \(rows)")
            }
            let size = table.shape[0]
            if let bad = lookup.ids.firstIndex(where: { $0 < 0 || Int($0) >= size }) {
                throw InvalidInput("id \(lookup.ids[bad]) at row \(bad) is outside embedding table \(table.name) (\(size) rows)")
            }
        }
        let out = Tensor(uninitializedShape: [rows, dim])
        for (k, lookup) in lookups.enumerated() {
            withExtendedLifetime(lookup.table) {
                lookup.ids.withUnsafeBufferPointer { ids in
                    EmbeddingKernel.forward(out: out.mutablePointer, table: lookup.table.value.pointer, ids: ids.baseAddress!,
                                            rows: rows, dim: dim, accumulate: k > 0)
                }
            }
        }
        let result = Variable(out, requiresGrad: recording(tape, lookups.map(\.table)))
        if result.requiresGrad, let tape {
            tape.record("embedding", output: result, saved: []) {
                guard let dout = result.grad else { return }
                for lookup in lookups where lookup.table.requiresGrad {
                    lookup.ids.withUnsafeBufferPointer { ids in
                        EmbeddingKernel.backward(dtable: lookup.table.gradBuffer().mutablePointer, dout: dout.pointer,
                                                 ids: ids.baseAddress!, rows: rows, dim: dim)
                    }
                }
            }
        }
        return result
    }

    /// GPT-2's input embedding: wte[token] + wpe[position] for every row of the batch.
    public static func embedding(tokens: [Int32], batch: PaddedBatch, tokenTable: Parameter, positionTable: Parameter,
                                 tape: Tape?) throws -> Variable {
        guard tokens.count == batch.rowCount else {
            throw InvalidInput("\(tokens.count) token ids for a batch of \(batch.batchSize) × \(batch.time)")
        }
        guard batch.time <= positionTable.shape.first ?? 0 else {
            throw InvalidInput("sequence length \(batch.time) exceeds the \(positionTable.shape.first ?? 0) positions of \(positionTable.name)")
        }
        return try embeddingSum([EmbeddingLookup(table: tokenTable, ids: tokens),
                                 EmbeddingLookup(table: positionTable, ids: batch.positionIDs)], tape: tape)
    }
}
