import Foundation
import XCTest

/// Errors that used to be vague, multi-line or silent: each is now one line naming what is at fault.
final class MessageTests: XCTestCase {
    /// A copy of the tiny BERT directory without `file`.
    private func backbone(without file: String) throws -> URL {
        let directory = try makeTemporaryDirectory(self, "model").appendingPathComponent("tiny-bert")
        try FileManager.default.copyItem(at: CLI.tinyBERT, to: directory)
        try FileManager.default.removeItem(at: directory.appendingPathComponent(file))
        return directory
    }

    func testBackboneDirectoryWithoutConfigOrVocabulary() throws {
        for file in ["config.json", "vocab.txt"] {
            let directory = try backbone(without: file)
            let output = try makeTemporaryDirectory(self).appendingPathComponent("run")
            assertFails(try CLI.run(Fixtures.finetune(output: output, backbone: directory)), naming: [directory.path, "no \(file)"])
        }
    }

    func testModelWhoseBackboneDirectoryLostAFile() throws {
        // --model RUN: the classifier was trained on a backbone directory that has since changed.
        for file in ["config.json", "vocab.txt"] {
            let directory = try makeTemporaryDirectory(self, "model").appendingPathComponent("tiny-bert")
            try FileManager.default.copyItem(at: CLI.tinyBERT, to: directory)
            let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
            assertSucceeds(try CLI.run(Fixtures.finetune(output: run, backbone: directory)))
            try FileManager.default.removeItem(at: directory.appendingPathComponent(file))
            assertFails(try CLI.run(["predict", "--model", run.path, "good day"]), naming: [directory.path, "no \(file)"])
        }
    }

    func testGenerateModelDirectoryWithoutConfig() throws {
        let directory = try makeTemporaryDirectory(self, "model").appendingPathComponent("tiny-gpt2")
        try FileManager.default.copyItem(at: CLI.tinyGPT2, to: directory)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("config.json"))
        assertFails(try CLI.run(["generate", "--model", directory.path, "hello"]), naming: [directory.path, "no config.json"])
    }

    func testFilesThatAreDirectories() throws {
        let directory = try makeTemporaryDirectory(self, "data").path + "/"
        assertFails(try CLI.run(["data", "inspect", directory, "--json"]), naming: ["is a directory", "dataset spec"])
        assertFails(try CLI.run(["finetune", "--json", "--task", directory]), naming: ["is a directory", "task file"])
        assertFails(try CLI.run(["predict", "--model", Fixtures.run.path, "--file", directory]), naming: ["is a directory", directory])
    }

    func testInvalidUTF8OnPredictStdinGivesTheLine() throws {
        let input = Data("good day\nbad day\n".utf8) + Data([0x62, 0xFF, 0x0A])
        assertFails(try CLI.run(["predict", "--model", Fixtures.run.path], stdin: input), naming: ["stdin, line 3", "UTF-8"])
    }

    func testInvalidUTF8InAnArgumentIsRefused() throws {
        // Process cannot pass such bytes; the shell can.
        let result = try sh(#""$TEXTCLF" tokenize --model "$1" "$(printf 'ab\377c')""#, CLI.tinyBERT.path)
        assertFails(result, naming: ["argument 4", "UTF-8"])
        XCTAssertTrue(result.stdout.isEmpty, result.stdoutText)
    }

    func testGPT2WeightsNotFoundIsOneLine() throws {
        let result = try CLI.run(["generate", "hello"])
        assertFails(result, status: 1, naming: ["GPT-2 'gpt2'", "textclf fetch gpt2", "--verbose"])
        let verbose = try CLI.run(["generate", "hello", "--verbose"])
        XCTAssertEqual(verbose.status, 1, verbose.summary)
        XCTAssertTrue(verbose.stderr.contains(CLI.home.appendingPathComponent("models/gpt2/config.json").path), verbose.summary)
        XCTAssertGreaterThan(verbose.stderrLines.count, 3, verbose.summary)
    }

    func testStoreResolutionErrorIsOneLine() throws {
        assertFails(try CLI.run(["tokenize", "hello"]), status: 1, naming: ["gpt2", "encoder.json", "textclf fetch gpt2"])
        assertFails(try CLI.run(["data", "inspect", Fixtures.spec.path, "--json"]), status: 1, naming: ["textclf fetch gpt2", "--no-tokens"])
        let output = try makeTemporaryDirectory(self).appendingPathComponent("run")
        assertFails(try CLI.run(["finetune", "--json", "--dataset", Fixtures.spec.path, "--weights", "pretrained", "--output", output.path]),
                    status: 1, naming: ["gpt2", "textclf fetch gpt2"])
    }
}
