import CKernels
import Dispatch
import TensorEngine
import XCTest

/// The kernel workers (CKernels' pool.c behind `Parallel`): every chunk runs exactly once,
/// whether the job runs on the workers, on Dispatch's threads because another caller holds
/// them, or on one thread because it is nested inside a job.
final class ParallelTests: XCTestCase {
    /// Counts each chunk's runs; chunks write only their own slot.
    private func runs(_ chunks: Int, body: (Int) -> Void = { _ in }) -> [Int] {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(1, chunks))
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        nonisolated(unsafe) let shared = counts
        Parallel.run(chunks) { chunk in
            shared[chunk] += 1
            body(chunk)
        }
        return Array(counts.prefix(chunks))
    }

    func testEveryChunkRunsOnce() {
        for chunks in [0, 1, 2, 3, 7, 64, 1000] {
            XCTAssertEqual(runs(chunks), Array(repeating: 1, count: chunks), "\(chunks) chunks")
        }
        // Many small jobs in a row: the helpers alternate between spinning, working and sleeping.
        for round in 0..<2000 { XCTAssertEqual(runs(2 + round % 5), Array(repeating: 1, count: 2 + round % 5)) }
    }

    /// A job whose chunks start jobs of their own: the inner ones run on the chunk's thread.
    func testNestedJobsRun() {
        let inner = UnsafeMutableBufferPointer<Int>.allocate(capacity: 8 * 5)
        inner.initialize(repeating: 0)
        defer { inner.deallocate() }
        nonisolated(unsafe) let shared = inner
        let outer = runs(8) { chunk in
            XCTAssertEqual(tc_pool_inside_job(), 1)
            Parallel.run(5) { shared[chunk * 5 + $0] += 1 }
        }
        XCTAssertEqual(outer, Array(repeating: 1, count: 8))
        XCTAssertEqual(Array(inner), Array(repeating: 1, count: 40))
        XCTAssertEqual(tc_pool_inside_job(), 0, "the flag is cleared after the job")
    }

    /// Sixteen threads start jobs at once: one holds the workers, the others fall back to
    /// Dispatch, and every chunk of every job runs once, sums included.
    func testConcurrentCallersEachGetTheirJobDone() {
        let totals = UnsafeMutableBufferPointer<Int>.allocate(capacity: 16)
        totals.initialize(repeating: 0)
        defer { totals.deallocate() }
        nonisolated(unsafe) let shared = totals
        DispatchQueue.concurrentPerform(iterations: 16) { caller in
            for _ in 0..<200 {
                let values = UnsafeMutableBufferPointer<Int>.allocate(capacity: 9)
                values.initialize(repeating: 0)
                nonisolated(unsafe) let slots = values
                Parallel.run(9) { chunk in slots[chunk] = chunk + 1 }
                shared[caller] += values.reduce(0, +)
                values.deallocate()
            }
        }
        XCTAssertEqual(Array(totals), Array(repeating: 200 * 45, count: 16))
    }

    /// forRanges and forChunks cover 0..<count with disjoint ranges.
    func testRangesCoverTheCount() {
        for count in [1, 5, 100, 100_003] {
            let hits = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: count)
            hits.initialize(repeating: 0)
            defer { hits.deallocate() }
            nonisolated(unsafe) let shared = hits
            Parallel.forRanges(count, grain: 7, chunksPerWorker: 3) { range in for i in range { shared[i] += 1 } }
            Parallel.forChunks(count, grain: 11) { _, range in for i in range { shared[i] += 1 } }
            XCTAssertTrue(hits.allSatisfy { $0 == 2 }, "\(count)")
        }
    }
}
