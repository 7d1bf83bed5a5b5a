// int8 inference for Linear layers, as PyTorch's quantize_dynamic: weights quantised once per
// output channel (symmetric s8), activations per row on every call (asymmetric u8, the range
// including 0), products accumulated in s32 by oneDNN (VNNI where the CPU has it), then scaled
// back to f32 with the bias added.
import CDNNL
import Foundation

/// One weight matrix quantised: q [in, out] row-major whatever the layer's layout (oneDNN's int8
/// kernels read that fastest), with a scale and a sum of q per output column.
public final class Int8Weight: @unchecked Sendable {
    // @unchecked: immutable after init.
    public let inFeatures: Int, outFeatures: Int
    let q: UnsafeMutablePointer<Int8>
    public let scales: [Float]
    let columnSums: [Int32]

    public init(_ weight: Tensor, layout: WeightLayout) {
        precondition(weight.shape.count == 2, "Int8Weight: a matrix, not \(weight.shape)")
        let k = layout == .inOut ? weight.shape[0] : weight.shape[1]
        let n = layout == .inOut ? weight.shape[1] : weight.shape[0]
        let storage = UnsafeMutablePointer<Int8>.allocate(capacity: k * n)
        var scales = [Float](repeating: 0, count: n), sums = [Int32](repeating: 0, count: n)
        withExtendedLifetime(weight) {
            textclf_quantize_columns_s8(weight.pointer, Int64(k), Int64(n), layout == .outIn ? 1 : 0, storage, &scales, &sums)
        }
        inFeatures = k
        outFeatures = n
        q = storage
        self.scales = scales
        columnSums = sums
    }

    /// A weight quantised earlier (`textclf quantize`): `values` in the layer's own `layout` and
    /// shape, one scale per output channel. The same state as quantising the f32 weight here.
    public init(quantized values: [Int8], scales: [Float], layout: WeightLayout, inFeatures k: Int, outFeatures n: Int) {
        precondition(values.count == k * n && scales.count == n, "Int8Weight: \(values.count) values and \(scales.count) scales for \(k)×\(n)")
        let storage = UnsafeMutablePointer<Int8>.allocate(capacity: k * n)
        var sums = [Int32](repeating: 0, count: n)
        for p in 0..<k {
            for j in 0..<n {
                let value = layout == .inOut ? values[p * n + j] : values[j * k + p]
                storage[p * n + j] = value
                sums[j] += Int32(value)
            }
        }
        inFeatures = k
        outFeatures = n
        q = storage
        self.scales = scales
        columnSums = sums
    }

    deinit { q.deallocate() }

    /// The quantised values in `layout` (the layer's own weight shape), for saving.
    public func values(layout: WeightLayout) -> [Int8] {
        let (k, n) = (inFeatures, outFeatures)
        var out = [Int8](repeating: 0, count: k * n)
        for p in 0..<k {
            for j in 0..<n { out[layout == .inOut ? p * n + j : j * k + p] = q[p * n + j] }
        }
        return out
    }

    /// The dequantised weight W[in, out] (tests: the quantisation error per element).
    public var dequantized: [Float] {
        (0..<(inFeatures * outFeatures)).map { Float(q[$0]) * scales[$0 % outFeatures] }
    }

    /// out[rows, out] = x[rows, in] · W (+ bias), x quantised per row. Quantising and scaling
    /// back are split by rows between our workers; oneDNN parallelises the product itself.
    public func forward(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, bias: UnsafePointer<Float>?, rows: Int) {
        guard rows > 0 else { return }
        let (k, n) = (inFeatures, outFeatures)
        let xq = UnsafeMutablePointer<UInt8>.allocate(capacity: rows * k)
        let accumulator = UnsafeMutablePointer<Int32>.allocate(capacity: rows * n)
        let rowScales = UnsafeMutablePointer<Float>.allocate(capacity: rows)
        let rowZeros = UnsafeMutablePointer<Int32>.allocate(capacity: rows)
        defer { xq.deallocate(); accumulator.deallocate(); rowScales.deallocate(); rowZeros.deallocate() }
        Parallel.forRanges(rows, grain: max(1, Kernels.elementwiseGrain / max(1, k))) { range in
            let r = range.lowerBound
            textclf_quantize_rows_u8(x + r * k, Int64(range.count), Int64(k), Int64(k), xq + r * k, rowScales + r, rowZeros + r)
        }
        OneDNN.gemm(kind: .u8s8, transposeA: false, transposeB: false, m: rows, n: n, k: k,
                    a: xq, lda: k, b: q, ldb: n, beta: 0, c: accumulator, ldc: n)
        scales.withUnsafeBufferPointer { columnScales in
            columnSums.withUnsafeBufferPointer { sums in
                Parallel.forRanges(rows, grain: max(1, Kernels.elementwiseGrain / max(1, n))) { range in
                    let r = range.lowerBound
                    textclf_dequantize(accumulator + r * n, Int64(range.count), Int64(n), rowScales + r, rowZeros + r,
                                       columnScales.baseAddress, sums.baseAddress, bias, out + r * n, Int64(n))
                }
            }
        }
    }
}

/// Which Linear weights run in int8. Off by default; `enable()` (predict/evaluate/serve
/// `--int8`) makes every Linear without a tape quantise its weight on first use and keep it.
public enum Int8Inference {
    final class Registry: @unchecked Sendable {
        // @unchecked: `entries` only under `lock`. Each entry keeps its Parameter alive, so its
        // ObjectIdentifier is never reused by another parameter while the entry exists.
        private let lock = NSLock()
        private var entries: [ObjectIdentifier: (parameter: Parameter, weight: Int8Weight)] = [:]

        /// Uses `weight` for `parameter` from now on (a weight quantised earlier and saved).
        func register(_ weight: Int8Weight, for parameter: Parameter) {
            lock.lock()
            defer { lock.unlock() }
            entries[ObjectIdentifier(parameter)] = (parameter, weight)
        }

        func weight(for parameter: Parameter, layout: WeightLayout) -> Int8Weight {
            lock.lock()
            defer { lock.unlock() }
            if let found = entries[ObjectIdentifier(parameter)] { return found.weight }
            let made = Int8Weight(parameter.value, layout: layout)
            entries[ObjectIdentifier(parameter)] = (parameter, made)
            return made
        }

        var count: Int {
            lock.lock()
            defer { lock.unlock() }
            return entries.count
        }
    }

    static let registry = Registry()

    /// Set at startup (`--int8`) or around a test, never while ops run: hence nonisolated(unsafe).
    nonisolated(unsafe) public static var isEnabled = false

    /// Turns int8 on; throws if oneDNN is missing.
    public static func enable() throws {
        do { try OneDNN.ensureLoaded() } catch { throw PrecisionError(description: "--int8 needs oneDNN: \(error)") }
        isEnabled = true
    }

    /// Runs `body` with int8 Linear layers (tests), then restores the previous setting.
    public static func with<R>(_ value: Bool, _ body: () throws -> R) rethrows -> R {
        let previous = isEnabled
        isEnabled = value
        defer { isEnabled = previous }
        return try body()
    }

    /// Weights quantised so far.
    public static var quantizedWeights: Int { registry.count }

    /// The int8 weight `parameter` runs with: quantised now if it was not yet.
    public static func weight(for parameter: Parameter, layout: WeightLayout) -> Int8Weight {
        registry.weight(for: parameter, layout: layout)
    }

    /// Makes `parameter` run with `weight` (read from a saved int8 model) instead of quantising it.
    public static func register(_ weight: Int8Weight, for parameter: Parameter) {
        registry.register(weight, for: parameter)
    }
}
