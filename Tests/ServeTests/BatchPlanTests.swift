import XCTest
@testable import Serve

/// Length bucketing of the texts a worker took.
final class BatchPlanTests: XCTestCase {
    /// The cost the plan minimises: padded tokens plus `batchCost` per batch.
    private func cost(_ batches: [[Int]], _ lengths: [Int]) -> Int {
        batches.reduce(0) { $0 + $1.count * ($1.map { lengths[$0] }.max() ?? 0) + BatchPlan.batchCost }
    }

    private func assertPlan(_ lengths: [Int], maxBatchSize: Int, file: StaticString = #filePath, line: UInt = #line) -> [[Int]] {
        let batches = BatchPlan.batches(lengths: lengths, maxBatchSize: maxBatchSize)
        XCTAssertEqual(batches.flatMap { $0 }.sorted(), Array(lengths.indices), "every text exactly once", file: file, line: line)
        XCTAssertTrue(batches.allSatisfy { !$0.isEmpty && $0.count <= max(1, maxBatchSize) }, "\(batches)", file: file, line: line)
        let flat = batches.flatMap { $0 }
        XCTAssertEqual(flat.map { lengths[$0] }, flat.map { lengths[$0] }.sorted(by: >), "longest first", file: file, line: line)
        return batches
    }

    func testShortTextsShareBatchesAndALongOneGoesAlone() {
        let short = Array(repeating: 20, count: 40)
        let batches = assertPlan([100] + short, maxBatchSize: 32)
        XCTAssertEqual(batches.first, [0], "the 100-token text would make 31 texts of 20 pay for 100")
        XCTAssertEqual(batches.dropFirst().map(\.count).reduce(0, +), 40)
        XCTAssertEqual(batches.count, 3, "40 equal texts need two batches of at most 32")
        // Equal lengths keep the order given.
        XCTAssertEqual(assertPlan([5, 5, 5], maxBatchSize: 8), [[0, 1, 2]])
        XCTAssertEqual(BatchPlan.batches(lengths: [], maxBatchSize: 4), [])
        XCTAssertEqual(BatchPlan.batches(lengths: [5, 5], maxBatchSize: 0), [[0], [1]], "a size below 1 counts as 1")
    }

    /// No other cut of the sorted texts into runs costs less: checked against every cut of
    /// small random lists.
    func testThePlanIsTheCheapestCut() {
        var state: UInt64 = 5
        for _ in 0 ..< 200 {
            let count = Int(state % 9) + 1
            let lengths = (0 ..< count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Int(state >> 33) % 120 + 1
            }
            let maxBatchSize = Int(state >> 40) % 4 + 1
            let plan = assertPlan(lengths, maxBatchSize: maxBatchSize)
            let order = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
            var cheapest = Int.max
            for mask in 0 ..< (1 << (count - 1)) {  // bit k set: a batch ends after position k
                var batches: [[Int]] = [[]]
                for (position, index) in order.enumerated() {
                    batches[batches.count - 1].append(index)
                    if position < count - 1 && mask & (1 << position) != 0 { batches.append([]) }
                }
                if batches.allSatisfy({ $0.count <= maxBatchSize }) { cheapest = min(cheapest, cost(batches, lengths)) }
            }
            XCTAssertEqual(cost(plan, lengths), cheapest, "\(lengths), batches of at most \(maxBatchSize): \(plan)")
        }
    }

    func testEqualLengthsOnlyNeverMixesLengths() {
        let lengths = [3, 9, 3, 9, 9, 3, 1]
        let batches = BatchPlan.batches(lengths: lengths, maxBatchSize: 2, equalLengthsOnly: true)
        XCTAssertEqual(batches.flatMap { $0 }.sorted(), Array(lengths.indices))
        for batch in batches {
            XCTAssertEqual(Set(batch.map { lengths[$0] }).count, 1, "\(batches)")
            XCTAssertLessThanOrEqual(batch.count, 2)
        }
        XCTAssertEqual(batches.count, 5)
    }
}
