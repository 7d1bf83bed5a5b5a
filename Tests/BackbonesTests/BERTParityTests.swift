import Backbones
import Foundation
import TensorEngine
import XCTest

/// The tiny random BERT (Fixtures/tiny-bert: 2 layers, hidden 32, 4 heads, with perturbed biases
/// and LayerNorm gains) against transformers' `BertModel` in float64: hidden states after every
/// stage, and the gradient of L = Σ over real rows of last_hidden_state · R for every parameter.
/// The batch mixes lengths (12, 13, 3 tokens) and holds one sentence pair (token types 0 and 1).
final class BERTParityTests: XCTestCase {
    private func tinyModel() throws -> BERTModel {
        let model = try BERTModel.load(directory: tinyBERTDirectory())
        try model.setDropout(DropoutRates(hidden: 0))  // the reference is the model in eval mode
        return model
    }

    func testHiddenStatesMatchTransformers() throws {
        let model = try tinyModel()
        let reference = try BERTReference("reference.safetensors")
        let batch = reference.batch
        var hidden = try model.embed(reference.input, tape: nil)
        let embedDiff = maxAbsDifferenceOverRealRows(hidden.value.scalars, try reference.floats("embeddings"), batch: batch, width: 32)
        XCTAssertLessThan(embedDiff, 1e-5, "embeddings")
        for index in 0..<model.blockCount {
            hidden = try model.block(index, hidden, batch: batch, tape: nil)
            let diff = maxAbsDifferenceOverRealRows(hidden.value.scalars, try reference.floats("layer_output.\(index)"), batch: batch, width: 32)
            XCTAssertLessThan(diff, 1e-5, "layer \(index)")
        }
        let last = try model.forward(reference.input, tape: nil)
        XCTAssertEqual(last.shape, [batch.rowCount, 32])
        let diff = maxAbsDifferenceOverRealRows(last.value.scalars, try reference.floats("last_hidden_state"), batch: batch, width: 32)
        XCTAssertLessThan(diff, 1e-5, "last_hidden_state")
        XCTAssertEqual(last.value.scalars, hidden.value.scalars, "forward = embed + blocks (no final norm)")
    }

    /// The token types matter: the pair row changes when its segment ids are dropped.
    func testTokenTypesReachTheEmbeddings() throws {
        let model = try tinyModel()
        let reference = try BERTReference("reference.safetensors")
        var withoutTypes = reference.input
        withoutTypes.tokenTypeIDs = nil
        let expected = try reference.floats("embeddings")
        let typed = try model.embed(reference.input, tape: nil).value.scalars
        let untyped = try model.embed(withoutTypes, tape: nil).value.scalars
        XCTAssertLessThan(maxAbsDifferenceOverRealRows(typed, expected, batch: reference.batch, width: 32), 1e-5)
        XCTAssertGreaterThan(maxAbsDifferenceOverRealRows(untyped, expected, batch: reference.batch, width: 32), 1e-2)
    }

    /// Forward with a tape, backward from dL/dh = R on real rows (0 on padding): every
    /// parameter's gradient matches PyTorch's.
    func testGradientsOfEveryParameterMatchPyTorch() throws {
        let model = try tinyModel()
        let reference = try BERTReference("reference.safetensors")
        let (loss, grads) = try bertLossAndGradients(model, reference)
        XCTAssertEqual(loss, try reference.floats("loss")[0], accuracy: 1e-3)
        XCTAssertEqual(grads.count, 37)
        for (name, parameter) in model.namedParameters {
            let expected = try reference.floats("grad." + name)
            let grad = try XCTUnwrap(grads[name], "no gradient for \(name)")
            // Relative to the tensor's largest gradient: rows of an embedding table that no id
            // reads have exact zeros, which an elementwise relative test would not allow.
            let scale = max(maxAbs(expected), 1e-3)
            XCTAssertLessThan(maxAbsDifference(grad, expected) / scale, 2e-4, "\(name) (max |grad| \(scale))")
            XCTAssertEqual(parameter.shape, try reference.file.shape(of: "grad." + name))
        }
    }

    /// Freezing the embeddings unit (as the `last-N-blocks` policies do) leaves those tables
    /// without gradients and every block's gradient unchanged.
    func testFrozenEmbeddingsUnitGetsNoGradient() throws {
        let model = try tinyModel()
        let reference = try BERTReference("reference.safetensors")
        let units = model.units
        XCTAssertEqual(units.map(\.kind), [.embeddings, .block(0), .block(1)], "no final-norm unit")
        XCTAssertEqual(units.map(\.parameters.count), [5, 16, 16])
        XCTAssertEqual(units.flatMap(\.parameters).map(\.name), model.namedParameters.map(\.name))
        for parameter in units[0].parameters { parameter.setRequiresGrad(false) }
        let (_, grads) = try bertLossAndGradients(model, reference)
        for parameter in units[0].parameters { XCTAssertNil(grads[parameter.name], parameter.name) }
        for parameter in units[1].parameters + units[2].parameters {
            let expected = try reference.floats("grad." + parameter.name)
            XCTAssertLessThan(maxAbsDifference(try XCTUnwrap(grads[parameter.name]), expected) / max(maxAbs(expected), 1e-3), 2e-4)
        }
    }

    /// A prefix of blocks run once (as a frozen-prefix cache does) and the rest run later give
    /// the same hidden states as one forward.
    func testSplitForwardEqualsWholeForward() throws {
        let model = try tinyModel()
        let reference = try BERTReference("reference.safetensors")
        let whole = try model.forward(reference.input, tape: nil).value.scalars
        let prefix = try model.forward(reference.input, blocks: 0..<1, tape: nil)
        let rest = try model.run(blocks: 1..<2, on: prefix, batch: reference.batch, tape: nil)
        XCTAssertEqual(rest.value.scalars, whole)
    }

    /// Dropout acts only while a tape records and the rate is positive, and is then reproducible
    /// from the generator's seed.
    func testDropoutOnlyInTraining() throws {
        let model = try BERTModel.load(directory: tinyBERTDirectory())
        XCTAssertEqual(model.dropout.residual, 0.1, "from config.json")
        XCTAssertEqual(model.dropout.attention, 0.1, "from config.json")
        let input = try BERTReference("reference.safetensors").input
        let inference = try model.forward(input, tape: nil).value.scalars
        model.dropoutGenerator = DropoutGenerator(seed: 7)
        let trainingA = try model.forward(input, tape: Tape()).value.scalars
        model.dropoutGenerator = DropoutGenerator(seed: 7)
        let trainingB = try model.forward(input, tape: Tape()).value.scalars
        XCTAssertEqual(trainingA, trainingB)
        XCTAssertGreaterThan(maxAbsDifferenceOverRealRows(trainingA, inference, batch: input.batch, width: 32), 1e-2)
        // Each of the two dropouts alone changes the training forward.
        for (hidden, attention) in [(Float(0.1), Float(0)), (0, 0.1)] {
            try model.setDropout(DropoutRates(hidden: hidden, attention: attention))
            model.dropoutGenerator = DropoutGenerator(seed: 7)
            let training = try model.forward(input, tape: Tape()).value.scalars
            XCTAssertGreaterThan(maxAbsDifferenceOverRealRows(training, inference, batch: input.batch, width: 32), 1e-3,
                                 "hidden \(hidden), attention \(attention)")
        }
        try model.setDropout(DropoutRates(hidden: 0))
        XCTAssertEqual(model.dropout.attention, 0, "attention follows hidden by default")
        XCTAssertEqual(try model.forward(input, tape: Tape()).value.scalars, inference)
        XCTAssertThrowsError(try model.setDropout(DropoutRates(hidden: 1))) { XCTAssertTrue("\($0)".contains("hidden_dropout_prob is 1.0"), "\($0)") }
        XCTAssertEqual(model.dropout.residual, 0)
        XCTAssertThrowsError(try model.setDropout(DropoutRates(embedding: 0.1, residual: 0, attention: 0))) {
            XCTAssertTrue("\($0)".contains("one hidden_dropout_prob"), "\($0)")
        }
        XCTAssertEqual(model.dropout, DropoutRates(0), "a refused change leaves the rates as they were")
    }

    func testBackboneFacts() throws {
        let model = try tinyModel()
        XCTAssertEqual(model.name, "tiny-bert")
        XCTAssertEqual(model.hiddenSize, 32)
        XCTAssertEqual(model.blockCount, 2)
        XCTAssertEqual(model.maxSequenceLength, 64)
        XCTAssertFalse(model.isCausal)
        XCTAssertEqual(model.defaultPooling, .mean)
        XCTAssertEqual(model.parameterCount, 100 * 32 + 64 * 32 + 2 * 32 + 2 * 32 + 2 * (4 * (32 * 32 + 32) + 32 * 64 + 64 + 64 * 32 + 32 + 2 * (2 * 32)))
        let hidden = Variable(Tensor(zeros: [5, 32]))
        XCTAssertThrowsError(try model.block(2, hidden, batch: PaddedBatch(batchSize: 1, time: 5), tape: nil))
        XCTAssertThrowsError(try model.block(0, hidden, batch: PaddedBatch(batchSize: 1, time: 4), tape: nil))
        let tooLong = try BackboneInput(sequences: [Array(repeating: 5, count: 65)], padID: 0)
        XCTAssertThrowsError(try model.embed(tooLong, tape: nil)) { XCTAssertTrue("\($0)".contains("64 positions"), "\($0)") }
        let badType = try BackboneInput(tokenIDs: [2, 5, 3], batch: PaddedBatch(batchSize: 1, time: 3), tokenTypeIDs: [0, 2, 0])
        XCTAssertThrowsError(try model.embed(badType, tape: nil)) { XCTAssertTrue("\($0)".contains("token_type_embeddings"), "\($0)") }
    }
}
