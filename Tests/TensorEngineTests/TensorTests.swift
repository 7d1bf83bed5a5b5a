import TensorEngine
import XCTest

/// Memory model: owned vs borrowed storage, copy-on-write of borrowed memory, views.
final class TensorTests: XCTestCase {
    /// Stands in for a memory-mapped file: owns memory and counts how long it lives.
    final class Owner {
        let buffer: UnsafeMutableBufferPointer<Float>
        nonisolated(unsafe) static var alive = 0
        init(_ values: [Float]) {
            buffer = .allocate(capacity: values.count)
            _ = buffer.initialize(from: values)
            Owner.alive += 1
        }
        deinit {
            buffer.deallocate()
            Owner.alive -= 1
        }
    }

    func testBorrowedStorageIsCopiedOnFirstWrite() throws {
        var owner: Owner? = Owner([1, 2, 3, 4, 5, 6])
        let tensor = try Tensor(borrowing: UnsafeBufferPointer(owner!.buffer), shape: [2, 3], owner: owner!)
        let view = tensor.reshaped([3, 2])
        XCTAssertTrue(tensor.isBorrowed)
        XCTAssertEqual(tensor[1, 2], 6)
        XCTAssertEqual(tensor.pointer, UnsafePointer(owner!.buffer.baseAddress!), "no copy while only read")

        tensor[0, 0] = 100
        XCTAssertFalse(tensor.isBorrowed)
        XCTAssertEqual(owner!.buffer[0], 1, "the borrowed memory is never written")
        XCTAssertEqual(view[0, 0], 100, "views share the (now private) storage")
        XCTAssertEqual(tensor.scalars, [100, 2, 3, 4, 5, 6])

        weak let weakOwner = owner
        owner = nil
        XCTAssertNil(weakOwner, "after the copy the owner is no longer kept alive")
    }

    func testBorrowedStorageKeepsOwnerAlive() throws {
        var tensor: Tensor? = try {
            let owner = Owner([7, 8])
            return try Tensor(borrowing: UnsafeBufferPointer(owner.buffer), shape: [2], owner: owner)
        }()
        XCTAssertEqual(Owner.alive, 1)
        XCTAssertEqual(tensor?.scalars, [7, 8])
        tensor = nil
        XCTAssertEqual(Owner.alive, 0)
    }

    func testShapeMismatchThrowsWithName() {
        XCTAssertThrowsError(try Tensor(shape: [2, 2], values: [1, 2, 3], name: "h.0.ln_1.weight")) {
            XCTAssertTrue("\($0)".contains("h.0.ln_1.weight"))
        }
        let owner = Owner([1, 2, 3])
        XCTAssertThrowsError(try Tensor(borrowing: UnsafeBufferPointer(owner.buffer), shape: [4], owner: owner, name: "wpe"))
    }

    func testCopyIsIndependentAndAligned() throws {
        let a = try Tensor(shape: [3], values: [1, 2, 3])
        let b = a.copy()
        b[0] = 9
        XCTAssertEqual(a.scalars, [1, 2, 3])
        XCTAssertEqual(Int(bitPattern: a.pointer) % 64, 0)
        XCTAssertEqual(Tensor(zeros: []).count, 1, "a scalar has one element")
    }

    func testRandomIsDeterministic() {
        XCTAssertEqual(Tensor.random(shape: [10], seed: 3).scalars, Tensor.random(shape: [10], seed: 3).scalars)
        XCTAssertNotEqual(Tensor.random(shape: [10], seed: 3).scalars, Tensor.random(shape: [10], seed: 4).scalars)
    }

    /// Parallel.forRanges covers every index exactly once, for sizes around the chunking.
    func testParallelForCoversEveryIndexOnce() {
        for count in [0, 1, 5, 63, 64, 1000] {
            let hits = Tensor(zeros: [max(1, count)])
            let p = hits.mutablePointer
            Parallel.forRanges(count, grain: 4, chunksPerWorker: 3) { range in for i in range { p[i] += 1 } }
            XCTAssertEqual(hits.scalars.prefix(count).filter { $0 != 1 }.count, 0, "count \(count)")
        }
    }
}
