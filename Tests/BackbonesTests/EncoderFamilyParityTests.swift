import Backbones
import Foundation
import TensorEngine
import Tokenizers
import XCTest

/// RoBERTa and DistilBERT, the BERT maths under other layouts, against transformers'
/// `RobertaModel` / `DistilBertModel` in float64 (Fixtures/tiny-roberta, tiny-distilbert, written
/// by scripts/make_roberta_distilbert_fixtures.py): hidden states after every stage, the
/// gradient of L = Σ over real rows of last_hidden_state · R for every parameter, on a padded
/// batch of mixed lengths tokenized by the Hugging Face fast tokenizer.
///
/// Tolerance of the hidden states, 1e-4 absolute: the references are float64 and the model
/// float32. Each value passes through 2 layers of a few float32 matrix products of length ≤ 32
/// (relative rounding ≲ 32 · 6e-8 ≈ 2e-6 each), softmax and 3 LayerNorms per layer, whose
/// 1/σ amplifies absolute error by 1/σ of their input (σ ≳ 0.1 with these weights). Per stage
/// that is ≲ 2e-5 on outputs of magnitude ≲ 5, so 1e-4 holds on any BLAS kernel while a wrong
/// position id, a missing dropout-free term, a swapped weight or a dropped bias (the fixture's
/// biases are ~0.05, its weights ~0.1) shows as errors of 1e-2 and more. transformers' own float32
/// model differs from the float64 reference by 5e-7 (printed by the script).
final class EncoderFamilyParityTests: XCTestCase {
    struct Family {
        let directory: String
        let layout: BERTLayout
        let hidden: Int
        let parameterCount: Int
    }

    static let roberta = Family(directory: "tiny-roberta", layout: .roberta, hidden: 16, parameterCount: 37)
    static let distilBERT = Family(directory: "tiny-distilbert", layout: .distilBERT, hidden: 16, parameterCount: 36)

    private func model(_ family: Family) throws -> (BERTModel, EncoderReference) {
        let directory = try fixtureDirectory(family.directory)
        let model = try BERTModel.load(directory: directory, dropout: 0)  // the references are eval mode
        return (model, try EncoderReference(directory.appendingPathComponent("reference.safetensors")))
    }

    private func checkHiddenStates(_ family: Family) throws {
        let (model, reference) = try model(family)
        XCTAssertEqual(model.config.layout, family.layout)
        let batch = reference.batch
        var hidden = try model.embed(reference.input, tape: nil)
        XCTAssertLessThan(maxAbsDifferenceOverRealRows(hidden.value.scalars, try reference.floats("embeddings"), batch: batch, width: family.hidden),
                          1e-4, "embeddings")
        for index in 0..<model.blockCount {
            hidden = try model.block(index, hidden, batch: batch, tape: nil)
            let diff = maxAbsDifferenceOverRealRows(hidden.value.scalars, try reference.floats("layer_output.\(index)"), batch: batch, width: family.hidden)
            XCTAssertLessThan(diff, 1e-4, "layer \(index)")
        }
        let last = try model.forward(reference.input, tape: nil)
        let diff = maxAbsDifferenceOverRealRows(last.value.scalars, try reference.floats("last_hidden_state"), batch: batch, width: family.hidden)
        XCTAssertLessThan(diff, 1e-4, "last_hidden_state")
        XCTAssertGreaterThan(maxAbs(try reference.floats("last_hidden_state")), 0.5, "a reference of zeros would prove nothing")
    }

    func testRoBERTaHiddenStatesMatchTransformers() throws { try checkHiddenStates(Self.roberta) }
    func testDistilBERTHiddenStatesMatchTransformers() throws { try checkHiddenStates(Self.distilBERT) }

    /// Every parameter's gradient, relative to the tensor's largest (rows no id reads are exact
    /// zeros): float32 backward through the same few products, so 2e-4 as for tiny BERT.
    private func checkGradients(_ family: Family) throws {
        let (model, reference) = try model(family)
        let batch = reference.batch
        var r = try reference.floats("R")
        for b in 0..<batch.batchSize {
            for t in batch.lengths[b]..<batch.time { for c in 0..<family.hidden { r[(b * batch.time + t) * family.hidden + c] = 0 } }
        }
        let tape = Tape()
        let hidden = try model.forward(reference.input, tape: tape)
        let loss = zip(hidden.value.scalars, r).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        XCTAssertEqual(loss, try reference.floats("loss")[0], accuracy: 1e-3)
        tape.backward(from: hidden, gradient: try Tensor(shape: hidden.shape, values: r))
        XCTAssertEqual(model.namedParameters.count, family.parameterCount)
        for (name, parameter) in model.namedParameters {
            let expected = try reference.floats("grad." + name)
            let grad = try XCTUnwrap(parameter.grad, "no gradient for \(name)").scalars
            let scale = max(maxAbs(expected), 1e-3)
            XCTAssertLessThan(maxAbsDifference(grad, expected) / scale, 2e-4, "\(name) (max |grad| \(scale))")
        }
    }

    func testRoBERTaGradientsMatchPyTorch() throws { try checkGradients(Self.roberta) }
    func testDistilBERTGradientsMatchPyTorch() throws { try checkGradients(Self.distilBERT) }

    /// RoBERTa numbers real tokens from pad_token_id + 1 and gives padding pad_token_id, wherever
    /// a pad id stands; so a text's hidden states do not depend on the padding after it, and the
    /// usable length is the table's minus pad_token_id + 1.
    func testRoBERTaPositions() throws {
        let (model, reference) = try model(Self.roberta)
        XCTAssertEqual(model.config.padTokenID, 1)
        XCTAssertEqual(model.maxSequenceLength, 66 - 2)
        let input = try BackboneInput(tokenIDs: [0, 7, 1, 9, 2, 1, 1], batch: PaddedBatch(batchSize: 1, time: 7, lengths: [5]))
        XCTAssertEqual(BERTEmbeddings.positionIDs(input, config: model.config), [2, 3, 1, 4, 5, 1, 1])
        // Row 2 ("Hi") alone, unpadded, gives the hidden states it has in the padded batch.
        let batch = reference.batch
        let ids = Array(reference.input.tokenIDs[(2 * batch.time)..<(2 * batch.time + batch.lengths[2])])
        let alone = try model.forward(BackboneInput(sequences: [ids.map(Int.init)], padID: 1), tape: nil).value.scalars
        let padded = try model.forward(reference.input, tape: nil).value.scalars
        XCTAssertEqual(maxAbsDifference(alone, Array(padded[(2 * batch.time * 16)..<((2 * batch.time + ids.count) * 16)])), 0, accuracy: 1e-5)
        let tooLong = try BackboneInput(sequences: [Array(repeating: 5, count: 65)], padID: 1)
        XCTAssertThrowsError(try model.embed(tooLong, tape: nil)) { XCTAssertTrue("\($0)".contains("64 positions"), "\($0)") }
    }

    /// DistilBERT has no token types and no dropout after the attention's output projection:
    /// with only that rate's hidden dropout on, its training forward draws masks only at the
    /// embeddings and the FFN output (3 masks for 2 layers, not BERT's 5).
    func testDistilBERTLayout() throws {
        let (model, _) = try model(Self.distilBERT)
        XCTAssertNil(model.embeddings.tokenTypeEmbeddings)
        XCTAssertEqual(model.units.map(\.parameters.count), [4, 16, 16])
        XCTAssertEqual(model.namedParameters.first?.name, "embeddings.word_embeddings.weight")
        XCTAssertTrue(model.namedParameters.contains { $0.name == "transformer.layer.1.attention.q_lin.weight" })
        try model.setDropout(DropoutRates(hidden: 0.1, attention: 0))
        model.dropoutGenerator = DropoutGenerator(seed: 3)
        _ = try model.forward(BackboneInput(sequences: [[2, 10, 3]], padID: 0), tape: Tape())
        XCTAssertEqual(model.dropoutGenerator.calls, 3)
        let bert = try BERTModel.load(directory: tinyBERTDirectory(), dropout: 0.1)
        try bert.setDropout(DropoutRates(hidden: 0.1, attention: 0))
        _ = try bert.forward(BackboneInput(sequences: [[2, 10, 3]], padID: 0), tape: Tape())
        XCTAssertEqual(bert.dropoutGenerator.calls, 5, "BERT: embeddings, then attention output and FFN output per layer")
    }

    /// The families' config keys and refusals, with messages naming the key as the file spells it.
    func testConfigKeysAndRefusals() throws {
        let directory = try makeScratchDirectory()
        func load(_ json: String) throws -> BERTConfig {
            let url = directory.appendingPathComponent("config.json")
            try Data(json.utf8).write(to: url)
            return try BERTConfig.load(from: url)
        }
        let distil = try load(#"{"model_type": "distilbert", "vocab_size": 50, "dim": 8, "hidden_dim": 12, "n_layers": 3, "n_heads": 2, "dropout": 0.2, "attention_dropout": 0.3, "activation": "gelu"}"#)
        XCTAssertEqual(distil, BERTConfig(vocabSize: 50, hiddenSize: 8, numHiddenLayers: 3, numAttentionHeads: 2, intermediateSize: 12,
                                          hiddenDropoutProb: 0.2, attentionProbsDropoutProb: 0.3, layout: .distilBERT))
        XCTAssertEqual(distil.layout.modelType, "distilbert")
        let roberta = try load(#"{"model_type": "roberta", "vocab_size": 50, "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1, "num_attention_heads": 2, "max_position_embeddings": 20, "type_vocab_size": 1}"#)
        XCTAssertEqual(roberta.padTokenID, 1, "RoBERTa's default pad_token_id")
        XCTAssertEqual(roberta.maxSequenceLength, 18)
        for (json, message) in [
            (#"{"model_type": "distilbert", "vocab_size": 50, "hidden_dim": 12, "n_layers": 3, "n_heads": 2}"#, "has no dim"),
            (#"{"model_type": "distilbert", "vocab_size": 50, "dim": 9, "hidden_dim": 12, "n_layers": 3, "n_heads": 2}"#, "dim 9 is not a multiple of n_heads 2"),
            (#"{"model_type": "distilbert", "vocab_size": 50, "dim": 8, "hidden_dim": 12, "n_layers": 3, "n_heads": 2, "dropout": 1}"#, "dropout is 1.0"),
            (#"{"model_type": "distilbert", "vocab_size": 50, "dim": 8, "hidden_dim": 12, "n_layers": 3, "n_heads": 2, "activation": "relu"}"#, "activation is \"relu\""),
            (#"{"model_type": "distilbert", "vocab_size": 50, "dim": 8, "hidden_dim": 12, "n_layers": 3, "n_heads": 2, "sinusoidal_pos_embds": true}"#, "sinusoidal_pos_embds is true"),
            (#"{"model_type": "distilbert", "vocab_size": 50, "dim": "8", "hidden_dim": 12, "n_layers": 3, "n_heads": 2}"#, "dim has the wrong type"),
            (#"{"model_type": "roberta", "vocab_size": 50, "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1, "num_attention_heads": 2, "position_embedding_type": "relative_key"}"#, "position_embedding_type"),
            (#"{"model_type": "roberta", "vocab_size": 50, "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1, "num_attention_heads": 2, "max_position_embeddings": 2}"#, "leaves no position"),
            (#"{"model_type": "electra", "vocab_size": 50}"#, "\"bert\", \"roberta\", \"distilbert\""),
        ] {
            XCTAssertThrowsError(try load(json)) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error)")
                XCTAssertTrue("\(error)".contains("config.json"), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
    }

    /// A task model's checkpoint (`roberta.` / `distilbert.` prefix, as
    /// `RobertaForSequenceClassification` saves it) loads to the same model.
    func testTaskModelPrefix() throws {
        for family in [Self.roberta, Self.distilBERT] {
            let source = try fixtureDirectory(family.directory)
            let directory = try makeScratchDirectory()
            for file in try FileManager.default.contentsOfDirectory(atPath: source.path) where file != "model.safetensors" {
                try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: directory.appendingPathComponent(file))
            }
            let plain = try BERTModel.load(directory: source, dropout: 0)
            let archive = try SafeTensorsFile(url: source.appendingPathComponent("model.safetensors"))
            var writer = SafeTensorsWriter(metadata: ["format": "pt"])
            for name in archive.names { try writer.add(try archive.floats(name), as: family.layout.taskModelPrefix + name) }
            try writer.add("classifier.weight", shape: [2, family.hidden], values: Array(repeating: 0.5, count: 2 * family.hidden))
            try writer.write(to: directory.appendingPathComponent("model.safetensors"))
            let prefixed = try BERTModel.load(directory: directory, dropout: 0)
            let input = try BackboneInput(sequences: [[0, 5, 6, 2]], padID: plain.tokenizer.padTokenID)
            XCTAssertEqual(try prefixed.forward(input, tape: nil).value.scalars, try plain.forward(input, tape: nil).value.scalars, family.directory)
        }
    }

    /// Random weights for every layout: the padding rows zero where transformers zeroes them.
    func testRandomInitialisation() throws {
        for family in [Self.roberta, Self.distilBERT] {
            let loaded = try BERTModel.load(directory: try fixtureDirectory(family.directory))
            let model = try BERTModel.randomlyInitialized(config: loaded.config, seed: 5, tokenizer: loaded.tokenizer)
            XCTAssertEqual(model.namedParameters.map(\.name), loaded.namedParameters.map(\.name))
            let h = family.hidden, pad = loaded.config.padTokenID
            XCTAssertEqual(Array(model.embeddings.wordEmbeddings.weight.value.scalars[(pad * h)..<((pad + 1) * h)]), [Float](repeating: 0, count: h))
            let positionPad = Array(model.embeddings.positionEmbeddings.weight.value.scalars[(pad * h)..<((pad + 1) * h)])
            XCTAssertEqual(positionPad.allSatisfy { $0 == 0 }, family.layout.positions == .afterPadding, family.directory)
        }
    }
}

/// A temporary directory, removed after the test.
extension XCTestCase {
    func makeScratchDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-encoder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}

/// A fixture directory of this test bundle.
func fixtureDirectory(_ name: String) throws -> URL {
    guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/\(name) (not in the test bundle)"])
    }
    return url
}

/// A reference.safetensors of an encoder fixture and the padded batch it describes.
struct EncoderReference {
    let file: SafeTensorsFile
    let input: BackboneInput

    init(_ url: URL) throws {
        file = try SafeTensorsFile(url: url)
        let shape = try file.shape(of: "input_ids")
        input = try BackboneInput(tokenIDs: try file.int64s("input_ids").map(Int32.init),
                                  batch: PaddedBatch(batchSize: shape[0], time: shape[1], lengths: try file.int64s("lengths").map(Int.init)))
    }

    var batch: PaddedBatch { input.batch }
    func floats(_ name: String) throws -> [Float] { try file.floats(name).toArray() }
}
