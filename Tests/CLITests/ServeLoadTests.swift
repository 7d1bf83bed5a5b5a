import Foundation
import XCTest

/// Overload and shutdown: a full queue, a timeout, SIGTERM with requests in flight.
final class ServeLoadTests: XCTestCase {
    private let depth = #"textclf_queue_depth{model="run"}"#

    /// A request is held in the queue (a batch waits up to 5 s to fill); the next one finds the
    /// queue full and gets 503 with Retry-After, and the first is still answered.
    func testAFullQueueIs503WithRetryAfter() throws {
        let server = try Server(self, ["--model", Fixtures.run.path, "--max-queue", "4", "--max-texts", "4",
                                       "--max-batch-size", "64", "--max-wait-ms", "5000"])
        let port = server.port
        let held = HTTPInBackground { try HTTP.post(port: port, "/v1/classify", json: ["texts": ["a", "b", "c", "d"]]) }
        try server.waitForMetric(depth, 4)
        let refused = try server.post("/v1/classify", json: ["text": "e"])
        XCTAssertEqual(refused.status, 503, refused.summary)
        XCTAssertEqual(refused.headers["retry-after"], "1")
        XCTAssertTrue((refused.error?["message"] as? String)?.contains("queue is full") == true, refused.summary)
        let answer = try held.answer()
        XCTAssertEqual(answer.status, 200, answer.summary)
        XCTAssertEqual((answer.json?["results"] as? [Any])?.count, 4)
        XCTAssertEqual(try server.metric(#"textclf_http_requests_total{route="/v1/classify",method="POST",status="503"}"#), 1)
        assertSucceeds(server.terminate())
    }

    func testATimedOutRequestIs503() throws {
        let server = try Server(self, ["--model", Fixtures.run.path, "--timeout-ms", "200", "--max-batch-size", "64", "--max-wait-ms", "60000"])
        let answer = try server.post("/v1/classify", json: ["text": "a"])
        XCTAssertEqual(answer.status, 503, answer.summary)
        XCTAssertEqual(answer.headers["retry-after"], "1")
        XCTAssertTrue((answer.error?["message"] as? String)?.contains("200 ms timeout") == true, answer.summary)
        XCTAssertEqual(try server.metric(depth), 0, "the timed-out request left the queue")
        assertSucceeds(server.terminate())
    }

    /// SIGTERM while 8 requests wait in the queue: the listener closes, every one of them is
    /// answered 200, and the process exits 0.
    func testSIGTERMDrainsRequestsInFlight() throws {
        let server = try Server(self, ["--model", Fixtures.run.path, "--max-batch-size", "64", "--max-wait-ms", "2000"])
        let port = server.port
        let requests = (0 ..< 8).map { i in HTTPInBackground { try HTTP.post(port: port, "/v1/classify", json: ["text": "good day \(i)"]) } }
        try server.waitForMetric(depth, 8)
        let result = server.terminate()
        for request in requests {
            let answer = try request.answer()
            XCTAssertEqual(answer.status, 200, answer.summary)
            XCTAssertNotNil(answer.json?["label"] as? String, answer.summary)
        }
        assertSucceeds(result)
        XCTAssertEqual(result.events("stopped").count, 1, result.stdoutText)
        XCTAssertThrowsError(try HTTP.get(port: port, "/healthz"), "still listening after exit")
    }

    /// Bodies that are not what the API takes, none of which may crash the server.
    func testHostileBodiesAreRefusedAndTheServerLives() throws {
        let server = try Server(self, ["--model", Fixtures.run.path, "--max-body-bytes", "100000"])
        let bodies: [Data] = [
            Data(String(repeating: "[", count: 90_000).utf8),
            Data(#"{"texts": ["# .utf8) + Data(repeating: 0xFF, count: 1000) + Data(#""]}"#.utf8),
            Data([0x00, 0x01, 0x02]),
            Data(#"{"text": "\ud800"}"#.utf8),
            Data(#"{"text": 1e999}"#.utf8),
            Data(#"{"texts": [[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]}"#.utf8),
            Data(("{\"text\": \"" + String(repeating: "\\u0000", count: 1000) + "\"}").utf8),
        ]
        for body in bodies {
            let answer = try HTTP.request(port: server.port, "POST", "/v1/classify", body: body)
            XCTAssertTrue((400 ..< 500).contains(answer.status) || answer.status == 200, answer.summary)
            XCTAssertNotNil(answer.error ?? answer.json, "not JSON: \(answer.summary)")
        }
        // A request line and headers HTTP cannot parse: the connection's 400, not a crash.
        let garbage = try? HTTP.request(port: server.port, "P\u{1}ST", "/v1/classify", body: Data("{}".utf8))
        XCTAssertNotEqual(garbage?.status, 200)
        XCTAssertEqual(try server.get("/healthz").status, 200)
        assertSucceeds(server.terminate())
    }
}

/// A request running on its own thread; `answer()` waits for it.
final class HTTPInBackground: @unchecked Sendable {  // `result` is written once before `done` is signalled
    private var result: Result<HTTPAnswer, Error>?
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @Sendable @escaping () throws -> HTTPAnswer) {
        Thread { [self] in
            result = Result { try body() }
            done.signal()
        }.start()
    }

    func answer(timeout: TimeInterval = 60) throws -> HTTPAnswer {
        guard done.wait(timeout: .now() + timeout) == .success else { throw HTTPFailure(description: "no answer within \(timeout) s") }
        return try result!.get()
    }
}
