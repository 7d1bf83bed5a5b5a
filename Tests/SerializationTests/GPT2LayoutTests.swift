import Backbones
import Foundation
import TensorEngine
import XCTest

/// The same GPT-2 weights read from the Hugging Face layout and from OpenAI's TF checkpoint
/// must be bit-for-bit identical after name mapping and squeezing the Conv1D weights' leading 1.
final class GPT2LayoutParityTests: XCTestCase {
    func testTinyFixtureLayoutsAreIdentical() throws {
        let hf = try SafeTensorsFile(url: Fixtures.huggingFace.appendingPathComponent("model.safetensors"))
        let openAI = try TFCheckpoint(url: Fixtures.openAI)
        try assertLayoutsMatch(hf: hf, openAI: openAI, layerCount: 2)
    }

    /// Full-size check, not for CI: set TEXTCLF_GPT2_CHECKPOINT to a directory written by
    /// `scripts/make_gpt2_random_checkpoint.py SIZE DIR` (it has hf/ and openai/ inside).
    func testFullSizeCheckpointLayoutsAreIdentical() throws {
        guard let path = ProcessInfo.processInfo.environment["TEXTCLF_GPT2_CHECKPOINT"], !path.isEmpty else {
            throw XCTSkip("TEXTCLF_GPT2_CHECKPOINT is not set")
        }
        let dir = URL(fileURLWithPath: path)
        let hparams = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("openai/hparams.json"))) as? [String: Int]
        let layerCount = try XCTUnwrap(hparams?["n_layer"])
        let hf = try TensorArchives.open(dir.appendingPathComponent("hf"))
        let openAI = try TensorArchives.open(dir.appendingPathComponent("openai"))
        try assertLayoutsMatch(hf: hf, openAI: openAI, layerCount: layerCount)
    }

    private func assertLayoutsMatch(hf: any TensorArchive, openAI: any TensorArchive, layerCount: Int,
                                    file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = Set(GPT2WeightNames.parameterNames(layerCount: layerCount))
        var hfByCanonical: [String: String] = [:]
        for name in hf.names {
            if let canonical = GPT2WeightNames.canonical(huggingFace: name) { hfByCanonical[canonical] = name }
        }
        XCTAssertEqual(Set(hfByCanonical.keys), expected, file: file, line: line)
        var seen = Set<String>()
        var floatCount = 0
        for name in openAI.names {
            let canonical = try XCTUnwrap(GPT2WeightNames.huggingFace(openAI: name), "unmapped OpenAI name \(name)", file: file, line: line)
            seen.insert(canonical)
            let hfName = try XCTUnwrap(hfByCanonical[canonical], file: file, line: line)
            let a = try openAI.floats(name)
            let b = try hf.floats(hfName)
            XCTAssertEqual(GPT2WeightNames.huggingFaceShape(openAI: name, shape: a.shape), b.shape, name, file: file, line: line)
            XCTAssertEqual(a.count, b.count, name, file: file, line: line)
            let same = withExtendedLifetime((a.owner, b.owner)) {
                a.count == b.count && (a.count == 0 || memcmp(a.floats.baseAddress!, b.floats.baseAddress!, 4 * a.count) == 0)
            }
            XCTAssertTrue(same, "\(name) differs from \(hfName)", file: file, line: line)
            floatCount += a.count
        }
        XCTAssertEqual(seen, expected, file: file, line: line)
        XCTAssertGreaterThan(floatCount, 0, file: file, line: line)
    }
}

final class GPT2WeightNamesTests: XCTestCase {
    func testEveryNameRoundTrips() {
        let names = GPT2WeightNames.parameterNames(layerCount: 12)
        XCTAssertEqual(names.count, 2 + 12 * 12 + 2)
        XCTAssertEqual(Set(names).count, names.count)
        for name in names {
            let tf = GPT2WeightNames.openAI(huggingFace: name)
            XCTAssertNotNil(tf, name)
            XCTAssertEqual(tf.flatMap { GPT2WeightNames.huggingFace(openAI: $0) }, name)
            XCTAssertEqual(GPT2WeightNames.openAI(huggingFace: "transformer." + name), tf)
        }
    }

    func testKnownPairs() {
        let pairs = [
            ("model/wte", "wte.weight"), ("model/wpe", "wpe.weight"),
            ("model/h0/ln_1/g", "h.0.ln_1.weight"), ("model/h0/ln_1/b", "h.0.ln_1.bias"),
            ("model/h11/attn/c_attn/w", "h.11.attn.c_attn.weight"), ("model/h3/attn/c_attn/b", "h.3.attn.c_attn.bias"),
            ("model/h3/attn/c_proj/w", "h.3.attn.c_proj.weight"), ("model/h47/mlp/c_fc/w", "h.47.mlp.c_fc.weight"),
            ("model/h2/mlp/c_proj/b", "h.2.mlp.c_proj.bias"), ("model/h2/ln_2/g", "h.2.ln_2.weight"),
            ("model/ln_f/g", "ln_f.weight"), ("model/ln_f/b", "ln_f.bias"),
        ]
        for (tf, hf) in pairs {
            XCTAssertEqual(GPT2WeightNames.huggingFace(openAI: tf), hf)
            XCTAssertEqual(GPT2WeightNames.openAI(huggingFace: hf), tf)
        }
    }

    func testRejectsWhatIsNotAGPT2Parameter() {
        for tf in ["model/h0/attn/c_attn/g", "model/h0/ln_1/w", "model/hx/ln_1/g", "model/h-1/ln_1/g", "model/h01/ln_1/g",
                   "model/h0/attn/c_fc/w", "model/ln_f/w", "model/wte/w", "wte", "model/", "global_step", "model/h0"] {
            XCTAssertNil(GPT2WeightNames.huggingFace(openAI: tf), tf)
        }
        for hf in ["h.0.ln_1.gamma", "h.0.attn.c_fc.weight", "h.x.ln_1.weight", "ln_f", "score.weight", "h.0.mlp.weight"] {
            XCTAssertNil(GPT2WeightNames.openAI(huggingFace: hf), hf)
        }
    }

    func testCanonicalStripsThePrefixAndSkipsBuffersAndTheTiedHead() {
        XCTAssertEqual(GPT2WeightNames.canonical(huggingFace: "transformer.h.0.attn.c_attn.weight"), "h.0.attn.c_attn.weight")
        XCTAssertEqual(GPT2WeightNames.canonical(huggingFace: "h.0.attn.c_attn.weight"), "h.0.attn.c_attn.weight")
        XCTAssertEqual(GPT2WeightNames.canonical(huggingFace: "transformer.wte.weight"), "wte.weight")
        XCTAssertNil(GPT2WeightNames.canonical(huggingFace: "lm_head.weight"))
        XCTAssertNil(GPT2WeightNames.canonical(huggingFace: "h.3.attn.bias"))
        XCTAssertNil(GPT2WeightNames.canonical(huggingFace: "transformer.h.3.attn.masked_bias"))
        XCTAssertEqual(GPT2WeightNames.canonical(huggingFace: "h.3.attn.c_attn.bias"), "h.3.attn.c_attn.bias")
    }

    func testConvWeightShapes() {
        XCTAssertEqual(GPT2WeightNames.huggingFaceShape(openAI: "model/h0/attn/c_attn/w", shape: [1, 768, 2304]), [768, 2304])
        XCTAssertEqual(GPT2WeightNames.huggingFaceShape(openAI: "model/h0/mlp/c_proj/w", shape: [1, 3072, 768]), [3072, 768])
        XCTAssertEqual(GPT2WeightNames.huggingFaceShape(openAI: "model/h0/attn/c_attn/b", shape: [2304]), [2304])
        XCTAssertEqual(GPT2WeightNames.huggingFaceShape(openAI: "model/wte", shape: [50257, 768]), [50257, 768])
        XCTAssertNil(GPT2WeightNames.huggingFaceShape(openAI: "model/h0/attn/c_attn/w", shape: [2, 768, 2304]))
        XCTAssertNil(GPT2WeightNames.huggingFaceShape(openAI: "model/h0/attn/c_attn/w", shape: [768, 2304]))
        XCTAssertNil(GPT2WeightNames.huggingFaceShape(openAI: "model/nothing", shape: [1]))
        XCTAssertTrue(GPT2WeightNames.isConv1DWeight(huggingFace: "h.0.mlp.c_fc.weight"))
        XCTAssertFalse(GPT2WeightNames.isConv1DWeight(huggingFace: "h.0.ln_1.weight"))
        XCTAssertFalse(GPT2WeightNames.isConv1DWeight(huggingFace: "h.0.mlp.c_fc.bias"))
    }

    func testShapesOfGPT2Small() {
        let shapes = Dictionary(uniqueKeysWithValues: GPT2WeightNames.parameterShapes(
            vocabSize: 50257, contextLength: 1024, embeddingSize: 768, layerCount: 12).map { ($0.name, $0.shape) })
        XCTAssertEqual(shapes["wte.weight"], [50257, 768])
        XCTAssertEqual(shapes["wpe.weight"], [1024, 768])
        XCTAssertEqual(shapes["h.5.attn.c_attn.weight"], [768, 2304])
        XCTAssertEqual(shapes["h.5.attn.c_proj.weight"], [768, 768])
        XCTAssertEqual(shapes["h.5.mlp.c_fc.bias"], [3072])
        XCTAssertEqual(shapes["h.5.mlp.c_proj.weight"], [3072, 768])
        XCTAssertEqual(shapes["ln_f.bias"], [768])
        // 124,439,808 parameters, the well-known size of GPT-2 small.
        XCTAssertEqual(shapes.values.reduce(0) { $0 + $1.reduce(1, *) }, 124_439_808)
    }
}
