import Foundation
import TestRequirements
import XCTest

/// `textclf quantize`: the int8 file is what `--int8` computes on load (the same predictions,
/// bit for bit), Hugging Face's `safetensors` reads it as per-channel symmetric int8 of the run's
/// weights, and a stale or damaged file is refused in one line naming it.
final class QuantizeTests: XCTestCase {
    /// Reads RUN/model/model-int8.safetensors with `safetensors.numpy` against the run's fp32
    /// tensors (saved whole: `--trainable all`) and checks each layer; with a third path, also
    /// writes there a copy lacking the first scale tensor. Prints `ok LAYERS`.
    static let checkScript = """
    import sys, numpy as np
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file
    quantized_path, float_path, backbone_layout = sys.argv[1:4]
    q, w = load_file(quantized_path), load_file(float_path)
    with safe_open(quantized_path, "np") as f:
        metadata = f.metadata()
    assert metadata["format"] == "textclf-int8/1", metadata
    layers = sorted(n for n in q if not n.endswith("_scale"))
    for name in layers:
        values, scale, weight = q[name], q[name + "_scale"], w[name]
        assert values.dtype == np.int8 and values.shape == weight.shape, (name, values.dtype, values.shape)
        # Per output channel: rows of an nn.Linear weight [out, in], columns of a Conv1D one [in, out].
        out_axis = 0 if name.startswith("head.") or backbone_layout == "outIn" else 1
        s = scale[:, None] if out_axis == 0 else scale[None, :]
        assert np.all(np.abs(values.astype(np.float32) * s - weight) <= s / 2 * (1 + 1e-5)), name
        assert np.all(np.abs(values).max(axis=1 - out_axis) == 127), name
        assert np.allclose(scale, np.abs(weight).max(axis=1 - out_axis) / 127, rtol=1e-6), name
    if len(sys.argv) > 4:
        del q[layers[0] + "_scale"]
        save_file(q, sys.argv[4], metadata=metadata)
    print("ok", len(layers), layers[0])
    """

    func testQuantizedWeightsPredictAsQuantisingOnLoad() throws {
        let directory = try makeTemporaryDirectory(self, "quantize")
        for (family, backbone, layout) in [("bert", CLI.tinyBERT, "outIn"), ("gpt2", CLI.tinyGPT2, "inOut")] {
            let run = directory.appendingPathComponent(family)
            assertSucceeds(try CLI.run(Fixtures.finetune(output: run, backbone: backbone, ["--trainable", "all"])))
            let texts = ["free prize waiting, call now", "see you at six", "ok"]
            let onLoad = try CLI.run(["predict", "--model", run.path, "--int8", "--json"] + texts)
            if onLoad.stderr.contains("needs oneDNN") { throw missingPrerequisite("oneDNN (make setup installs libdnnl-dev): \(onLoad.stderr)") }
            assertSucceeds(onLoad)
            XCTAssertFalse(onLoad.stderr.contains("int8 weights from"), onLoad.summary)
            let fp32 = try CLI.run(["predict", "--model", run.path, "--json"] + texts)
            assertSucceeds(fp32)
            XCTAssertNotEqual(fp32.stdoutText, onLoad.stdoutText, "\(family): --int8 changed nothing")

            let quantized = try CLI.run(["quantize", run.path, "--json"])
            assertSucceeds(quantized)
            let summary = try XCTUnwrap(quantized.jsonLines.first, quantized.summary)
            let file = run.appendingPathComponent("model/model-int8.safetensors")
            XCTAssertEqual(summary["output"] as? String, file.path)
            let layers = try XCTUnwrap(summary["layers"] as? Int)
            XCTAssertGreaterThanOrEqual(layers, 7, "\(family): one block's six dense layers and the head at least")
            let bytes = try XCTUnwrap(summary["bytes"] as? Int), floatBytes = try XCTUnwrap(summary["float_bytes"] as? Int)
            XCTAssertLessThan(bytes, floatBytes / 3, "\(family): int8 weights take about a quarter of their f32 bytes")

            let saved = try CLI.run(["predict", "--model", run.path, "--int8", "--json"] + texts)
            assertSucceeds(saved)
            XCTAssertTrue(saved.stderr.contains("int8 weights from \(file.path)"), saved.summary)
            XCTAssertEqual(saved.stdoutText, onLoad.stdoutText, "\(family): the saved int8 weights predict as quantising on load")
            let again = try CLI.run(["predict", "--model", run.path, "--json"] + texts)
            XCTAssertEqual(again.stdoutText, fp32.stdoutText, "\(family): without --int8 the fp32 weights run")

            let damaged = directory.appendingPathComponent("\(family)-damaged.safetensors")
            let checked = try Running(executable: URL(fileURLWithPath: "/usr/bin/env"),
                                      ["python3", "-c", Self.checkScript, file.path, run.appendingPathComponent("model/model.safetensors").path,
                                       layout, damaged.path]).finish(timeout: 120)
            if checked.stderr.contains("ModuleNotFoundError") {
                throw missingPrerequisite("python3 with numpy and safetensors (make test installs them with pip): \(checked.stderr)")
            }
            XCTAssertEqual(checked.status, 0, checked.summary)
            let words = checked.stdoutText.split(separator: " ")
            XCTAssertEqual(words.first, "ok", checked.summary)
            XCTAssertEqual(words.count > 1 ? Int(words[1]) : nil, layers, checked.summary)

            // A scale missing: named, exit 2.
            let firstLayer = words.count > 2 ? String(words[2]).trimmingCharacters(in: .whitespacesAndNewlines) : ""
            let original = try Data(contentsOf: file)
            try FileManager.default.removeItem(at: file)
            try FileManager.default.copyItem(at: damaged, to: file)
            assertFails(try CLI.run(["predict", "--model", run.path, "--int8", texts[0]]), naming: [file.path, firstLayer + "_scale"])
            try original.write(to: file)
        }
    }

    /// Weights retrained after quantising: --int8 refuses the stale file instead of running it.
    func testStaleInt8WeightsAreRefused() throws {
        let directory = try makeTemporaryDirectory(self, "quantize-stale")
        let run = directory.appendingPathComponent("run"), other = directory.appendingPathComponent("other")
        assertSucceeds(try CLI.run(Fixtures.finetune(output: run, ["--trainable", "all"])))
        assertSucceeds(try CLI.run(Fixtures.finetune(output: other, ["--trainable", "all", "--seed", "7"])))
        let quantized = try CLI.run(["quantize", run.path])
        if quantized.stderr.contains("needs oneDNN") { throw missingPrerequisite("oneDNN (make setup installs libdnnl-dev): \(quantized.stderr)") }
        assertSucceeds(quantized)
        let weights = run.appendingPathComponent("model/model.safetensors")
        try FileManager.default.removeItem(at: weights)
        try FileManager.default.copyItem(at: other.appendingPathComponent("model/model.safetensors"), to: weights)
        assertFails(try CLI.run(["predict", "--model", run.path, "--int8", "ok"]),
                    naming: [run.appendingPathComponent("model/model-int8.safetensors").path, "textclf quantize"])
        assertSucceeds(try CLI.run(["predict", "--model", run.path, "ok"]))  // fp32 needs no int8 file
        assertFails(try CLI.run(["quantize", directory.appendingPathComponent("missing").path]), naming: ["missing"])
    }
}
