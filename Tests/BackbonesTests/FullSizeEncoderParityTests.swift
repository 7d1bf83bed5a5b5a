import Backbones
import Foundation
import TensorEngine
import Tokenizers
import XCTest

/// The full-size check, driven by scripts/check_roberta_distilbert_parity_full.py: models of
/// distilroberta-base's and distilbert-base-uncased's shapes (random weights), with the fast
/// tokenizers' ids and transformers' float64 hidden states, in TEXTCLF_FULL_ENCODER_DIR. Without
/// the variable the test is skipped.
///
/// Tolerance: max |textclf − reference| / max |reference| ≤ 1e-4 at real positions, as for GPT-2
/// (scripts/check_gpt2_parity_full.py): float32 products of length 768 and 3072 have relative
/// rounding of order √3072 · 6e-8 ≈ 3e-6 per stage, over 6 layers.
final class FullSizeEncoderParityTests: XCTestCase {
    func testFullSizeModelsMatchTransformers() throws {
        guard let root = ProcessInfo.processInfo.environment["TEXTCLF_FULL_ENCODER_DIR"] else {
            throw XCTSkip("set TEXTCLF_FULL_ENCODER_DIR (scripts/check_roberta_distilbert_parity_full.py does)")
        }
        for name in ["distilroberta-base-shape", "distilbert-base-uncased-shape"] {
            let directory = URL(fileURLWithPath: root).appendingPathComponent(name)
            let model = try BERTModel.load(directory: directory, dropout: 0)
            let expected = try SafeTensorsFile(url: directory.appendingPathComponent("expected.safetensors"))
            let texts = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(XCTUnwrap(expected.metadata["texts"]).utf8)) as? [String])
            let input = try model.input(for: texts)
            XCTAssertEqual(input.tokenIDs.map(Int64.init), try expected.int64s("input_ids"), "\(name): ids of the batch")
            let (batch, width) = (input.batch, model.hiddenSize)
            var stages: [(String, [Float])] = []
            var hidden = try model.embed(input, tape: nil)
            stages.append(("embeddings", hidden.value.scalars))
            for index in 0..<model.blockCount {
                hidden = try model.block(index, hidden, batch: batch, tape: nil)
                stages.append(("layer_output.\(index)", hidden.value.scalars))
            }
            stages.append(("last_hidden_state", try model.forward(input, tape: nil).value.scalars))
            for (stage, ours) in stages {
                let reference = try expected.floats(stage).toArray()
                var realReference: [Float] = []
                for b in 0..<batch.batchSize { realReference += reference[(b * batch.time * width)..<((b * batch.time + batch.lengths[b]) * width)] }
                let relative = maxAbsDifferenceOverRealRows(ours, reference, batch: batch, width: width) / maxAbs(realReference)
                print("\(name) \(stage): relative error \(relative)")
                XCTAssertLessThanOrEqual(relative, 1e-4, "\(name) \(stage)")
            }
            // The corpus: every text's ids equal the fast tokenizer's.
            let corpus = try String(contentsOf: directory.appendingPathComponent("corpus.jsonl"), encoding: .utf8)
            var checked = 0, mismatched = 0
            for line in corpus.split(separator: "\n") {
                let row = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let text = try XCTUnwrap(row["text"] as? String)
                if model.tokenizer.encodeForModel(text, maxLength: 512).ids != (row["ids"] as? [Int]) {
                    mismatched += 1
                    if mismatched <= 5 { XCTFail("\(name): ids differ for \(text.debugDescription)") }
                }
                checked += 1
            }
            print("\(name) tokenizer: \(checked) corpus texts, \(mismatched) differ")
            XCTAssertEqual(mismatched, 0)
        }
    }
}
