// Float32 tensors: a shape over contiguous row-major memory. Like a torch tensor this is a
// reference: `reshaped` views share memory, `copy()` makes an independent one.
//
// Memory is either owned (64-byte aligned, from `BufferPool`, given back with the last
// reference to the storage) or borrowed from someone else's memory kept alive by an owner
// object (e.g. memory-mapped weights). Borrowed memory is never written: the first write
// through `mutablePointer` copies it into owned memory (copy-on-write), so a read-only
// mapping cannot be touched.
import Common
import Foundation

/// The memory behind one or more tensors (views share it).
final class TensorStorage {
    private(set) var base: UnsafeMutablePointer<Float>
    let count: Int
    /// Keeps borrowed memory alive; nil when we own (and must free) `base`.
    private var owner: AnyObject?

    var isBorrowed: Bool { owner != nil }

    /// Owned, uninitialised memory for `count` floats.
    init(uninitializedCount count: Int) {
        self.count = count
        self.base = TensorStorage.allocate(count)
        self.owner = nil
    }

    init(borrowing base: UnsafePointer<Float>, count: Int, owner: AnyObject) {
        self.count = count
        self.base = UnsafeMutablePointer(mutating: base)  // never written while borrowed
        self.owner = owner
    }

    deinit {
        if owner == nil { BufferPool.shared.release(base, bytes: TensorStorage.bytes(count)) }
    }

    /// Turns borrowed memory into an owned copy before the first write.
    func makeWritable() {
        guard owner != nil else { return }
        let copy = TensorStorage.allocate(count)
        copy.update(from: base, count: count)
        base = copy
        owner = nil
    }

    private static func bytes(_ count: Int) -> Int { max(1, count) * MemoryLayout<Float>.stride }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        BufferPool.shared.allocate(bytes(count)).bindMemory(to: Float.self, capacity: max(1, count))
    }
}

/// A shape mismatch or bad element count in data we were given (e.g. a weights file).
public struct TensorShapeError: InputError {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public final class Tensor {
    public let shape: [Int]
    /// Number of elements (product of `shape`; 1 for a scalar of shape []).
    public let count: Int
    let storage: TensorStorage

    // MARK: Creating tensors

    /// Owned memory with unspecified contents, for outputs a kernel overwrites entirely.
    public init(uninitializedShape shape: [Int]) {
        self.shape = shape
        self.count = Tensor.elementCount(shape)
        self.storage = TensorStorage(uninitializedCount: count)
    }

    /// All zeros.
    public convenience init(zeros shape: [Int]) {
        self.init(uninitializedShape: shape)
        storage.base.initialize(repeating: 0, count: count)
    }

    public convenience init(shape: [Int], repeating value: Float) {
        self.init(uninitializedShape: shape)
        storage.base.initialize(repeating: value, count: count)
    }

    /// A copy of `values`; throws if their count does not match the shape.
    public convenience init(shape: [Int], values: [Float], name: String = "tensor") throws {
        let expected = Tensor.elementCount(shape)
        guard values.count == expected else {
            throw TensorShapeError("\(name): shape \(shape) needs \(expected) values, got \(values.count)")
        }
        self.init(uninitializedShape: shape)
        values.withUnsafeBufferPointer { storage.base.update(from: $0.baseAddress!, count: expected) }
    }

    /// Borrows `buffer` without copying; `owner` keeps the memory alive (e.g. a mapped
    /// file). The memory is treated as read-only: writes go to a private copy.
    public init(borrowing buffer: UnsafeBufferPointer<Float>, shape: [Int], owner: AnyObject,
                name: String = "tensor") throws {
        let expected = Tensor.elementCount(shape)
        guard buffer.count == expected else {
            throw TensorShapeError("\(name): shape \(shape) needs \(expected) values, buffer holds \(buffer.count)")
        }
        self.shape = shape
        self.count = expected
        if let base = buffer.baseAddress {
            self.storage = TensorStorage(borrowing: base, count: expected, owner: owner)
        } else {
            self.storage = TensorStorage(uninitializedCount: 0)  // empty: nothing to borrow
        }
    }

    private init(storage: TensorStorage, shape: [Int]) {
        self.storage = storage
        self.shape = shape
        self.count = Tensor.elementCount(shape)
    }

    static func elementCount(_ shape: [Int]) -> Int {
        for d in shape where d < 0 { fatalError("negative dimension in shape \(shape)") }
        return shape.reduce(1, *)
    }

    // MARK: Memory access

    /// True while the tensor still reads someone else's memory (nothing written yet).
    public var isBorrowed: Bool { storage.isBorrowed }

    /// Read access. Valid while this tensor (or a view of its storage) is alive.
    public var pointer: UnsafePointer<Float> { UnsafePointer(storage.base) }

    /// Write access; copies borrowed memory first. Valid while this tensor is alive.
    public var mutablePointer: UnsafeMutablePointer<Float> {
        storage.makeWritable()
        return storage.base
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(UnsafeBufferPointer(start: pointer, count: count)) }
    }

    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(UnsafeMutableBufferPointer(start: mutablePointer, count: count)) }
    }

    /// The elements, copied into an array.
    public var scalars: [Float] {
        withUnsafeBufferPointer { Array($0) }
    }

    /// Element at a flat (row-major) index.
    public subscript(flat index: Int) -> Float {
        get { withExtendedLifetime(self) { pointer[index] } }
        set { withExtendedLifetime(self) { mutablePointer[index] = newValue } }
    }

    /// Element at a multi-dimensional index.
    public subscript(_ index: Int...) -> Float {
        get { self[flat: flatIndex(index)] }
        set { self[flat: flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        guard index.count == shape.count else { fatalError("index \(index) for shape \(shape)") }
        var flat = 0
        for (i, d) in zip(index, shape) {
            guard i >= 0 && i < d else { fatalError("index \(index) out of range for shape \(shape)") }
            flat = flat * d + i
        }
        return flat
    }

    // MARK: Whole-tensor operations

    /// A view with another shape over the same memory (element count must match).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        guard Tensor.elementCount(newShape) == count else {
            fatalError("cannot reshape \(shape) to \(newShape)")
        }
        return Tensor(storage: storage, shape: newShape)
    }

    /// An independent, owned copy.
    public func copy() -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        withExtendedLifetime(self) { result.storage.base.update(from: pointer, count: count) }
        return result
    }

    public func fill(_ value: Float) {
        withExtendedLifetime(self) { mutablePointer.update(repeating: value, count: count) }
    }

    public func zero() { fill(0) }

    /// Copies `other`'s elements into this tensor (counts must match).
    public func assign(_ other: Tensor) {
        guard other.count == count else { fatalError("assign: \(other.shape) into \(shape)") }
        withExtendedLifetime((self, other)) { mutablePointer.update(from: other.pointer, count: count) }
    }

    /// Deterministic pseudo-random values, uniform in [-scale, scale) (tests, benchmarks).
    public static func random(shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        var rng = SplitMix64(seed: seed)
        let p = result.storage.base
        for i in 0..<result.count { p[i] = (rng.nextUnitFloat() * 2 - 1) * scale }
        return result
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = withUnsafeBufferPointer { $0.prefix(8).map { String($0) } }.joined(separator: ", ")
        return "Tensor(\(shape): [\(preview)\(count > 8 ? ", …" : "")])"
    }
}
