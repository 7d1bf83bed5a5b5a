import Backbones
import Foundation
import TensorEngine
import Tokenizers
import XCTest

/// Texts to model inputs: the model directory's own WordPiece tokenizer (loaded with the model)
/// gives the ids the references were made from, and `input(for:)` pads them as the references are.
final class BERTInputTests: XCTestCase {
    func testTinyModelLoadsItsTokenizer() throws {
        let model = try BERTModel.load(directory: tinyBERTDirectory())
        XCTAssertTrue(model.tokenizer is BertTokenizer)
        XCTAssertEqual(model.tokenizer.vocabularySize, 100)
        let reference = try BERTReference("reference.safetensors")
        // The single texts (the pair row needs pair encoding, which the Tokenizer protocol does not offer).
        let singles = try reference.texts.enumerated().compactMap { index, entry -> (Int, String)? in
            let pair = try XCTUnwrap(entry as? [Any])
            return pair[1] is NSNull ? (index, try XCTUnwrap(pair[0] as? String)) : nil
        }
        XCTAssertEqual(singles.map(\.0), [0, 2])
        let batch = reference.batch
        for (row, text) in singles {
            let expected = reference.input.tokenIDs[(row * batch.time)..<(row * batch.time + batch.lengths[row])].map(Int.init)
            XCTAssertEqual(model.tokenizer.encodeForModel(text, maxLength: 64).ids, expected, text)
        }
    }

    func testMiniLMInputsMatchTheReferenceBatch() throws {
        let model = try BERTModel.load(directory: miniLMDirectory())
        let reference = try BERTReference("minilm_reference.safetensors")
        let texts = try reference.texts.map { try XCTUnwrap($0 as? String) }
        let input = try model.input(for: texts)
        XCTAssertEqual(input.batch, reference.batch)
        XCTAssertEqual(input.tokenIDs, reference.input.tokenIDs)
        XCTAssertNil(input.tokenTypeIDs)
        let truncated = try model.input(for: texts, maxLength: 5)
        XCTAssertEqual(truncated.batch.lengths, [5, 5, 3, 5])
        XCTAssertEqual(Array(truncated.tokenIDs[0..<5]), Array(reference.input.tokenIDs[0..<4]) + [102], "[CLS] + 3 ids + [SEP]")
    }
}
