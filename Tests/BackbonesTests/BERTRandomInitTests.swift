import Backbones
import Foundation
import TensorEngine
import Tokenizers
import XCTest

/// `BERTModel.randomlyInitialized`: transformers' init scheme (N(0, 0.02²) matrices and tables,
/// zero padding row and biases, unit LayerNorm gains), reproducible from the seed.
final class BERTRandomInitTests: XCTestCase {
    private let config = BERTConfig(vocabSize: 100, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4,
                                    intermediateSize: 64, maxPositionEmbeddings: 64)

    private func model(seed: UInt64) throws -> BERTModel {
        try BERTModel.randomlyInitialized(config: config, seed: seed, tokenizer: TokenizerLoader.load(directory: tinyBERTDirectory()))
    }

    func testInitialisationFollowsTransformers() throws {
        let model = try model(seed: 5)
        XCTAssertEqual(model.namedParameters.map(\.name), BERTWeightNames.parameterShapes(config).map(\.name))
        var matrixValues: [Float] = []
        for (name, parameter) in model.namedParameters {
            let values = parameter.value.scalars
            if name.hasSuffix(".bias") {
                XCTAssertTrue(values.allSatisfy { $0 == 0 }, name)
            } else if name.hasSuffix("LayerNorm.weight") {
                XCTAssertTrue(values.allSatisfy { $0 == 1 }, name)
            } else {
                if name == "embeddings.word_embeddings.weight" {
                    XCTAssertTrue(values[0..<32].allSatisfy { $0 == 0 }, "[PAD] row (pad_token_id 0) is zero")
                    matrixValues += values[32...]
                } else {
                    matrixValues += values
                }
            }
        }
        let n = Double(matrixValues.count)
        let mean = matrixValues.reduce(0.0) { $0 + Double($1) } / n
        let std = (matrixValues.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.001)
        XCTAssertEqual(std, 0.02, accuracy: 0.0005, "\(Int(n)) values")
    }

    func testSeedDecidesTheWeights() throws {
        let a = try model(seed: 1), b = try model(seed: 1), c = try model(seed: 2)
        let input = try BERTReference("reference.safetensors").input
        let out = try a.forward(input, tape: nil).value.scalars
        XCTAssertEqual(out, try b.forward(input, tape: nil).value.scalars)
        XCTAssertNotEqual(out, try c.forward(input, tape: nil).value.scalars)
        XCTAssertTrue(out.allSatisfy(\.isFinite))
    }

    func testDropoutWhenLoading() throws {
        XCTAssertEqual(try BERTModel.load(directory: tinyBERTDirectory()).dropout.residual, 0.1, "config.json's")
        let off = try BERTModel.load(directory: tinyBERTDirectory(), dropout: 0)
        XCTAssertEqual([off.dropout.residual, off.dropout.attention], [0, 0], "--dropout sets both")
        XCTAssertThrowsError(try BERTModel.load(directory: tinyBERTDirectory(), dropout: 1.5)) {
            XCTAssertTrue("\($0)".contains("hidden_dropout_prob is 1.5"), "\($0)")
        }
    }
}
