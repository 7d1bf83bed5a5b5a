import Foundation
import XCTest

/// `--trainable lora` and `--causal-mask off` from the command line: every family trains LoRA
/// adapters, the model directory holds only them and the head, predictions survive the round
/// trip, `export --merge-lora` and ONNX export fold them into the weights (checked in ONNX Runtime
/// against the run's own logits, which keep the adapters); GPT-2 without its causal mask is
/// recorded and exported as such.
final class LoRACLITests: XCTestCase {
    func testLoRAForEveryFamilyMergesOnExport() throws {
        let directory = try makeTemporaryDirectory(self, "lora")
        var pairs: [String] = []
        // Dense layers per block: BERT's query, key, value, attention output, intermediate,
        // output; GPT-2's c_attn, attn.c_proj, c_fc, mlp.c_proj. Each tiny model has 2 blocks.
        for (family, backbone, layers) in [("bert", CLI.tinyBERT, 6), ("roberta", CLI.tinyRoBERTa, 6), ("distilbert", CLI.tinyDistilBERT, 6),
                                           ("gpt2", CLI.tinyGPT2, 4)] {
            let run = directory.appendingPathComponent(family)
            let trained = try CLI.run(Fixtures.finetune(output: run, backbone: backbone, epochs: 2,
                                                        ["--trainable", "lora:4:8", "--lora-targets", "attention,mlp", "--lr", "1e-2"]))
            assertSucceeds(trained)
            XCTAssertEqual(trained.events("prepared").first?["trainable"] as? String, "lora:4:8:attention,mlp", trained.stdoutText)
            let classifier = try String(contentsOf: run.appendingPathComponent("model/classifier.json"), encoding: .utf8)
            XCTAssertTrue(classifier.contains(#""trainable" : "lora:4:8:attention,mlp""#), classifier)
            // 2 blocks × layers × (A, B), and the head's weight and bias.
            XCTAssertTrue(classifier.contains(#""count" : \#(2 * layers * 2 + 2)"#), classifier)

            let onnx = directory.appendingPathComponent("\(family).onnx")
            let exported = try CLI.run(["export", run.path, "--format", "onnx", "--output", onnx.path, "--json"], timeout: 120)
            assertSucceeds(exported)
            XCTAssertEqual(exported.jsonLines.first?["merged_adapters"] as? Int, 2 * layers, exported.stdoutText)
            pairs.append("\(run.path)=\(onnx.path)")

            let merged = directory.appendingPathComponent("\(family)-merged")
            assertSucceeds(try CLI.run(["export", run.path, "--format", "safetensors", "--merge-lora", "--output", merged.path]))
            let mergedConfig = try String(contentsOf: merged.appendingPathComponent("classifier.json"), encoding: .utf8)
            XCTAssertTrue(mergedConfig.contains(#""trainable" : "all""#), mergedConfig)
            try assertSameProbabilities(run, merged)
        }
        try ExportTests.checkInONNXRuntime(pairs)
    }

    func testGPT2WithoutCausalMask() throws {
        let directory = try makeTemporaryDirectory(self, "causal")
        let run = directory.appendingPathComponent("run")
        assertSucceeds(try CLI.run(Fixtures.finetune(output: run, backbone: CLI.tinyGPT2, ["--causal-mask", "off", "--trainable", "all"])))
        let config = try String(contentsOf: run.appendingPathComponent("config.json"), encoding: .utf8)
        XCTAssertTrue(config.contains(#""causal_mask" : false"#), config)
        let classifier = try String(contentsOf: run.appendingPathComponent("model/classifier.json"), encoding: .utf8)
        XCTAssertTrue(classifier.contains(#""causal_mask" : false"#), classifier)
        let onnx = directory.appendingPathComponent("run.onnx")
        assertSucceeds(try CLI.run(["export", run.path, "--format", "onnx", "--output", onnx.path]))
        try ExportTests.checkInONNXRuntime(["\(run.path)=\(onnx.path)"])

        // BERT has no causal mask to turn on; the option is refused in one line.
        let refused = try CLI.run(Fixtures.finetune(output: directory.appendingPathComponent("bert"), ["--causal-mask", "on"]))
        assertFails(refused, naming: ["no causal mask"])
    }

    func testLoRAOptionsWithoutLoRAAreRefused() throws {
        let output = try makeTemporaryDirectory(self).appendingPathComponent("run")
        assertFails(try CLI.run(Fixtures.finetune(output: output, ["--lora-targets", "mlp"])), naming: ["--lora-targets", "--trainable lora"])
        assertFails(try CLI.run(Fixtures.finetune(output: output, ["--trainable", "lora:4", "--lora-targets", "ffn"])), naming: ["--lora-targets", "ffn"])
        assertFails(try CLI.run(Fixtures.finetune(output: output, ["--trainable", "lora:4", "--lora-blocks", "3"])), naming: ["last 3 blocks", "has 2"])
        assertFails(try CLI.run(Fixtures.finetune(output: output, ["--trainable", "lora", "--unfreeze", "gradual"])), naming: ["--unfreeze", "LoRA"])
    }

    /// predict --json of both models: the same labels, probabilities within float32 reassociation
    /// of the merge (1e-4; see LoRATests.testTrainedAdaptersGradientsAndMergeMatchPeft).
    private func assertSameProbabilities(_ a: URL, _ b: URL) throws {
        let texts = ["great good nice day", "awful sad grim thing", "", "WINNER! Claim your prize now"]
        let first = try CLI.run(["predict", "--model", a.path, "--json"] + texts)
        let second = try CLI.run(["predict", "--model", b.path, "--json"] + texts)
        assertSucceeds(first)
        assertSucceeds(second)
        XCTAssertEqual(first.jsonLines.count, texts.count)
        for (x, y) in zip(first.jsonLines, second.jsonLines) {
            XCTAssertEqual(x["label"] as? String, y["label"] as? String)
            let p = x["probabilities"] as? [String: Double] ?? [:], q = y["probabilities"] as? [String: Double] ?? [:]
            XCTAssertEqual(Set(p.keys), Set(q.keys))
            for (label, value) in p { XCTAssertEqual(value, q[label] ?? -1, accuracy: 1e-4, label) }
        }
    }
}
