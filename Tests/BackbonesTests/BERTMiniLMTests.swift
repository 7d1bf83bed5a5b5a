import Backbones
import Foundation
import Store
import TensorEngine
import Tokenizers
import XCTest

/// The real all-MiniLM-L6-v2 weights from the shared mirror (skipped without it) against
/// transformers' `BertModel` (float64) and sentence-transformers' mean-pooled embeddings, on four
/// invented texts of 18, 10, 3 and 15 tokens padded to 18 (Fixtures/tiny-bert/minilm_reference.safetensors).
final class BERTMiniLMTests: XCTestCase {
    func testHiddenStatesAndSentenceEmbeddingsMatchTheReferences() throws {
        let model = try BERTModel.load(directory: miniLMDirectory())
        XCTAssertEqual(model.name, "all-MiniLM-L6-v2")
        XCTAssertEqual(model.config, BERTConfig(vocabSize: 30522, hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12,
                                                intermediateSize: 1536))
        XCTAssertTrue(model.namedParameters.allSatisfy { $0.parameter.value.isBorrowed }, "weights stay in the mapped file")
        let reference = try BERTReference("minilm_reference.safetensors")
        let batch = reference.batch
        XCTAssertEqual(batch.lengths, [18, 10, 3, 15])

        let hidden = try model.forward(reference.input, tape: nil)
        let expected = try reference.floats("last_hidden_state")
        XCTAssertLessThan(maxAbsDifferenceOverRealRows(hidden.value.scalars, expected, batch: batch, width: 384), 1e-4)

        let pooled = try Ops.meanPool(hidden, batch: batch, tape: nil).value.scalars
        let sentenceTransformers = try reference.floats("sentence_embeddings")
        for b in 0..<batch.batchSize {
            let ours = Array(pooled[(b * 384)..<((b + 1) * 384)]), theirs = Array(sentenceTransformers[(b * 384)..<((b + 1) * 384)])
            XCTAssertGreaterThan(cosine(ours, theirs), 0.9999, "text \(b)")
            XCTAssertLessThan(maxAbsDifference(ours, theirs), 1e-4, "text \(b), before normalisation")
        }
    }

    /// By name through the Store: the built-in manifest's entry, found in the mirror (checksums
    /// verified), gives the same model as the directory.
    func testPretrainedByNameThroughTheStore() throws {
        let directory = try miniLMDirectory()
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-bert-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: cache) }
        let store = try Store(configuration: StoreConfiguration(cacheDirectory: cache, mirrors: [try sharedMirror()], offline: true,
                                                                showProgress: false, log: { _ in }))
        let resolved = try store.resolveDirectory(.model("all-MiniLM-L6-v2"))
        XCTAssertEqual(resolved.standardizedFileURL.path, directory.standardizedFileURL.path)
        let model = try BERTModel.pretrained(store: store)
        XCTAssertEqual(model.name, "all-MiniLM-L6-v2")
        XCTAssertEqual(model.tokenizer.vocabularySize, 30522)
        XCTAssertEqual(model.tokenizer.encodeForModel("hello world", maxLength: 16).ids, [101, 7592, 2088, 102])
        XCTAssertEqual(model.blockCount, 6)
        XCTAssertEqual(model.parameterCount, 22_565_376, "22,713,216 less the pooler")
    }

    private func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) { dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y) }
        return dot / (na.squareRoot() * nb.squareRoot())
    }
}
