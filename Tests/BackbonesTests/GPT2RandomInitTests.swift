import Backbones
import Foundation
import TensorEngine
import Tokenizers
import XCTest

/// `GPT2Model.randomlyInitialized`: Hugging Face's initialisation, reproducible from the seed.
final class GPT2RandomInitTests: XCTestCase {
    private let config = GPT2Config(vocabSize: 300, contextLength: 64, embeddingSize: 64, layerCount: 4, headCount: 4)

    private func model(seed: UInt64) throws -> GPT2Model {
        try GPT2Model.randomlyInitialized(config: config, seed: seed, tokenizer: GPT2Tokenizer.load(directory: fixture("hf")))
    }

    func testInitialisationFollowsHuggingFace() throws {
        let model = try model(seed: 1)
        XCTAssertEqual(model.namedParameters.map(\.name), GPT2WeightNames.parameterNames(layerCount: 4))
        XCTAssertEqual(model.parameterCount, 300 * 64 + 64 * 64 + 4 * (12 * 64 * 64 + 13 * 64) + 2 * 64)
        for (name, parameter) in model.namedParameters {
            let values = parameter.value.scalars
            XCTAssertEqual(parameter.shape.reduce(1, *), values.count, name)
            if name.hasSuffix(".bias") {
                XCTAssertTrue(values.allSatisfy { $0 == 0 }, name)
            } else if name.contains("ln_") {
                XCTAssertTrue(values.allSatisfy { $0 == 1 }, name)
            } else {
                let expectedStd = name.hasSuffix("c_proj.weight") ? 0.02 / (2.0 * 4).squareRoot() : 0.02
                let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
                let std = (values.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(values.count) - mean * mean).squareRoot()
                // 4096+ samples: the sample std is within a few percent, the mean within a few std/√n.
                XCTAssertEqual(std, expectedStd, accuracy: 0.05 * expectedStd, name)
                XCTAssertEqual(mean, 0, accuracy: 5 * expectedStd / Double(values.count).squareRoot(), name)
            }
        }
    }

    func testSameSeedSameWeightsOtherSeedOtherWeights() throws {
        let a = try model(seed: 42), b = try model(seed: 42), c = try model(seed: 43)
        for ((name, x), ((_, y), (_, z))) in zip(a.namedParameters, zip(b.namedParameters, c.namedParameters)) {
            XCTAssertEqual(x.value.scalars, y.value.scalars, name)
            if !(name.hasSuffix(".bias") || name.contains("ln_")) { XCTAssertNotEqual(x.value.scalars, z.value.scalars, name) }
        }
        // Different tensors are not copies of one stream.
        XCTAssertNotEqual(Array(a.wte.weight.value.scalars.prefix(64)), Array(a.wpe.weight.value.scalars.prefix(64)))
    }

    /// A random model is a working backbone: forward, backward and generation run.
    func testRandomModelRunsForwardBackwardAndGeneration() throws {
        let model = try model(seed: 5)
        let input = try BackboneInput(sequences: [[1, 2, 3, 4], [5, 6]], padID: 299)
        let tape = Tape()
        let hidden = try model.forward(input, tape: tape)
        XCTAssertEqual(hidden.shape, [8, 64])
        tape.backward(from: hidden, gradient: Tensor(shape: hidden.shape, repeating: 1))
        XCTAssertNotNil(model.h[3].mlp.cFc.weight.grad)
        let generation = try model.generate(promptIDs: [1, 2, 3], options: .init(maxNewTokens: 5, stopAtEndOfText: false))
        XCTAssertEqual(generation.newIDs.count, 5)
    }

    func testDropoutIsSeededAndOnlyWhileTraining() throws {
        let model = try model(seed: 5)
        try model.setDropout(DropoutRates(0.1))
        let input = try BackboneInput(sequences: [[1, 2, 3, 4, 5, 6, 7, 8]], padID: 299)
        let plain = try model.forward(input, tape: nil).value.scalars
        XCTAssertEqual(plain, try model.forward(input, tape: nil).value.scalars, "no dropout without a tape")
        model.dropoutGenerator = DropoutGenerator(seed: 9)
        let first = try model.forward(input, tape: Tape()).value.scalars
        model.dropoutGenerator = DropoutGenerator(seed: 9)
        XCTAssertEqual(first, try model.forward(input, tape: Tape()).value.scalars, "same seed, same masks")
        XCTAssertNotEqual(first, plain)
        XCTAssertEqual(model.config.attentionDropout, 0.1, "one rate sets all three")
        // attn_pdrop alone changes the training forward too.
        try model.setDropout(DropoutRates(embedding: 0, residual: 0, attention: 0.1))
        model.dropoutGenerator = DropoutGenerator(seed: 9)
        XCTAssertNotEqual(try model.forward(input, tape: Tape()).value.scalars, plain)
        try model.setDropout(DropoutRates(embedding: 0, residual: 0, attention: 0))
        XCTAssertEqual(try model.forward(input, tape: Tape()).value.scalars, plain)
        XCTAssertThrowsError(try model.setDropout(DropoutRates(embedding: 1, residual: 0, attention: 0)))
        XCTAssertThrowsError(try model.setDropout(DropoutRates(embedding: 0, residual: 0, attention: 1))) {
            XCTAssertTrue("\($0)".contains("attn_pdrop is 1.0"), "\($0)")
        }
    }
}
