// Keys and values of past positions for generation, laid out [B, H, capacity, headDim] per
// layer. A generation step appends the new positions' K and V from the packed qkv and runs
// the same attention kernel (queries offset by the cached length, causal) over the cache.
// Inference only: nothing here is differentiable.
import Common

public final class KVCache {
    public let batchSize: Int
    public let heads: Int
    public let headDim: Int
    public let capacity: Int
    /// Positions stored so far (the same for every sequence of the batch).
    public private(set) var count = 0
    /// [batchSize, heads, capacity, headDim]
    public let keys: Tensor
    public let values: Tensor

    public init(batchSize: Int, heads: Int, headDim: Int, capacity: Int) {
        self.batchSize = batchSize
        self.heads = heads
        self.headDim = headDim
        self.capacity = capacity
        keys = Tensor(zeros: [batchSize, heads, capacity, headDim])
        values = Tensor(zeros: [batchSize, heads, capacity, headDim])
    }

    public func reset() { count = 0 }

    var view: (keys: HeadView, values: HeadView) {
        (HeadView.headMajor(keys.mutablePointer, heads: heads, time: capacity, headDim: headDim),
         HeadView.headMajor(values.mutablePointer, heads: heads, time: capacity, headDim: headDim))
    }

    /// Copies `newPositions` rows of K and V per sequence from `k`, `v` into the cache.
    func append(k: HeadView, v: HeadView, newPositions: Int) {
        let (keyView, valueView) = view
        for b in 0..<batchSize {
            for h in 0..<heads {
                for t in 0..<newPositions {
                    (keyView.at(b, h) + (count + t) * headDim).update(from: k.at(b, h) + t * k.rowStride, count: headDim)
                    (valueView.at(b, h) + (count + t) * headDim).update(from: v.at(b, h) + t * v.rowStride, count: headDim)
                }
            }
        }
        count += newPositions
    }
}

extension Ops {
    /// One generation step of GPT-2 attention: qkv [B·n, 3C] holds n new positions per sequence
    /// (the whole prompt at first, then 1). Their keys and values are appended to `cache`;
    /// returns their causal attention over every cached position, [B·n, C].
    public static func cachedAttention(qkv: Tensor, cache: KVCache) throws -> Tensor {
        let width = qkv.shape.last ?? 0
        let c = cache.heads * cache.headDim
        guard qkv.shape.count == 2, width == 3 * c, qkv.shape[0] % cache.batchSize == 0 else {
            throw TensorShapeError("cachedAttention: qkv \(qkv.shape) is not [\(cache.batchSize)·n, \(3 * c)]")
        }
        let newPositions = qkv.shape[0] / cache.batchSize
        guard newPositions >= 1, cache.count + newPositions <= cache.capacity else {
            throw InvalidInput("KV cache holds \(cache.capacity) positions; \(cache.count) used, \(newPositions) more requested")
        }
        let hd = cache.headDim
        let queries = HeadView.rows(qkv.pointer, time: newPositions, width: width, offset: 0, headDim: hd)
        let newKeys = HeadView.rows(qkv.pointer, time: newPositions, width: width, offset: c, headDim: hd)
        let newValues = HeadView.rows(qkv.pointer, time: newPositions, width: width, offset: 2 * c, headDim: hd)
        let past = cache.count
        cache.append(k: newKeys, v: newValues, newPositions: newPositions)
        let total = cache.count
        let shape = AttentionShape(batchSize: cache.batchSize, heads: cache.heads, headDim: hd,
                                   queryTime: newPositions, keyTime: total,
                                   queryLengths: Array(repeating: newPositions, count: cache.batchSize),
                                   keyLengths: Array(repeating: total, count: cache.batchSize),
                                   queryOffset: past, causal: true)
        let out = Tensor(uninitializedShape: [qkv.shape[0], c])
        let probabilities = Tensor(uninitializedShape: [shape.probabilityCount])
        let (keys, values) = cache.view
        withExtendedLifetime((qkv, cache)) {
            AttentionKernel.forward(out: HeadView.rows(out.mutablePointer, time: newPositions, width: c, offset: 0, headDim: hd),
                                    probabilities: probabilities.mutablePointer,
                                    q: queries, k: keys, v: values, shape: shape)
        }
        return out
    }
}
