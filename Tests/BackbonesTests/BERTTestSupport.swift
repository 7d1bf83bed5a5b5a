import Backbones
import Foundation
import TensorEngine
import Tokenizers
import XCTest
import TestRequirements

/// The tiny-bert fixture directory (written by scripts/make_bert_fixtures.py; see its README).
func tinyBERTDirectory() throws -> URL {
    guard let url = Bundle.module.url(forResource: "Fixtures/tiny-bert", withExtension: nil) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/tiny-bert (not in the test bundle)"])
    }
    return url
}

/// The shared mirror's all-MiniLM-L6-v2 directory, or a skip.
func miniLMDirectory() throws -> URL {
    let directory = try sharedMirror().appendingPathComponent("models/all-MiniLM-L6-v2")
    guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path) else {
        throw missingPrerequisite("the shared mirror has no models/all-MiniLM-L6-v2/model.safetensors")
    }
    return directory
}

/// A reference file of the fixture: its tensors and the padded batch they describe.
struct BERTReference {
    let file: SafeTensorsFile
    let input: BackboneInput

    init(_ name: String) throws {
        file = try SafeTensorsFile(url: try tinyBERTDirectory().appendingPathComponent(name))
        let ids = try file.int64s("input_ids").map(Int32.init)
        let shape = try file.shape(of: "input_ids")
        let lengths = try file.int64s("lengths").map(Int.init)
        let types = file.contains("token_type_ids") ? try file.int64s("token_type_ids").map(Int32.init) : nil
        input = try BackboneInput(tokenIDs: ids, batch: PaddedBatch(batchSize: shape[0], time: shape[1], lengths: lengths),
                                  tokenTypeIDs: types)
    }

    var batch: PaddedBatch { input.batch }

    func floats(_ name: String) throws -> [Float] { try file.floats(name).toArray() }

    /// The texts the ids were made from (metadata `texts`, a JSON list of strings or [text, pair] lists).
    var texts: [Any] {
        get throws {
            let json = try XCTUnwrap(file.metadata["texts"])
            return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any])
        }
    }
}

/// Largest |a − b| over the real (unpadded) rows of two [batch · time, width] arrays.
func maxAbsDifferenceOverRealRows(_ a: [Float], _ b: [Float], batch: PaddedBatch, width: Int) -> Float {
    var worst: Float = 0
    for s in 0..<batch.batchSize {
        for t in 0..<batch.lengths[s] {
            let row = (s * batch.time + t) * width
            for c in 0..<width { worst = max(worst, abs(a[row + c] - b[row + c])) }
        }
    }
    return worst
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

func maxAbs(_ a: [Float]) -> Float { a.reduce(0) { max($0, abs($1)) } }

/// Stands in for the WordPiece tokenizer where only the vocabulary size and pad id matter.
struct IDOnlyTokenizer: Tokenizer {
    let vocabularySize: Int
    var padTokenID: Int { 0 }
    func encode(_ text: String) -> [Int] { [] }
    func decode(_ ids: [Int]) -> String { "" }
    func encodeForModel(_ text: String, maxLength: Int) -> (ids: [Int], truncated: Bool) { ([], false) }
    func token(for id: Int) -> String? { nil }
}

/// L = Σ over real rows of last_hidden_state · R (the fixture's R), and every parameter's gradient.
func bertLossAndGradients(_ model: BERTModel, _ reference: BERTReference) throws -> (Float, [String: [Float]]) {
    for (_, parameter) in model.namedParameters { parameter.grad = nil }
    let batch = reference.batch
    var r = try reference.floats("R")
    for b in 0..<batch.batchSize {
        for t in batch.lengths[b]..<batch.time { for c in 0..<32 { r[(b * batch.time + t) * 32 + c] = 0 } }
    }
    let tape = Tape()
    let hidden = try model.forward(reference.input, tape: tape)
    let loss = zip(hidden.value.scalars, r).reduce(Float(0)) { $0 + $1.0 * $1.1 }
    tape.backward(from: hidden, gradient: try Tensor(shape: hidden.shape, values: r))
    var grads: [String: [Float]] = [:]
    for (name, parameter) in model.namedParameters { if let grad = parameter.grad { grads[name] = grad.scalars } }
    return (loss, grads)
}
