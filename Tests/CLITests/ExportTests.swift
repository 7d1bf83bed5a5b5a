import Foundation
import TestRequirements
import XCTest

/// `textclf export`: ONNX files checked in ONNX Runtime against textclf's logits by
/// scripts/check_onnx_export.py (every family: BERT, RoBERTa, DistilBERT and GPT-2, each with
/// every pooling and head; and real all-MiniLM-L6-v2 weights), standalone directories that predict
/// as the run did with the run, the backbone and the cache gone, and one-line errors for bad input.
final class ExportTests: XCTestCase {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/check_onnx_export.py")

    /// Runs the parity script on RUN=MODEL.onnx pairs; it prints one line per model.
    static func checkInONNXRuntime(_ pairs: [String], environment: [String: String] = CLI.environment) throws {
        let probe = try Running(executable: URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import onnxruntime, onnx, numpy"]).finish()
        guard probe.status == 0 else {
            throw missingPrerequisite("python3 with onnxruntime, onnx and numpy (make test installs them with pip): \(probe.stderr.split(separator: "\n").last ?? "")")
        }
        let checked = try Running(executable: URL(fileURLWithPath: "/usr/bin/env"),
                                  ["python3", Self.script.path, "--textclf", CLI.binary.path] + pairs, environment: environment)
            .finish(timeout: 300)
        XCTAssertFalse(checked.timedOut, checked.summary)
        XCTAssertEqual(checked.status, 0, checked.summary)
        let lines = checked.stdoutText.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("ok ") }.count, pairs.count, checked.stdoutText)
        print(checked.stdoutText)
    }

    func export(_ run: URL, format: String, to output: URL, environment: [String: String] = CLI.environment) throws {
        let result = try CLI.run(["export", run.path, "--format", format, "--output", output.path, "--json"], timeout: 120,
                                 environment: environment)
        assertSucceeds(result)
        XCTAssertEqual(result.jsonLines.first?["output"] as? String, output.path, result.stdoutText)
    }

    /// Each family with every pooling, the three heads in turn (linear, MLP with GELU, MLP with tanh).
    func testONNXMatchesTextclfForEveryFamilyPoolingAndHead() throws {
        let directory = try makeTemporaryDirectory(self, "onnx")
        let heads = ["linear", "mlp", "mlp:24:tanh"]
        var pairs: [String] = []
        for (family, backbone) in [("bert", CLI.tinyBERT), ("roberta", CLI.tinyRoBERTa), ("distilbert", CLI.tinyDistilBERT),
                                   ("gpt2", CLI.tinyGPT2)] {
            for (index, pooling) in ["last", "position-last", "first", "mean", "max"].enumerated() {
                let run = directory.appendingPathComponent("\(family)-\(pooling)")
                let trained = try CLI.run(Fixtures.finetune(output: run, backbone: backbone,
                                                            ["--pooling", pooling, "--head", heads[index % heads.count], "--trainable", "all"]))
                assertSucceeds(trained)
                let onnx = directory.appendingPathComponent("\(family)-\(pooling).onnx")
                try export(run, format: "onnx", to: onnx)
                pairs.append("\(run.path)=\(onnx.path)")
            }
        }
        try Self.checkInONNXRuntime(pairs)
    }

    /// The shared mirror's all-MiniLM-L6-v2 (real weights), trained for one short epoch on the
    /// tiny dataset: exported to ONNX and checked, and exported standalone, which then predicts
    /// the same with another home and no mirror.
    func testRealMiniLM() throws {
        let package = Self.script.deletingLastPathComponent().deletingLastPathComponent()
        var mirrors = (ProcessInfo.processInfo.environment["TEXTCLF_MIRROR"] ?? "").split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        mirrors.append(package.deletingLastPathComponent().appendingPathComponent("shared/mirror"))
        guard let mirror = mirrors.first(where: {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("models/all-MiniLM-L6-v2/model.safetensors").path)
        }) else { throw missingPrerequisite("all-MiniLM-L6-v2 is not in a mirror (set TEXTCLF_MIRROR)") }
        var environment = CLI.environment
        environment["TEXTCLF_MIRROR"] = mirror.path
        let directory = try makeTemporaryDirectory(self, "minilm")
        let run = directory.appendingPathComponent("run")
        let trained = try CLI.run(["finetune", "--json", "--dataset", Fixtures.spec.path, "--backbone", "all-MiniLM-L6-v2", "--epochs", "1",
                                   "--batch-size", "8", "--max-length", "64", "--output", run.path], timeout: 300, environment: environment)
        assertSucceeds(trained)
        let onnx = directory.appendingPathComponent("minilm.onnx")
        try export(run, format: "onnx", to: onnx, environment: environment)
        try Self.checkInONNXRuntime(["\(run.path)=\(onnx.path)"], environment: environment)

        let standalone = directory.appendingPathComponent("standalone")
        try export(run, format: "safetensors", to: standalone, environment: environment)
        try assertPredictsTheSame(run: run, runEnvironment: environment, standalone: standalone)
    }

    /// A run on a copy of each tiny backbone, exported standalone; the run, the backbone copy and
    /// the home are then deleted, and the export predicts what the run predicted.
    func testStandaloneDirectoryPredictsAsTheRunWithEverythingElseGone() throws {
        for fixture in [CLI.tinyBERT, CLI.tinyRoBERTa, CLI.tinyDistilBERT, CLI.tinyGPT2] {
            let directory = try makeTemporaryDirectory(self, "standalone")
            let backbone = directory.appendingPathComponent("backbone")
            try FileManager.default.copyItem(at: fixture, to: backbone)
            let run = directory.appendingPathComponent("run")
            assertSucceeds(try CLI.run(Fixtures.finetune(output: run, backbone: backbone, ["--trainable", "last-block"])))
            let standalone = directory.appendingPathComponent("standalone")
            try export(run, format: "safetensors", to: standalone)
            let files = try FileManager.default.contentsOfDirectory(atPath: standalone.path)
            for file in ["classifier.json", "model.safetensors", "config.json"] { XCTAssertTrue(files.contains(file), "\(files)") }
            try assertPredictsTheSame(run: run, runEnvironment: CLI.environment, standalone: standalone) {
                try FileManager.default.removeItem(at: run)
                try FileManager.default.removeItem(at: backbone)
            }
            // Exporting again over an earlier export replaces it.
            let moved = directory.appendingPathComponent("moved")
            try FileManager.default.moveItem(at: standalone, to: moved)
            try export(moved, format: "safetensors", to: moved)
        }
    }

    /// `predict --json` of the run (with `runEnvironment`), then of the standalone directory with
    /// a fresh home and no mirror, after `before`: the same bytes.
    private func assertPredictsTheSame(run: URL, runEnvironment: [String: String], standalone: URL,
                                       before: () throws -> Void = {}) throws {
        let texts = ["great good nice day", "awful sad grim thing", "", "WINNER! Claim your prize now"]
        let expected = try CLI.run(["predict", "--model", run.path, "--json"] + texts, environment: runEnvironment)
        assertSucceeds(expected)
        try before()
        var elsewhere = CLI.environment
        elsewhere["TEXTCLF_HOME"] = try makeTemporaryDirectory(self, "home").path
        let got = try CLI.run(["predict", "--model", standalone.path, "--json"] + texts, environment: elsewhere)
        assertSucceeds(got)
        XCTAssertEqual(got.stdoutText, expected.stdoutText)
        XCTAssertEqual(got.jsonLines.count, texts.count)
    }

    func testBadInputIsOneLineAndExit2() throws {
        let directory = try makeTemporaryDirectory(self, "export-errors")
        let run = Fixtures.run.path
        let file = directory.appendingPathComponent("file.txt")
        try Data("x".utf8).write(to: file)
        let full = directory.appendingPathComponent("full")
        try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: full.appendingPathComponent("notes.txt"))
        let cases: [([String], [String])] = [
            (["export", directory.appendingPathComponent("missing").path, "--format", "onnx", "--output", directory.appendingPathComponent("m.onnx").path],
             ["missing", "classifier.json"]),
            (["export", run, "--format", "tflite", "--output", directory.appendingPathComponent("m.onnx").path], ["tflite", "--format"]),
            (["export", run, "--format", "onnx", "--output", file.appendingPathComponent("m.onnx").path], ["file.txt", "not a directory"]),
            (["export", run, "--format", "onnx", "--output", directory.path], [directory.path, "is a directory"]),
            (["export", run, "--format", "safetensors", "--output", file.path], ["file.txt", "is a file"]),
            (["export", run, "--format", "safetensors", "--output", full.path], [full.path, "other files"]),
        ]
        for (arguments, culprits) in cases {
            assertFails(try CLI.run(arguments), naming: culprits)
        }
        XCTAssertEqual(try String(contentsOf: full.appendingPathComponent("notes.txt"), encoding: .utf8), "keep me")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["file.txt", "full"], "nothing partial left")
    }
}
