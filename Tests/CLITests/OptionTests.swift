import Foundation
import XCTest

/// Bad values of numeric options: exit 2 and one line naming the option, before anything is
/// loaded (so each run takes milliseconds). A negative number after a space is the option's
/// value, not an option of its own.
final class OptionTests: XCTestCase {
    /// Each numeric option of finetune and values it must refuse ("-1" is passed after a space).
    static let finetuneOptions: [(option: String, bad: [String])] = {
        let numbers = ["-1", "nan", "inf", "-inf", "abc", "1x", ""]
        let wholeNumbers = numbers + ["1.5", "99999999999999999999"]
        return [
            ("--lr", numbers + ["0", "1e999"]),
            ("--weight-decay", numbers),
            ("--momentum", numbers + ["1", "2"]),
            ("--dropout", numbers + ["1", "1.5"]),
            ("--clip-norm", numbers + ["0"]),
            ("--epochs", wholeNumbers + ["0"]),
            ("--batch-size", wholeNumbers + ["0"]),
            ("--max-length", wholeNumbers + ["0"]),
            ("--accumulate", wholeNumbers + ["0"]),
            ("--eval-every", wholeNumbers),
            ("--eval-batches", wholeNumbers + ["0"]),
            ("--eval-batch-size", wholeNumbers + ["0"]),
            ("--patience", wholeNumbers + ["0"]),
            ("--save-every", wholeNumbers + ["0"]),
            ("--seed", wholeNumbers),
            ("--split-seed", wholeNumbers),
            ("--layer-lr-decay", numbers + ["0", "1.5"]),
            ("--unfreeze", ["gradual:0", "gradual:-1", "gradual:x", "gradual:inf", "sometimes", ""]),
        ]
    }()

    func testEveryNumericFinetuneOptionRefusesBadNumbers() throws {
        let output = try makeTemporaryDirectory(self).appendingPathComponent("run")
        for (option, values) in Self.finetuneOptions {
            for value in values {
                let result = try CLI.run(Fixtures.finetune(output: output, [option, value]))
                assertFails(result, naming: [option])
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), "a refused run wrote its directory")
    }

    func testTheHelpListsNoUncheckedNumericOption() throws {
        // A numeric option added to finetune must join the table above.
        let help = try CLI.run(["finetune", "--help"]).stdoutText
        let checked = Set(Self.finetuneOptions.map(\.option))
        for line in help.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count >= 2, words[0].hasPrefix("--"), words[1].hasPrefix("<") else { continue }
            let option = String(words[0])
            let valueName = words[1]
            let numeric = ["<n>", "<\(option.dropFirst(2))>"].contains(valueName)
                && !["--task", "--config", "--dataset", "--labels", "--output", "--resume", "--backbone", "--weights",
                     "--trainable", "--pooling", "--head", "--optimizer", "--schedule", "--monitor", "--manifest", "--kind"].contains(option)
            if numeric { XCTAssertTrue(checked.contains(option), "\(option) is not in the table of numeric options") }
        }
    }

    func testNegativeLearningRateAfterASpace() throws {
        let output = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let result = try CLI.run(Fixtures.finetune(output: output, ["--lr", "-1"]))
        assertFails(result, naming: ["--lr must be a positive number, got -1"])
        XCTAssertFalse(result.stderr.contains("Missing value"), result.stderr)
    }

    func testBatchSizeOfPredictAndEvaluate() throws {
        for value in ["-1", "0", "nan", "abc"] {
            assertFails(try CLI.run(["predict", "--model", Fixtures.run.path, "--batch-size", value, "good"]), naming: ["--batch-size"])
            assertFails(try CLI.run(["evaluate", "--model", Fixtures.run.path, "--batch-size", value]), naming: ["--batch-size"])
        }
    }

    func testNumericOptionsOfOtherCommands() throws {
        let cases: [(command: [String], option: String, bad: [String])] = [
            (["generate", "--random-weights", "hi"], "--max-new-tokens", ["-1", "abc"]),
            (["generate", "--random-weights", "hi"], "--temperature", ["-1", "nan", "inf", "abc"]),
            (["generate", "--random-weights", "hi"], "--top-k", ["-1", "0", "abc"]),
            (["generate", "--random-weights", "hi"], "--seed", ["-1", "1.5"]),
            (["generate", "--random-weights", "hi"], "--weight-seed", ["-1", "abc"]),
            (["data", "inspect", Fixtures.spec.path, "--no-tokens"], "--seed", ["-1", "abc"]),
            (["bench", "gemm"], "--repeats", ["-1", "0"]),
        ]
        for (command, option, values) in cases {
            for value in values { assertFails(try CLI.run(command + [option, value]), naming: [option]) }
        }
    }

    func testUnknownOptionIsNamed() throws {
        assertFails(try CLI.run(["finetune", "--bogus"]), naming: ["Unknown option '--bogus'"])
        assertFails(try CLI.run(["finetune", "--task", "spam", "--bogus"]), naming: ["Unknown option '--bogus'"])
    }

    func testNoSourceSaysWhatToGive() throws {
        assertFails(try CLI.run(["finetune"]), naming: ["--task", "--dataset"])
    }

    func testTrainableBeyondTheBlockCount() throws {
        let output = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let result = try CLI.run(Fixtures.finetune(output: output, ["--trainable", "last-99-blocks"]))
        // tiny BERT has 2 blocks.
        assertFails(result, naming: ["--trainable", "last-99-blocks", "99", "has 2"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: output.path))
    }

    func testTrainableOfEveryBlockIsAccepted() throws {
        let output = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let result = try CLI.run(Fixtures.finetune(output: output, ["--trainable", "last-2-blocks", "--dropout", "0"]))
        assertSucceeds(result)
        let cache = result.events("prepared").first?["cache"] as? String ?? ""
        XCTAssertFalse(cache.contains("embeddings train"), "the embeddings are frozen under last-2-blocks: \(cache)")
    }

    /// --unfreeze gradual and --layer-lr-decay from the command line: the run unfreezes one block
    /// of tiny BERT at each stage (every half epoch of 9 steps, rounded: 5) and records both in
    /// config.json; the model records what trained by the end.
    func testGradualUnfreezingWithLayerwiseDecay() throws {
        let output = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let result = try CLI.run(Fixtures.finetune(output: output, epochs: 2, ["--trainable", "all", "--unfreeze", "gradual:0.5",
                                                                               "--layer-lr-decay", "0.8", "--dropout", "0"]))
        assertSucceeds(result)
        XCTAssertEqual(result.events("prepared").first?["trainable"] as? String, "last-0-blocks")
        let unfrozen = result.events("unfrozen")
        XCTAssertEqual(unfrozen.compactMap { $0["trainable"] as? String }, ["last-block", "last-2-blocks", "all"], result.stdoutText)
        // The cache follows: blocks 0..<2, then 0..<1, then none.
        XCTAssertEqual(result.events("cache").compactMap { $0["blocks"] as? Int }, [2, 1])
        let config = try String(contentsOf: output.appendingPathComponent("config.json"), encoding: .utf8)
        XCTAssertTrue(config.contains(#""unfreeze" : "gradual:0.5""#) && config.contains(#""layer_lr_decay" : 0.8"#), config)
        let classifier = try String(contentsOf: output.appendingPathComponent("model/classifier.json"), encoding: .utf8)
        XCTAssertTrue(classifier.contains(#""trainable" : "all""#), classifier)
    }
}
