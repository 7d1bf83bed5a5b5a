import XCTest
@testable import Serve

/// Length bucketing of the texts a worker took.
final class BatchPlanTests: XCTestCase {
    func testLongestFirstInBatchesOfAtMostTheMaximum() {
        let lengths = [3, 9, 1, 9, 4, 7, 3]
        let batches = BatchPlan.batches(lengths: lengths, maxBatchSize: 3)
        XCTAssertEqual(batches, [[1, 3, 5], [4, 0, 6], [2]])
        XCTAssertEqual(batches.flatMap { $0 }.sorted(), Array(lengths.indices), "every text exactly once")
        // Sorted by length, a batch is padded only to its own longest text: no other cut of
        // these lengths into batches of 3 pads less.
        XCTAssertEqual(BatchPlan.batches(lengths: [], maxBatchSize: 4), [])
        XCTAssertEqual(BatchPlan.batches(lengths: [5, 5], maxBatchSize: 0), [[0], [1]], "a size below 1 counts as 1")
    }

    func testEqualLengthsOnlyNeverMixesLengths() {
        let lengths = [3, 9, 3, 9, 9, 3, 1]
        let batches = BatchPlan.batches(lengths: lengths, maxBatchSize: 2, equalLengthsOnly: true)
        XCTAssertEqual(batches, [[1, 3], [4], [0, 2], [5], [6]])
        for batch in batches { XCTAssertEqual(Set(batch.map { lengths[$0] }).count, 1) }
    }
}
