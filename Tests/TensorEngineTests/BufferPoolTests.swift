@testable import TensorEngine
import XCTest

/// Tensor memory: large buffers are reused by size class, and the free ones kept are bounded.
final class BufferPoolTests: XCTestCase {
    func testSizeClassesRoundUpByAtMostAQuarter() {
        for bytes in [256 << 10, (256 << 10) + 1, 300_000, 1 << 20, 5_000_000, 47_185_920, (1 << 30) + 12345] {
            let size = BufferPool.sizeClass(bytes)
            XCTAssertGreaterThanOrEqual(size, bytes)
            XCTAssertLessThanOrEqual(Double(size), Double(bytes) * 1.25 + 4096, "\(bytes) → \(size)")
            XCTAssertEqual(size % 4096, 0)
            XCTAssertEqual(BufferPool.sizeClass(size), size, "a class is its own class")
        }
        XCTAssertEqual(BufferPool.sizeClass(1 << 20), 1 << 20)
        XCTAssertEqual(BufferPool.sizeClass((1 << 20) + 1), (1 << 20) + (1 << 18))
    }

    func testLargeBuffersAreReusedWithinTheLimit() {
        let mib = 1 << 20
        let pool = BufferPool(minimumCache: 5 * mib)
        let a = pool.allocate(mib)
        a.storeBytes(of: 42, toByteOffset: mib - 8, as: Int.self)  // the whole buffer is writable
        pool.release(a, bytes: mib)
        let classOfA = BufferPool.sizeClass(mib + BufferPool.header)
        XCTAssertEqual(pool.cachedBytes, classOfA)
        let b = pool.allocate(mib - 100)  // the same class
        XCTAssertEqual(a, b, "reused")
        XCTAssertEqual(pool.cachedBytes, 0)
        pool.release(b, bytes: mib - 100)
        // A smaller request takes a free buffer up to twice its size; released, it is still
        // accounted at its real size.
        let c = pool.allocate(700_000)
        XCTAssertEqual(c, a, "a larger free buffer is reused")
        XCTAssertEqual(pool.cachedBytes, 0)
        pool.release(c, bytes: 700_000)
        XCTAssertEqual(pool.cachedBytes, classOfA)
        let tooSmallFor = pool.allocate(3 * mib)  // more than twice: a new buffer
        XCTAssertNotEqual(tooSmallFor, a)
        let d = pool.allocate(3 * mib)
        pool.release(tooSmallFor, bytes: 3 * mib)
        // Over the limit (the peak in use, 7 MiB, above the 5 MiB minimum): the class used
        // least recently (a's) goes back to the system, the two just released stay.
        pool.release(d, bytes: 3 * mib)
        XCTAssertEqual(pool.peakInUse, 2 * BufferPool.sizeClass(3 * mib + BufferPool.header))
        XCTAssertEqual(pool.cachedBytes, 2 * BufferPool.sizeClass(3 * mib + BufferPool.header))
        XCTAssertEqual(Set([pool.allocate(3 * mib), pool.allocate(3 * mib)]), Set([tooSmallFor, d]))
        XCTAssertEqual(pool.cachedBytes, 0, "a's buffer is gone")
        pool.trim()
        XCTAssertEqual(pool.cachedBytes, 0)
    }

    /// The pool keeps as much free memory as was ever in use at once, so a working set larger
    /// than the minimum is kept whole instead of being unmapped and mapped again.
    func testKeepsUpToThePeakInUse() {
        let mib = 1 << 20
        let pool = BufferPool(minimumCache: 2 * mib)
        let buffers = (0..<6).map { _ in pool.allocate(mib) }  // 6 × 1.25 MiB classes in use
        let size = BufferPool.sizeClass(mib + BufferPool.header)
        XCTAssertEqual(pool.peakInUse, 6 * size)
        for buffer in buffers { pool.release(buffer, bytes: mib) }
        XCTAssertEqual(pool.cachedBytes, 6 * size, "all kept: the peak allows it")
        XCTAssertEqual(pool.inUse, 0)
        let again = (0..<6).map { _ in pool.allocate(mib) }
        XCTAssertEqual(Set(again), Set(buffers), "the same buffers, no new mappings")
        for buffer in again { pool.release(buffer, bytes: mib) }
        pool.trim()
    }

    func testSmallBuffersAreAlignedAndNotPooled() {
        let pool = BufferPool(minimumCache: 1 << 20)
        for bytes in [1, 4, 100, 4096, (256 << 10) - 4] {
            let p = pool.allocate(bytes)
            XCTAssertEqual(Int(bitPattern: p) % 64, 0)
            pool.release(p, bytes: bytes)
        }
        XCTAssertEqual(pool.cachedBytes, 0)
    }

    /// Tensors go through the shared pool; values survive and buffers are 64-byte aligned.
    func testTensorsUseThePool() {
        let big = Tensor(shape: [512, 512], repeating: 3)
        XCTAssertEqual(Int(bitPattern: big.pointer) % 64, 0)
        XCTAssertEqual(big[flat: 512 * 512 - 1], 3)
        BufferPool.shared.trim()  // room under the limit, whatever ran before
        let before = BufferPool.shared.cachedBytes
        var scratch: Tensor? = Tensor(uninitializedShape: [1024, 1024])
        XCTAssertNotNil(scratch)
        scratch = nil
        XCTAssertEqual(BufferPool.shared.cachedBytes, before + BufferPool.sizeClass((4 << 20) + BufferPool.header))
    }
}
