import Backbones
import Foundation
import TensorEngine
import XCTest

/// A block asked for only some output rows gives those rows of the whole block: computed for
/// those rows alone without dropout, and by running the whole block when attention dropout is
/// on (the selected-rows kernel has none). With residual dropout alone the two paths draw
/// their masks over different element indices, so they are not compared.
final class GPT2OutputRowsTests: XCTestCase {
    func testOutputRowsAreTheWholeBlocksRows() throws {
        for (residual, attention): (Float, Float) in [(0, 0), (0.1, 0.2)] {
            let model = try GPT2Model.load(directory: fixture("hf"))
            try model.setDropout(DropoutRates(embedding: 0, residual: residual, attention: attention))
            let input = try BackboneInput(sequences: [[5, 9, 17, 3], [8, 2], [40, 41, 42]], padID: 0)
            let rows = [3, 5, 10]  // the last real position of each text in the 3 × 4 batch
            let hidden = try model.embed(input, tape: nil)
            let start = model.dropoutGenerator
            let whole = try model.block(1, hidden, batch: input.batch, tape: Tape()).value
            model.dropoutGenerator = start
            let selected = try model.block(1, hidden, batch: input.batch, outputRows: rows, tape: Tape()).value
            let expected = rows.flatMap { row in (0..<whole.shape[1]).map { whole[flat: row * whole.shape[1] + $0] } }
            let difference = zip(selected.scalars, expected).map { abs($0 - $1) }.max() ?? .infinity
            if attention > 0 {
                XCTAssertEqual(selected.scalars, expected, "with attention dropout the whole block runs, then its rows")
            } else {
                XCTAssertLessThan(difference, 1e-5, "no dropout")
            }
        }
    }

    private func fixture(_ layout: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/tiny-gpt2/\(layout)")
    }
}
