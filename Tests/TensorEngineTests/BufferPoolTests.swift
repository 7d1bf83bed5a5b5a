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
        let pool = BufferPool(cacheLimit: 3 << 20)
        let a = pool.allocate(1 << 20)
        a.storeBytes(of: 42, toByteOffset: (1 << 20) - 8, as: Int.self)  // the whole buffer is writable
        pool.release(a, bytes: 1 << 20)
        XCTAssertEqual(pool.cachedBytes, 1 << 20)
        let b = pool.allocate((1 << 20) - 100)  // the same class
        XCTAssertEqual(a, b, "reused")
        XCTAssertEqual(pool.cachedBytes, 0)
        let c = pool.allocate(2 << 20), d = pool.allocate(2 << 20)
        pool.release(b, bytes: (1 << 20) - 100)
        pool.release(c, bytes: 2 << 20)
        pool.release(d, bytes: 2 << 20)  // over the limit: unmapped, not kept
        XCTAssertEqual(pool.cachedBytes, 3 << 20)
        pool.trim()
        XCTAssertEqual(pool.cachedBytes, 0)
    }

    func testSmallBuffersAreAlignedAndNotPooled() {
        let pool = BufferPool(cacheLimit: 1 << 20)
        for bytes in [1, 4, 100, 4096, (256 << 10) - 4] {
            let p = pool.allocate(bytes)
            XCTAssertEqual(Int(bitPattern: p) % 64, 0)
            pool.release(p, bytes: bytes)
        }
        XCTAssertEqual(pool.cachedBytes, 0)
    }

    /// Tensors go through the shared pool; values survive and big ones are page aligned.
    func testTensorsUseThePool() {
        let big = Tensor(shape: [512, 512], repeating: 3)
        XCTAssertEqual(Int(bitPattern: big.pointer) % 4096, 0)
        XCTAssertEqual(big[flat: 512 * 512 - 1], 3)
        BufferPool.shared.trim()  // room under the limit, whatever ran before
        let before = BufferPool.shared.cachedBytes
        var scratch: Tensor? = Tensor(uninitializedShape: [1024, 1024])
        XCTAssertNotNil(scratch)
        scratch = nil
        XCTAssertEqual(BufferPool.shared.cachedBytes, before + (4 << 20))
    }
}
