import Foundation
import XCTest

/// Tags (multi-label) and fitted decisions through the binary: finetune on a tiny multi-label
/// spec, then evaluate and predict with the saved thresholds and temperature; a two-class run
/// with a tuned threshold and its curves.
final class MultiLabelCLITests: XCTestCase {
    /// 120 texts, each with one to three of the tags sun, rain, wind (each tag has its own words).
    static let csv: String = {
        let words = [["sunny", "bright", "warm", "clear"], ["rain", "wet", "drizzle", "shower"], ["wind", "gust", "breeze", "gale"]]
        let names = ["sun", "rain", "wind"]
        var lines = ["text,tags"]
        for i in 0 ..< 120 {
            let tags = [i % 3] + (i % 4 == 0 ? [(i + 1) % 3] : []) + (i % 10 == 0 ? [(i + 2) % 3] : [])
            let text = tags.flatMap { t in [words[t][i % 4], words[t][(i / 4) % 4]] }.joined(separator: " ") + " today"
            lines.append("\(text),\(tags.map { names[$0] }.joined(separator: ";"))")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    func spec(in directory: URL) throws -> URL {
        try Data(Self.csv.utf8).write(to: directory.appendingPathComponent("tags.csv"))
        return try Fixtures.writeSpec(in: directory, name: "tags.json", source: ["path": "tags.csv"],
                                      extra: ["name": "weather-tags", "label": "tags", "label_separator": ";"])
    }

    func testTagsTrainEvaluateAndPredictWithTunedThresholds() throws {
        let directory = try makeTemporaryDirectory(self)
        let run = directory.appendingPathComponent("run")
        // --no-cache: the run's final evaluation then computes the frozen block as evaluate does.
        // The barely trained tiny model puts many probabilities within a hair of each other and
        // of the tuned thresholds, where the cached path's rounding flips some decisions.
        let trained = try CLI.run(Fixtures.finetune(output: run, dataset: spec(in: directory), epochs: 4,
                                                    ["--lr", "1e-3", "--tune-thresholds", "--calibrate", "temperature", "--pos-weight", "balanced",
                                                     "--no-cache"]))
        assertSucceeds(trained)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("report.json"))) as? [String: Any])
        let test = try XCTUnwrap((report["final"] as? [String: Any])?["test"] as? [String: Any])
        XCTAssertEqual(test["multi_label"] as? Bool, true)
        for key in ["micro_f1", "macro_f1", "subset_accuracy", "hamming_loss", "ece"] { XCTAssertNotNil(test[key] as? Double, key) }
        XCTAssertEqual((test["per_label"] as? [[String: Any]])?.compactMap { $0["label"] as? String }, ["rain", "sun", "wind"])
        let decision = try XCTUnwrap(report["decision"] as? [String: Any])
        XCTAssertEqual(decision["output"] as? String, "sigmoid")
        let thresholds = try XCTUnwrap(decision["thresholds"] as? [Double])
        XCTAssertEqual(thresholds.count, 3)
        let markdown = try String(contentsOf: run.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("## Tags (after training)") && markdown.contains("Temperature scaling: T = "), markdown)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent("reliability.svg").path))

        // The saved model holds the rule; evaluate applies it (the run's own figures).
        let model = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("model/classifier.json"))) as? [String: Any])
        XCTAssertEqual((model["decision"] as? [String: Any])?["thresholds"] as? [Double], thresholds)
        let evaluated = try CLI.run(["evaluate", "--model", run.path, "--json"])
        assertSucceeds(evaluated)
        XCTAssertEqual(evaluated.jsonLines.first?["micro_f1"] as? Double, test["micro_f1"] as? Double)

        // predict gives every label at or above its threshold, with probabilities.
        let predicted = try CLI.run(["predict", "--model", run.path, "--json", "sunny rain today", "gust gale wind"])
        assertSucceeds(predicted)
        let labelOrder = ["rain", "sun", "wind"]
        for line in predicted.jsonLines {
            let given = try XCTUnwrap(line["labels"] as? [String], "\(line)")
            let probabilities = try XCTUnwrap(line["probabilities"] as? [String: Double])
            let expected = labelOrder.enumerated().filter { probabilities[$1]! >= thresholds[$0] - 1e-7 }.map(\.element)
            XCTAssertEqual(given, expected, "\(line)")
        }
        let plain = try CLI.run(["predict", "--model", run.path, "sunny rain today"])
        assertSucceeds(plain)
        XCTAssertEqual(plain.stdoutText.components(separatedBy: "\t").first,
                       (predicted.jsonLines.first?["labels"] as? [String])?.joined(separator: ","))
    }

    func testBinaryThresholdCalibrationAndCurves() throws {
        let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let trained = try CLI.run(Fixtures.finetune(output: run, epochs: 2, ["--threshold", "auto", "--calibrate", "temperature"]))
        assertSucceeds(trained)
        for file in ["pr_curve.svg", "roc_curve.svg", "reliability.svg"] {
            let text = try String(contentsOf: run.appendingPathComponent(file), encoding: .utf8)
            XCTAssertTrue(text.hasPrefix("<svg") && text.contains("polyline"), file)
        }
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("report.json"))) as? [String: Any])
        let decision = try XCTUnwrap(report["decision"] as? [String: Any])
        XCTAssertEqual((decision["thresholds"] as? [Double])?.count, 1)
        XCTAssertNotNil((decision["test_ece"] as? [String: Double])?["after"])
        let test = try XCTUnwrap((report["final"] as? [String: Any])?["test"] as? [String: Any])
        let evaluated = try CLI.run(["evaluate", "--model", run.path, "--json"])
        assertSucceeds(evaluated)
        XCTAssertEqual(evaluated.jsonLines.first?["accuracy"] as? Double, test["accuracy"] as? Double)
        // The run's evaluation read the frozen blocks from its cache, evaluate recomputes them:
        // the same probabilities to float32 rounding (a few 1e-8), so the ECE to 1e-6.
        XCTAssertEqual(try XCTUnwrap(evaluated.jsonLines.first?["ece"] as? Double), try XCTUnwrap(test["ece"] as? Double), accuracy: 1e-6)
    }

    func testDecisionOptionMistakesAreOneLineErrors() throws {
        let directory = try makeTemporaryDirectory(self)
        let cases: [([String], [String])] = [
            (["--threshold", "1.5"], ["--threshold", "1.5"]),
            (["--target-precision", "0"], ["--target-precision"]),
            (["--threshold", "auto", "--target-recall", "0.9"], ["--threshold", "--target-recall"]),
            (["--pos-weight", "balanced"], ["--pos-weight"]),
            (["--calibrate", "platt"], ["--calibrate", "platt"]),
        ]
        for (index, (options, culprits)) in cases.enumerated() {
            let result = try CLI.run(Fixtures.finetune(output: directory.appendingPathComponent("run\(index)"), options))
            assertFails(result, naming: culprits)
        }
    }
}
