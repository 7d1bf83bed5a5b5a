import TensorEngine
import XCTest

/// Max pooling over real positions: values, padding ignored, and the gradient check.
final class MaxPoolTests: XCTestCase {
    override func setUpWithError() throws { try requireBLAS() }

    func testMaxOverRealPositionsOnly() throws {
        // Two sequences of 3 positions, 2 features; the second has 2 real tokens and a large pad row.
        let batch = try PaddedBatch(batchSize: 2, time: 3, lengths: [3, 2])
        let x = Variable(try Tensor(shape: [6, 2], values: [1, -5, 4, -2, 3, -7,
                                                             -1, 0, -3, 2, 99, 99]))
        XCTAssertEqual(try Ops.maxPool(x, batch: batch, tape: nil).value.scalars, [4, -2, -1, 2])
    }

    func testGradient() throws {
        let batch = try PaddedBatch(batchSize: 3, time: 4, lengths: [4, 1, 3])
        // Distinct values (no ties), so the maximum is differentiable at the point checked.
        let x = variable([12, 37], seed: 41, scale: 2)
        try checkGradients([x], h: 1e-3) { try Ops.maxPool(x, batch: batch, tape: $0) }
    }

    func testGradientGoesToTheWinningRowOnly() throws {
        let batch = try PaddedBatch(batchSize: 1, time: 3, lengths: [3])
        let x = Variable(try Tensor(shape: [3, 1], values: [1, 5, 2]), requiresGrad: true)
        let tape = Tape()
        let y = try Ops.maxPool(x, batch: batch, tape: tape)
        tape.backward(from: y, gradient: Tensor(shape: [1, 1], repeating: 3))
        XCTAssertEqual(x.grad?.scalars, [0, 3, 0])
    }
}
