import Foundation
import XCTest

/// Dynamic batching changes nothing but speed: concurrent requests, run together in
/// length-bucketed batches, get `predict`'s answers.
final class ServeBatchingTests: XCTestCase {
    /// Texts of many lengths, some past the 64-token fixtures' max length.
    static let texts: [String] = {
        let words = ["great", "good", "nice", "love", "bad", "awful", "sad", "hate", "the", "a", "day", "thing"]
        var state: UInt64 = 11
        return (0 ..< 40).map { i in
            let count = [1, 2, 3, 5, 8, 13, 30, 90][i % 8]
            return (0 ..< count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return words[Int(state >> 33) % words.count]
            }.joined(separator: " ")
        }
    }()

    /// `predict --json --batch-size 1`: each text alone, unpadded.
    private func predictAlone(_ run: URL) throws -> [[String: Any]] {
        let input = Self.texts.map { String(decoding: try! JSONSerialization.data(withJSONObject: ["text": $0]), as: UTF8.self) }
        let result = try CLI.run(["predict", "--model", run.path, "--json", "--batch-size", "1"], stdin: Data((input.joined(separator: "\n") + "\n").utf8))
        assertSucceeds(result)
        XCTAssertEqual(result.jsonLines.count, Self.texts.count)
        return result.jsonLines
    }

    /// The 40 texts as 16 one-text requests and 6 requests of 4, all sent at once; results by text.
    private func classifyConcurrently(_ server: Server) throws -> [[String: Any]] {
        let port = server.port
        let texts = Self.texts
        let answers = HTTP.concurrently(22) { request in
            request < 16 ? try HTTP.post(port: port, "/v1/classify", json: ["text": texts[request]])
                : try HTTP.post(port: port, "/v1/classify", json: ["texts": Array(texts[16 + (request - 16) * 4 ..< 16 + (request - 15) * 4])])
        }
        var results: [[String: Any]] = []
        for (request, answer) in answers.enumerated() {
            let answer = try answer.get()
            XCTAssertEqual(answer.status, 200, answer.summary)
            let json = try XCTUnwrap(answer.json, answer.summary)
            results += request < 16 ? [json] : try XCTUnwrap(json["results"] as? [[String: Any]])
        }
        return results
    }

    /// Labels, truncation and token counts equal; probabilities equal within `tolerance`.
    private func assertSameAnswers(_ served: [[String: Any]], _ predicted: [[String: Any]], tolerance: Double,
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(served.count, predicted.count, file: file, line: line)
        for (index, (s, p)) in zip(served, predicted).enumerated() {
            for key in ["label", "truncated", "tokens"] {
                XCTAssertEqual("\(s[key] ?? "none")", "\(p[key] ?? "none")", "text \(index): \(key)", file: file, line: line)
            }
            let sp = try XCTUnwrap(s["probabilities"] as? [String: Double])
            let pp = try XCTUnwrap(p["probabilities"] as? [String: Double])
            XCTAssertEqual(Set(sp.keys), Set(pp.keys), file: file, line: line)
            for (label, value) in pp {
                let difference = abs(value - sp[label]!)
                if tolerance == 0 {
                    XCTAssertEqual(sp[label], value, "text \(index), \(label)", file: file, line: line)
                } else {
                    XCTAssertLessThanOrEqual(difference, tolerance, "text \(index), \(label)", file: file, line: line)
                }
            }
        }
    }

    /// Requests held for up to 300 ms so that they meet in the queue, in batches of up to 8
    /// texts of similar length. A text in a batch with longer ones is padded, which changes the
    /// shapes of the matrix products and the length of the masked softmax sums, so float32
    /// rounding may differ from the text alone: each of the fixture's dot products has at most
    /// 64 terms (its FFN width), whose worst-case relative error is γ₆₄ = 64u/(1 − 64u) ≈ 3.8e-6
    /// (u = 2⁻²⁴), a few of them in sequence with LayerNorm renormalising in between, and a
    /// softmax moves a probability by at most half the change of the logit gap. 1e-5 bounds
    /// that with room to spare; the labels must be equal.
    func testBatchedAnswersArePredictsAnswers() throws {
        let run = Fixtures.run
        let predicted = try predictAlone(run)
        let server = try Server(self, ["--model", run.path, "--max-batch-size", "8", "--max-wait-ms", "300"])
        try assertSameAnswers(try classifyConcurrently(server), predicted, tolerance: 1e-5)
        // Batching happened: fewer forward passes than texts, and batches of several texts.
        let batches = try XCTUnwrap(try server.metric(#"textclf_batch_size_count{model="run"}"#))
        let texts = try XCTUnwrap(try server.metric(#"textclf_batch_size_sum{model="run"}"#))
        XCTAssertEqual(texts, Double(Self.texts.count))
        XCTAssertLessThan(batches, texts / 2, "the requests were not batched")
        XCTAssertEqual(try server.metric(#"textclf_batch_size_bucket{model="run",le="8.0"}"#), batches, "a batch over --max-batch-size")
        assertSucceeds(server.terminate())
    }

    /// Batches of one text are the computation predict does on each text alone: the same bits.
    func testUnbatchedAnswersArePredictsExactly() throws {
        let run = Fixtures.run
        let predicted = try predictAlone(run)
        let server = try Server(self, ["--model", run.path, "--max-batch-size", "1"])
        try assertSameAnswers(try classifyConcurrently(server), predicted, tolerance: 0)
        assertSucceeds(server.terminate())
    }

    /// `position-last` pooling reads the padded batch's last position, so its answers depend on
    /// padding: the server batches only texts of equal length for it, and each text gets what
    /// it gets alone (within the rounding bound above; padding would move it by far more).
    func testPositionLastPoolingIsNeverPadded() throws {
        let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
        assertSucceeds(try CLI.run(Fixtures.finetune(output: run, backbone: CLI.tinyGPT2, ["--pooling", "position-last"])))
        let predicted = try predictAlone(run)
        let server = try Server(self, ["--model", run.path, "--max-batch-size", "8", "--max-wait-ms", "300"])
        try assertSameAnswers(try classifyConcurrently(server), predicted, tolerance: 1e-5)
        let batches = try XCTUnwrap(try server.metric(#"textclf_batch_size_count{model="run"}"#))
        XCTAssertLessThan(batches, Double(Self.texts.count), "no two texts of equal length met")
        assertSucceeds(server.terminate())
    }

    /// Two models in one server, each under its own name.
    func testSeveralModels() throws {
        let gpt2 = try makeTemporaryDirectory(self).appendingPathComponent("gpt2run")
        assertSucceeds(try CLI.run(Fixtures.finetune(output: gpt2, backbone: CLI.tinyGPT2)))
        let server = try Server(self, ["--model", "bert=\(Fixtures.run.path)", "--model", gpt2.path])
        let models = try XCTUnwrap(try server.get("/v1/models").json?["models"] as? [[String: Any]])
        XCTAssertEqual(models.compactMap { $0["name"] as? String }, ["bert", "gpt2run"])
        XCTAssertEqual(models.compactMap { $0["default"] as? Bool }, [true, false])
        let text = "awful sad grim thing"
        for (path, run) in [("/v1/classify", Fixtures.run), ("/v1/models/bert/classify", Fixtures.run), ("/v1/models/gpt2run/classify", gpt2)] {
            let predicted = try CLI.run(["predict", "--model", run.path, "--json", text])
            let answer = try server.post(path, json: ["text": text])
            XCTAssertEqual(answer.text, predicted.stdoutText.trimmingCharacters(in: .newlines), path)
        }
        assertSucceeds(server.terminate())
    }
}
