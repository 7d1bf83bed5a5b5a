import Foundation
import XCTest

/// finetune, then predict and evaluate on the saved run, through the binary.
final class EndToEndTests: XCTestCase {
    private func trainAndUse(backbone: URL) throws {
        let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let trained = try CLI.run(Fixtures.finetune(output: run, backbone: backbone, epochs: 2))
        assertSucceeds(trained)
        XCTAssertEqual(trained.stderr, "", "finetune --json wrote to stderr")
        for file in ["config.json", "split.json", "metrics.jsonl", "report.json", "report.md", "curves.svg",
                     "model/classifier.json", "model/model.safetensors"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), "no \(file) in the run")
        }
        let steps = trained.events("step")
        XCTAssertEqual(steps.count, 2 * 9, "72 training texts in batches of 8, two epochs")
        XCTAssertEqual(steps.last?["step"] as? Int, steps.last?["total_steps"] as? Int)
        let result = try XCTUnwrap(trained.events("result").first, trained.stdoutText)
        XCTAssertEqual(result["run_directory"] as? String, run.path)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("report.json"))) as? [String: Any])
        let memory = try XCTUnwrap(report["memory"] as? [String: Double], "report.json has no memory: \(report.keys.sorted())")
        let rss = try XCTUnwrap(memory["peak_rss_mb"]), tensors = try XCTUnwrap(memory["peak_tensor_mb"])
        XCTAssertTrue(rss > 10 && tensors >= 0 && tensors < rss, "\(memory)")

        // evaluate on the run's own test split gives the figures of the run's final evaluation.
        let evaluated = try CLI.run(["evaluate", "--model", run.path, "--json"])
        assertSucceeds(evaluated)
        let test = try XCTUnwrap(evaluated.jsonLines.first)
        XCTAssertEqual(test["split"] as? String, "test")
        XCTAssertEqual(test["examples"] as? Int, 24)
        let final = try XCTUnwrap((trained.events("final").first?["splits"] as? [String: Any])?["test"] as? [String: Any])
        XCTAssertEqual(test["accuracy"] as? Double, final["accuracy"] as? Double)
        let all = try CLI.run(["evaluate", "--model", run.path, "--split", "all", "--json"])
        assertSucceeds(all)
        XCTAssertEqual(all.jsonLines.compactMap { $0["split"] as? String }, ["train", "validation", "test"])

        // predict: arguments, JSON lines on stdin; the same text gets the same answer alone or
        // batched (the label; the probabilities to float rounding, as the matrix sizes differ).
        let texts = ["great good nice day", "awful sad grim thing", "the"]
        let predicted = try CLI.run(["predict", "--model", run.path, "--json"] + texts)
        assertSucceeds(predicted)
        let labels = predicted.jsonLines.compactMap { $0["label"] as? String }
        XCTAssertEqual(labels.count, texts.count, predicted.stdoutText)
        XCTAssertTrue(Set(labels).isSubset(of: ["pos", "neg"]), "\(labels)")
        let alone = try CLI.run(["predict", "--model", run.path, "--json", texts[1]])
        XCTAssertEqual(alone.jsonLines.first?["label"] as? String, labels[1])
        let batched = try XCTUnwrap(predicted.jsonLines[1]["probabilities"] as? [String: Double])
        for (label, p) in try XCTUnwrap(alone.jsonLines.first?["probabilities"] as? [String: Double]) {
            XCTAssertEqual(p, try XCTUnwrap(batched[label]), accuracy: 1e-5, label)
        }
        let stdin = texts.map { #"{"id": "\#($0.count)", "text": "\#($0)"}"# }.joined(separator: "\n") + "\n"
        let piped = try CLI.run(["predict", "--model", run.path], stdin: Data(stdin.utf8))
        assertSucceeds(piped)
        XCTAssertEqual(piped.jsonLines.compactMap { $0["label"] as? String }, labels)
        XCTAssertEqual(piped.jsonLines.compactMap { $0["id"] as? String }, texts.map { "\($0.count)" })
        let plain = try CLI.run(["predict", "--model", run.path, texts[0]])
        assertSucceeds(plain)
        XCTAssertTrue(plain.stdoutText.hasPrefix("\(labels[0])\t"), plain.stdoutText)
    }

    func testTinyBERT() throws { try trainAndUse(backbone: CLI.tinyBERT) }

    func testTinyGPT2() throws { try trainAndUse(backbone: CLI.tinyGPT2) }

    func testTinyRoBERTa() throws { try trainAndUse(backbone: CLI.tinyRoBERTa) }

    func testTinyDistilBERT() throws { try trainAndUse(backbone: CLI.tinyDistilBERT) }

    /// RoBERTa and DistilBERT under every pooling, a head of each kind and the trainable
    /// policies (last-N-blocks runs the frozen prefix through the cache), with a checkpoint that
    /// predicts as the run's own final evaluation says.
    func testEncoderFamiliesUnderEveryPoolingHeadAndPolicy() throws {
        let settings: [[String]] = [
            ["--pooling", "first", "--trainable", "head"], ["--pooling", "last", "--trainable", "last-block", "--head", "mlp:8"],
            ["--pooling", "max", "--trainable", "last-1-blocks", "--dropout", "0"], ["--pooling", "position-last", "--trainable", "all"],
            ["--pooling", "mean", "--trainable", "last-2-blocks", "--dropout", "0", "--full-checkpoint"],
        ]
        for backbone in [CLI.tinyRoBERTa, CLI.tinyDistilBERT] {
            for (index, options) in settings.enumerated() {
                let run = try makeTemporaryDirectory(self).appendingPathComponent("run-\(index)")
                let trained = try CLI.run(Fixtures.finetune(output: run, backbone: backbone, options))
                assertSucceeds(trained)
                let evaluated = try CLI.run(["evaluate", "--model", run.path, "--json"])
                assertSucceeds(evaluated)
                let final = try XCTUnwrap((trained.events("final").first?["splits"] as? [String: Any])?["test"] as? [String: Any])
                XCTAssertEqual(evaluated.jsonLines.first?["accuracy"] as? Double, final["accuracy"] as? Double,
                               "\(backbone.lastPathComponent) \(options)")
                let predicted = try CLI.run(["predict", "--model", run.path, "--json", "great good nice day"])
                assertSucceeds(predicted)
                XCTAssertNotNil(predicted.jsonLines.first?["label"] as? String)
            }
        }
    }

    func testEvaluateOnAnotherSpecOfTheSameData() throws {
        let directory = try makeTemporaryDirectory(self, "data")
        try Data(Fixtures.csv.utf8).write(to: directory.appendingPathComponent("data.csv"))
        let spec = try Fixtures.writeSpec(in: directory, name: "other.json", source: ["path": "data.csv"])
        let result = try CLI.run(["evaluate", "--model", Fixtures.run.path, "--dataset", spec.path, "--json"])
        assertSucceeds(result)
        XCTAssertEqual(result.jsonLines.first?["examples"] as? Int, 24)
    }
}

/// The class-imbalance options through the binary: recorded in the run, reported, refused with
/// one line when they do not fit the labels.
final class ClassBalanceEndToEndTests: XCTestCase {
    func testClassWeightsAndBalancedSamplerRunAndAreRecorded() throws {
        let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let trained = try CLI.run(Fixtures.finetune(output: run, ["--class-weights", "balanced", "--sampler", "balanced"]))
        assertSucceeds(trained)
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("config.json"))) as? [String: Any])
        let training = try XCTUnwrap((config["task"] as? [String: Any])?["training"] as? [String: Any], "\(config)")
        XCTAssertEqual(training["class_weights"] as? String, "balanced")
        XCTAssertEqual(training["sampler"] as? String, "balanced")
        let report = try String(contentsOf: run.appendingPathComponent("report.json"), encoding: .utf8)
        XCTAssertTrue(report.contains("\"pr_auc\"") && report.contains("\"roc_auc\""), "two classes: PR-AUC and ROC-AUC in the report")
    }

    func testClassWeightsThatDoNotFitTheLabelsAreOneLine() throws {
        let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
        assertFails(try CLI.run(Fixtures.finetune(output: run, ["--class-weights", "1,2,3"])), naming: ["class weights: 3 given for 2 classes"])
        assertFails(try CLI.run(Fixtures.finetune(output: run, ["--class-weights", "heavy"])), naming: ["--class-weights", "heavy"])
    }
}
