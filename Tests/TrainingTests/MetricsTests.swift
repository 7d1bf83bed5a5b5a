import Training
import XCTest

final class MetricsTests: XCTestCase {
    /// A 3-class table worked out by hand:
    ///
    ///     true\pred  cat dog bird
    ///     cat          5   1    0     support 6
    ///     dog          2   3    1     support 6
    ///     bird         0   0    4     support 4
    ///
    /// accuracy 12/16; cat P 5/7 R 5/6; dog P 3/4 R 3/6; bird P 4/5 R 4/4.
    func testHandMadeConfusionMatrix() {
        let m = ConfusionMatrix(labels: ["cat", "dog", "bird"], counts: [[5, 1, 0], [2, 3, 1], [0, 0, 4]])
        XCTAssertEqual(m.total, 16)
        XCTAssertEqual(m.accuracy, 0.75, accuracy: 1e-12)
        XCTAssertEqual(m.precision(0), 5.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(m.recall(0), 5.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(m.precision(1), 0.75, accuracy: 1e-12)
        XCTAssertEqual(m.recall(1), 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.precision(2), 0.8, accuracy: 1e-12)
        XCTAssertEqual(m.recall(2), 1, accuracy: 1e-12)
        let f1 = [2 * (5.0 / 7) * (5.0 / 6) / (5.0 / 7 + 5.0 / 6), 2 * 0.75 * 0.5 / 1.25, 2 * 0.8 / 1.8]
        for c in 0..<3 { XCTAssertEqual(m.f1(c), f1[c], accuracy: 1e-12) }
        XCTAssertEqual(m.macroF1, f1.reduce(0, +) / 3, accuracy: 1e-12)
        XCTAssertEqual(m.perClass.map(\.support), [6, 6, 4])
        XCTAssertTrue(m.table.contains("bird"))
    }

    /// A class never predicted has precision 0 (not NaN), and its F1 is 0.
    func testZeroDivisionGivesZero() {
        let m = ConfusionMatrix(labels: ["ham", "spam"], counts: [[10, 0], [5, 0]])
        XCTAssertEqual(m.precision(1), 0)
        XCTAssertEqual(m.f1(1), 0)
        XCTAssertEqual(m.recall(0), 1)
        XCTAssertEqual(m.accuracy, 10.0 / 15, accuracy: 1e-12)
    }

    func testAddCounts() {
        var m = ConfusionMatrix(labels: ["a", "b"])
        m.add(truth: 0, predicted: 1)
        m.add(truth: 1, predicted: 1)
        m.add(truth: 1, predicted: 1)
        XCTAssertEqual(m.counts, [[0, 1], [0, 2]])
        XCTAssertEqual(m.accuracy, 2.0 / 3, accuracy: 1e-12)
    }

    /// The most confused pairs: off-diagonal cells by count, ties in class order (row, then
    /// column), empty cells left out; with more than 10 classes the summary lists them instead
    /// of the matrix.
    func testMostConfusedPairs() {
        let m = ConfusionMatrix(labels: ["a", "b", "c"], counts: [[5, 2, 3], [0, 4, 2], [3, 0, 1]])
        XCTAssertEqual(m.mostConfused().map { "\($0.truth)>\($0.predicted)" }, ["a>c", "c>a", "a>b", "b>c"])
        XCTAssertEqual(m.mostConfused(limit: 1).first?.shareOfTruth, 0.3)
        XCTAssertTrue(SplitEvaluation(split: "test", loss: 1, confusion: m).summary.contains("true\\pred"))

        let names = (0..<12).map { "intent_\($0)" }
        var many = ConfusionMatrix(labels: names)
        for c in 0..<12 { many.add(truth: c, predicted: c) }
        many.add(truth: 3, predicted: 7)
        many.add(truth: 3, predicted: 7)
        many.add(truth: 1, predicted: 0)
        let summary = SplitEvaluation(split: "test", loss: 1, confusion: many).summary
        XCTAssertFalse(summary.contains("true\\pred"), summary)
        XCTAssertTrue(summary.contains("intent_3   -> intent_7  2 (66.7%)"), summary)
        XCTAssertLessThan(summary.split(separator: "\n").map(\.count).max() ?? 0, 120, "no line as wide as a 12-column matrix")
    }
}
