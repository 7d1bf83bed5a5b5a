import Foundation
import XCTest

/// `textclf serve` through the real binary on a loopback port: every route, the answers'
/// shapes, and every refusal with its status and JSON error.
final class ServeAPITests: XCTestCase {
    /// The tiny BERT run's test accuracy, as its report.json says.
    private func reportedTestAccuracy(_ run: URL) throws -> Double {
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("report.json"))) as? [String: Any]
        let final = try XCTUnwrap(report?["final"] as? [String: Any])
        return try XCTUnwrap((final["test"] as? [String: Any])?["accuracy"] as? Double)
    }

    private func assertError(_ answer: HTTPAnswer, _ status: Int, path: String? = nil, containing words: String? = nil,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(answer.status, status, answer.summary, file: file, line: line)
        XCTAssertEqual(answer.headers["content-type"], "application/json", file: file, line: line)
        let error = answer.error
        XCTAssertEqual(error?["status"] as? Int, status, answer.summary, file: file, line: line)
        XCTAssertEqual(error?["path"] as? String, path, answer.summary, file: file, line: line)
        if let words { XCTAssertTrue((error?["message"] as? String)?.contains(words) == true, answer.summary, file: file, line: line) }
    }

    func testRoutesAnswersAndRefusals() throws {
        let run = Fixtures.run
        let server = try Server(self, ["--model", run.path, "--max-texts", "4", "--max-characters", "500", "--max-body-bytes", "2000"])

        XCTAssertEqual(try server.get("/healthz").json?["status"] as? String, "ok")
        let ready = try server.get("/readyz")
        XCTAssertEqual(ready.status, 200, ready.summary)
        XCTAssertEqual(ready.json?["models"] as? [String: Bool], ["run": true])

        let models = try XCTUnwrap(try server.get("/v1/models").json?["models"] as? [[String: Any]])
        XCTAssertEqual(models.count, 1)
        let model = models[0]
        XCTAssertEqual(model["name"] as? String, "run")
        XCTAssertEqual(model["default"] as? Bool, true)
        XCTAssertEqual(model["labels"] as? [String], ["neg", "pos"])
        XCTAssertEqual(model["backbone"] as? String, "tiny-bert")
        XCTAssertEqual(model["max_length"] as? Int, 64)
        XCTAssertEqual(model["precision"] as? String, "fp32")
        XCTAssertEqual(model["test_accuracy"] as? Double, try reportedTestAccuracy(run))

        // One text: predict --json's line, key for key and number for number (both run it alone).
        let text = "great good nice day"
        let predicted = try CLI.run(["predict", "--model", run.path, "--json", text])
        assertSucceeds(predicted)
        let single = try server.post("/v1/classify", json: ["text": text])
        XCTAssertEqual(single.status, 200, single.summary)
        XCTAssertEqual(single.headers["content-type"], "application/json")
        XCTAssertEqual(single.text, predicted.stdoutText.trimmingCharacters(in: .newlines), "not predict's JSON line")

        let several = try server.post("/v1/models/run/classify", json: ["texts": ["awful sad", "", String(repeating: "good ", count: 80)]])
        XCTAssertEqual(several.status, 200, several.summary)
        let results = try XCTUnwrap(several.json?["results"] as? [[String: Any]])
        XCTAssertEqual(results.count, 3)
        XCTAssertEqual(results.map { $0["truncated"] as? Bool }, [false, false, true], "the fixture's max length is 64 tokens")
        XCTAssertEqual(results[2]["tokens"] as? Int, 64)
        for result in results {
            XCTAssertEqual(Set(result.keys), ["label", "probabilities", "truncated", "tokens"])
            let probabilities = try XCTUnwrap(result["probabilities"] as? [String: Double])
            XCTAssertEqual(Set(probabilities.keys), ["neg", "pos"])
            XCTAssertEqual(probabilities.values.reduce(0, +), 1, accuracy: 1e-6)
        }

        // Refusals: status, JSON error, the path at fault.
        assertError(try server.post("/v1/classify", raw: #"{"text": "#), 400, path: "$", containing: "not valid JSON")
        assertError(try server.post("/v1/classify", raw: #"{"texts": ["a", 2]}"#), 400, path: "$.texts[1]", containing: "number")
        assertError(try server.post("/v1/classify", raw: #"{"text": "a", "lang": "en"}"#), 400, path: "$.lang")
        assertError(try server.post("/v1/classify", raw: "{}"), 400, path: "$")
        assertError(try server.post("/v1/classify", json: ["texts": ["a", "b", "c", "d", "e"]]), 422, path: "$.texts", containing: "4")
        assertError(try server.post("/v1/classify", json: ["texts": ["a", String(repeating: "x", count: 501)]]), 422, path: "$.texts[1]")
        assertError(try server.post("/v1/classify", json: ["texts": []]), 422, path: "$.texts")
        assertError(try server.post("/v1/classify", json: ["text": String(repeating: "x", count: 2100)]), 413, containing: "2000 bytes")
        let lying = try HTTP.request(port: server.port, "POST", "/v1/classify", body: Data(#"{"text": "a"}"#.utf8),
                                     headers: ["Content-Length": "5000000"])
        XCTAssertEqual(lying.status, 413, "refused from its Content-Length: \(lying.summary)")
        assertError(try server.post("/v1/models/nope/classify", json: ["text": "a"]), 404, containing: "nope")
        assertError(try server.get("/v2/anything"), 404, containing: "/v2/anything")
        let wrongMethod = try server.get("/v1/classify")
        assertError(wrongMethod, 405)
        XCTAssertEqual(wrongMethod.headers["allow"], "POST")
        // schemathesis found TRACE and QUERY answered 404: any method a route does not take is a 405.
        for method in ["TRACE", "QUERY", "DELETE"] {
            let answer = try HTTP.request(port: server.port, method, "/healthz")
            assertError(answer, 405)
            XCTAssertEqual(answer.headers["allow"], "GET, HEAD", method)
        }
        XCTAssertEqual(try HTTP.request(port: server.port, "PUT", "/v1/models/any/classify").headers["allow"], "POST")

        // The OpenAPI document: every route, and the limits this server was given.
        let document = try XCTUnwrap(try server.get("/openapi.json").json)
        XCTAssertEqual(document["openapi"] as? String, "3.0.3")
        let paths = try XCTUnwrap(document["paths"] as? [String: [String: Any]])
        XCTAssertEqual(Set(paths.keys), ["/v1/classify", "/v1/models/{name}/classify", "/v1/models", "/healthz", "/readyz", "/metrics", "/openapi.json"])
        let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: Any]
        let request = try XCTUnwrap((schemas?["ClassifyRequest"] as? [String: Any])?["oneOf"] as? [[String: Any]])
        let texts = (request[1]["properties"] as? [String: Any])?["texts"] as? [String: Any]
        XCTAssertEqual(texts?["maxItems"] as? Int, 4)
        XCTAssertEqual((texts?["items"] as? [String: Any])?["maxLength"] as? Int, 500)

        // Metrics: answers by status, and the 1 + 3 texts classified.
        let metrics = try server.get("/metrics")
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
        XCTAssertEqual(try server.metric(#"textclf_texts_classified_total{model="run"}"#), 4)
        XCTAssertEqual(try server.metric(#"textclf_http_requests_total{route="/v1/classify",method="POST",status="400"}"#), 4)
        XCTAssertEqual(try server.metric(#"textclf_http_requests_total{route="NotFound",method="GET",status="404"}"#), 1)
        XCTAssertEqual(try server.metric(#"textclf_queue_depth{model="run"}"#), 0)
        for name in ["textclf_http_request_duration_seconds_bucket", "textclf_batch_size_bucket", "textclf_tokens_classified_total",
                     "textclf_batch_duration_seconds_count"] {
            XCTAssertTrue(metrics.text.contains(name), "no \(name) in /metrics")
        }

        let stopped = server.terminate()
        assertSucceeds(stopped)
        XCTAssertEqual(stopped.events("stopped").count, 1, stopped.stdoutText)
    }

    func testBadUsageIsOneLineAndExit2() throws {
        let missing = try makeTemporaryDirectory(self).appendingPathComponent("no-such-run")
        assertFails(try CLI.run(["serve", "--model", missing.path, "--port", "0"]), naming: [missing.path])
        assertFails(try CLI.run(["serve", "--model", Fixtures.run.path, "--model", Fixtures.run.path]), naming: ["run", "NAME=DIR"])
        assertFails(try CLI.run(["serve", "--model", Fixtures.run.path, "--port", "70000"]), naming: ["--port"])
        assertFails(try CLI.run(["serve", "--model", Fixtures.run.path, "--max-batch-size", "0"]), naming: ["--max-batch-size"])
        assertFails(try CLI.run(["serve"]), naming: ["--model"])
    }
}
