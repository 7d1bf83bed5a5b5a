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

/// Attention for one selected query row per sequence equals that row of the full op, and its
/// gradient passes the finite-difference check.
final class SelectedQueryAttentionTests: XCTestCase {
    override func setUpWithError() throws { try requireBLAS() }

    func testEqualsTheFullOpsRow() throws {
        let batch = try PaddedBatch(batchSize: 3, time: 5, lengths: [5, 2, 4])
        let qkv = variable([15, 3 * 16], seed: 51)
        for causal in [true, false] {
            let full = Ops.attention(qkv: qkv, batch: batch, heads: 4, causal: causal, tape: nil).value.scalars
            for rows in [[4, 6, 13], [0, 5, 10], [2, 6, 11]] {
                let selected = try Ops.attention(qkv: qkv, queryRows: rows, batch: batch, heads: 4, causal: causal, tape: nil).value.scalars
                for (b, row) in rows.enumerated() {
                    assertClose(Array(selected[(b * 16)..<(b * 16 + 16)]), Array(full[(row * 16)..<(row * 16 + 16)]), tolerance: 1e-6)
                }
            }
        }
        XCTAssertThrowsError(try Ops.attention(qkv: qkv, queryRows: [4, 7, 13], batch: batch, heads: 4, causal: true, tape: nil))
    }

    func testGradient() throws {
        let batch = try PaddedBatch(batchSize: 2, time: 4, lengths: [4, 3])
        let qkv = variable([8, 3 * 8], seed: 52)
        for causal in [true, false] {
            try checkGradients([qkv]) { try Ops.attention(qkv: qkv, queryRows: [2, 6], batch: batch, heads: 2, causal: causal, tape: $0) }
        }
    }
}
