import Backbones
import Foundation
import TensorEngine
import TestRequirements
import XCTest

/// `--precision bf16` against fp32 on real and fixture models: the outputs move by the bf16
/// rounding of the products' operands only. bf16 keeps 8 significant bits (unit roundoff
/// u = 2⁻⁹ ≈ 2e-3); each Linear rounds both operands, so its output moves by about 2u relative,
/// and LayerNorm after every sublayer keeps that from compounding across blocks: 2e-2 (the
/// issue's bound) leaves room for a few such layers adding up. The bf16 path runs on any CPU:
/// where bf16 is not native, oneDNN emulates it with the same rounding.
final class BF16FidelityTests: XCTestCase {
    private func requireOneDNN() throws {
        do { try OneDNN.ensureLoaded() } catch { throw missingPrerequisite("oneDNN not available: \(error)") }
    }

    /// The hidden states of `model` on `reference`'s padded batch, bf16 against fp32, over the real rows.
    private func checkHiddenStatesInBF16(_ model: BERTModel, _ reference: BERTReference,
                                         file: StaticString = #filePath, line: UInt = #line) throws {
        let fp32 = try model.forward(reference.input, tape: nil).value.scalars
        let bf16 = try Matmul.withPrecision(.bf16) { try model.forward(reference.input, tape: nil).value.scalars }
        let error = maxAbsDifferenceOverRealRows(bf16, fp32, batch: reference.batch, width: model.hiddenSize) / maxAbs(fp32)
        XCTAssertLessThan(error, 2e-2, "max |Δ| / max |fp32|", file: file, line: line)
        XCTAssertGreaterThan(error, 1e-5, "bf16 rounding shows: the products did run in bf16", file: file, line: line)
    }

    /// all-MiniLM-L6-v2 (shared mirror) on the four texts of minilm_reference.safetensors.
    func testMiniLMHiddenStatesInBF16StayWithin2e2OfFP32() throws {
        try requireOneDNN()
        try checkHiddenStatesInBF16(try BERTModel.load(directory: miniLMDirectory()), try BERTReference("minilm_reference.safetensors"))
    }

    /// The tiny BERT fixture (random weights, std 0.02) on its padded batch of three texts.
    func testTinyBERTHiddenStatesInBF16StayWithin2e2OfFP32() throws {
        try requireOneDNN()
        try checkHiddenStatesInBF16(try BERTModel.load(directory: tinyBERTDirectory()), try BERTReference("reference.safetensors"))
    }

    /// The tiny GPT-2 fixture's LM logits.
    func testGPT2LogitsInBF16StayWithin2e2OfFP32() throws {
        try requireOneDNN()
        let reference = try Reference.load()
        let model = try GPT2Model.load(directory: fixture("hf"))
        func logits() throws -> [Float] {
            try model.languageModelLogits(try model.forward(reference.input, tape: nil), tape: nil).value.scalars
        }
        let fp32 = try logits()
        let bf16 = try Matmul.withPrecision(.bf16) { try logits() }
        let error = relativeError(bf16, fp32)
        XCTAssertLessThan(error, 2e-2, "max |Δ| / max |fp32|")
        XCTAssertGreaterThan(error, 1e-6, "bf16 rounding shows: the products did run in bf16")
    }

    /// One training step's gradients on the tiny BERT fixture against torch.autocast("cpu",
    /// dtype=torch.bfloat16) (Fixtures/tiny-bert/bf16_step_reference.safetensors, written by
    /// scripts/make_bf16_fixtures.py) and against fp32. Tolerance 2e-2 of each tensor's largest
    /// gradient: a gradient here passes through about twelve products, each rounding two
    /// operands by up to u = 2⁻⁹; as independent errors those add to √24·u ≈ 1e-2, which is what
    /// autocast itself moves from fp32 (1.1e-2 at most, printed by the script). Two bf16
    /// computations (autocast also rounds each Linear's output to bf16, we keep it f32) then
    /// differ by at most the sum of their distances from fp32: 2e-2. The key biases are left out:
    /// their exact gradient is 0 (softmax ignores a shift of all scores), so only rounding noise
    /// remains, in both.
    func testTrainingStepGradientsMatchTorchAutocastBF16() throws {
        try requireOneDNN()
        let model = try BERTModel.load(directory: tinyBERTDirectory())
        try model.setDropout(DropoutRates(hidden: 0))  // both references are the model in eval mode
        let reference = try BERTReference("reference.safetensors")
        let autocast = try SafeTensorsFile(url: try tinyBERTDirectory().appendingPathComponent("bf16_step_reference.safetensors"))
        let (_, grads) = try Matmul.withPrecision(.bf16) { try bertLossAndGradients(model, reference) }
        var compared = 0, largestFromTorch: Float = 0, largestFromFP32: Float = 0
        for (name, _) in model.namedParameters where !name.hasSuffix("key.bias") {
            let ours = try XCTUnwrap(grads[name], name)
            let torch = try autocast.floats("bf16.grad." + name).toArray()
            let fp32 = try reference.floats("grad." + name)
            let fromTorch = maxAbsDifference(ours, torch) / maxAbs(torch)
            let fromFP32 = maxAbsDifference(ours, fp32) / maxAbs(fp32)
            XCTAssertLessThan(fromTorch, 2e-2, "\(name): ours (bf16) vs autocast bf16")
            XCTAssertLessThan(fromFP32, 2e-2, "\(name): ours (bf16) vs fp32")
            largestFromTorch = max(largestFromTorch, fromTorch)
            largestFromFP32 = max(largestFromFP32, fromFP32)
            compared += 1
        }
        XCTAssertEqual(compared, 35)
        XCTAssertGreaterThan(largestFromFP32, 1e-4, "bf16 rounding shows: the products did run in bf16")
    }
}
