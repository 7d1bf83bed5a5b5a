import Foundation
import XCTest

/// `--long-text` through the binary: a chunked run on tiny BERT records its policy, `evaluate`
/// and `predict` use it unless told otherwise, and bad values are one line (exit 2).
final class LongTextTests: XCTestCase {
    /// The tiny texts are 5 words: [CLS] + 5 + [SEP] does not fit a max length of 6, so under
    /// chunks:1 each text is two windows of 4 text tokens.
    func testChunkedRunIsRecordedAndUsedByEvaluateAndPredict() throws {
        let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let trained = try CLI.run(Fixtures.finetune(output: run, ["--max-length", "6", "--long-text", "chunks:1",
                                                                   "--trainable", "last-block", "--dropout", "0"]))
        assertSucceeds(trained)
        XCTAssertNotNil(trained.events("cache").first, "the frozen-prefix cache works on windows: \(trained.summary)")
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("config.json"))) as? [String: Any])
        XCTAssertEqual((config["task"] as? [String: Any])?["long_text"] as? String, "chunks:1")
        let model = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("model/classifier.json"))) as? [String: Any])
        XCTAssertEqual(model["long_text"] as? String, "chunks:1")

        let final = try XCTUnwrap((trained.events("final").first?["splits"] as? [String: Any])?["test"] as? [String: Any])
        let evaluated = try CLI.run(["evaluate", "--model", run.path, "--json", "--split", "test"])
        assertSucceeds(evaluated)
        let line = try XCTUnwrap(evaluated.jsonLines.first)
        XCTAssertEqual(line["accuracy"] as? Double, final["accuracy"] as? Double)
        // The same windows and weights; only the batching differs (float32 rounding of the
        // products, a few ulps), so the losses agree to 1e-5.
        let (loss, finalLoss) = (try XCTUnwrap(line["loss"] as? Double), try XCTUnwrap(final["loss"] as? Double))
        XCTAssertEqual(loss, finalLoss, accuracy: 1e-5 * max(1, finalLoss))
        let truncated = try CLI.run(["evaluate", "--model", run.path, "--json", "--split", "test", "--long-text", "truncate"])
        assertSucceeds(truncated)
        XCTAssertNotEqual(truncated.jsonLines.first?["loss"] as? Double, loss, "truncating reads other tokens")

        let text = "great good nice love happy fine super bright"
        let chunked = try CLI.run(["predict", "--model", run.path, "--json", text])
        assertSucceeds(chunked)
        let chunkedLine = try XCTUnwrap(chunked.jsonLines.first)
        XCTAssertEqual(chunkedLine["truncated"] as? Bool, false)
        XCTAssertGreaterThan(try XCTUnwrap(chunkedLine["tokens"] as? Int), 6, "every window's tokens")
        let cut = try CLI.run(["predict", "--model", run.path, "--json", "--long-text", "head+tail", text])
        assertSucceeds(cut)
        XCTAssertEqual(cut.jsonLines.first?["truncated"] as? Bool, true)
        XCTAssertEqual(cut.jsonLines.first?["tokens"] as? Int, 6)
    }

    func testBadValuesAreOneLine() throws {
        let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
        for bad in ["bogus", "chunks:-1", "chunks:1:avg", "head+tail:2", ""] {
            assertFails(try CLI.run(Fixtures.finetune(output: run, ["--long-text", bad])), naming: ["--long-text"])
            assertFails(try CLI.run(["predict", "--model", Fixtures.run.path, "--long-text", bad, "good"]), naming: ["--long-text"])
            assertFails(try CLI.run(["evaluate", "--model", Fixtures.run.path, "--long-text", bad]), naming: ["--long-text"])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.path), "a refused run wrote its directory")
        assertFails(try CLI.run(Fixtures.finetune(output: run, ["--max-length", "6", "--long-text", "chunks:4"])),
                    naming: ["--long-text", "stride (overlap) 4", "4 text tokens"])
        assertFails(try CLI.run(["predict", "--model", Fixtures.run.path, "--long-text", "chunks:100000", "good"]),
                    naming: ["--long-text", "stride (overlap) 100000"])
    }
}
