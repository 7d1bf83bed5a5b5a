import Backbones
import Foundation
import TensorEngine
import XCTest

/// The tiny GPT-2 of Fixtures/tiny-gpt2 against Hugging Face's float64 outputs in
/// reference.safetensors (scripts/make_gpt2_fixtures.py): every intermediate, the logits, the
/// LM loss and the gradient of every parameter, loaded from both weight layouts.
final class GPT2ParityTests: XCTestCase {
    /// Max |Δ| relative to the reference's scale. Float32 rounding gives ~1e-6 here; 1e-5 (not
    /// 1e-4) because the tiny model's small activations make even the erf GELU in place of the
    /// tanh one move the MLP gradients by only ~5e-5.
    static let tolerance: Float = 1e-5

    func testForwardMatchesTransformersFromBothLayouts() throws {
        let reference = try Reference.load()
        for layout in ["hf", "openai"] {
            let model = try GPT2Model.load(directory: fixture(layout))
            XCTAssertEqual(model.blockCount, 2)
            var hidden = try model.embed(reference.input, tape: nil)
            reference.assertClose(hidden, "embeddings", layout)
            for i in 0..<model.blockCount {
                hidden = try model.block(i, hidden, batch: reference.input.batch, tape: nil)
                reference.assertClose(hidden, "block_output.\(i)", layout)
            }
            let last = try model.finalNorm(hidden, tape: nil)
            reference.assertClose(last, "last_hidden_state", layout)
            reference.assertClose(try model.forward(reference.input, tape: nil), "last_hidden_state", layout)
            reference.assertClose(try model.languageModelLogits(last, tape: nil), "logits", layout)
        }
    }

    /// LM loss (README: next-token cross-entropy over the 19 real (b, t) pairs) and its gradient
    /// with respect to all 28 tensors; wte's includes the tied LM head's share.
    func testLanguageModelLossAndEveryGradientMatch() throws {
        let reference = try Reference.load()
        let model = try GPT2Model.load(directory: fixture("hf"))
        let tape = Tape()
        let hidden = try model.forward(reference.input, tape: tape)
        var rows: [Int] = [], labels: [Int32] = []
        let time = reference.input.batch.time
        for (b, length) in reference.input.batch.lengths.enumerated() {
            for t in 0..<(length - 1) {
                rows.append(b * time + t)
                labels.append(reference.input.tokenIDs[b * time + t + 1])
            }
        }
        XCTAssertEqual(rows.count, 19)
        let logits = try model.languageModelLogits(try Ops.gatherRows(hidden, rows: rows, tape: tape), tape: tape)
        let loss = try Ops.crossEntropy(logits: logits, labels: labels, tape: tape)
        let expectedLoss = try reference.file.floats("loss").toArray()[0]
        XCTAssertEqual(loss.value[flat: 0], expectedLoss, accuracy: 1e-5 * expectedLoss)
        tape.backward(from: loss)

        XCTAssertEqual(model.namedParameters.count, 28)
        for (name, parameter) in model.namedParameters {
            let gradient = try XCTUnwrap(parameter.grad, "no gradient for \(name)")
            let expected = try reference.file.floats("grad.transformer." + name)
            XCTAssertEqual(gradient.shape, expected.shape, name)
            let error = relativeError(gradient.scalars, expected.toArray())
            XCTAssertLessThan(error, Self.tolerance, "grad.\(name): max |Δ| / max |ref| = \(error)")
        }
    }

    /// Both layouts give bit-identical parameters, with the same names and in the same order.
    func testBothLayoutsLoadIdenticalParameters() throws {
        let hf = try GPT2Model.load(directory: fixture("hf"))
        let openAI = try GPT2Model.load(directory: fixture("openai"))
        XCTAssertEqual(hf.config, openAI.config)
        XCTAssertEqual(hf.namedParameters.map(\.name), GPT2WeightNames.parameterNames(layerCount: 2))
        XCTAssertEqual(hf.namedParameters.map(\.name), openAI.namedParameters.map(\.name))
        for ((name, a), (_, b)) in zip(hf.namedParameters, openAI.namedParameters) {
            XCTAssertEqual(a.shape, b.shape, name)
            XCTAssertEqual(a.value.scalars, b.value.scalars, name)
            XCTAssertTrue(a.value.isBorrowed && b.value.isBorrowed, "\(name) was copied instead of mapped")
        }
        // The reader agrees with the float64 sums the fixture script took of the saved weights.
        let reference = try Reference.load()
        for (name, parameter) in hf.namedParameters {
            let sum = parameter.value.scalars.reduce(0.0) { $0 + Double($1) }
            let expected = try reference.file.floats("sum." + name).toArray()[0]
            XCTAssertEqual(sum, Double(expected), accuracy: 1e-4 * max(1, abs(Double(expected))), name)
        }
    }

    /// Padding does not change the real positions: each text alone gives the same hidden states.
    func testPaddedBatchEqualsEachTextAlone() throws {
        let reference = try Reference.load()
        let model = try GPT2Model.load(directory: fixture("hf"))
        let batched = try model.forward(reference.input, tape: nil).value
        let time = reference.input.batch.time, c = model.hiddenSize
        for (b, length) in reference.input.batch.lengths.enumerated() {
            let ids = (0..<length).map { Int(reference.input.tokenIDs[b * time + $0]) }
            let alone = try model.forward(BackboneInput(sequences: [ids], padID: 0), tape: nil).value.scalars
            let rows = Array(batched.scalars[(b * time * c)..<((b * time + length) * c)])
            XCTAssertLessThan(relativeError(alone, rows), 1e-6, "text \(b)")
        }
    }
}

/// reference.safetensors and the batch it was computed on.
struct Reference {
    let file: SafeTensorsFile
    let input: BackboneInput

    static func load() throws -> Reference {
        let file = try SafeTensorsFile(url: fixture("reference.safetensors"))
        let ids = try file.int64s("input_ids"), lengths = try file.int64s("lengths")
        let shape = try file.shape(of: "input_ids")
        let batch = try PaddedBatch(batchSize: shape[0], time: shape[1], lengths: lengths.map { Int($0) })
        return Reference(file: file, input: try BackboneInput(tokenIDs: ids.map { Int32($0) }, batch: batch))
    }

    /// Real positions only (see the fixture README on padding), relative to the reference's scale.
    func assertClose(_ actual: Variable, _ name: String, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let expected = try self.file.floats(name)
            let width = expected.shape.last ?? 1
            XCTAssertEqual(actual.shape, [input.batch.rowCount, width], "\(context) \(name)", file: file, line: line)
            let (a, e) = (actual.value.scalars, expected.toArray())
            var realA: [Float] = [], realE: [Float] = []
            for (b, length) in input.batch.lengths.enumerated() {
                let range = (b * input.batch.time * width)..<((b * input.batch.time + length) * width)
                realA += a[range]
                realE += e[range]
            }
            let error = relativeError(realA, realE)
            XCTAssertLessThan(error, GPT2ParityTests.tolerance, "\(context) \(name): max |Δ| / max |ref| = \(error)", file: file, line: line)
        } catch {
            XCTFail("\(context) \(name): \(error)", file: file, line: line)
        }
    }
}

/// max |a − b| / max |b| (the error relative to the tensor's scale); infinity if the counts differ.
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count, !a.isEmpty else { return .infinity }
    var maxDiff: Float = 0, scale: Float = 0
    for (x, y) in zip(a, b) {
        guard x.isFinite else { return .infinity }
        maxDiff = max(maxDiff, abs(x - y))
        scale = max(scale, abs(y))
    }
    return maxDiff / max(scale, .leastNormalMagnitude)
}
