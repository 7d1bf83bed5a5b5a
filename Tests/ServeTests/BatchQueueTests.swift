import Foundation
import XCTest
@testable import Serve

/// The queue between handlers and a worker: when a worker's `take` returns, and how a job ends
/// when no worker answers it (full queue, timeout, cancellation, shutdown). Every job's
/// continuation must be resumed exactly once (a double resume traps, a missing one hangs).
final class BatchQueueTests: XCTestCase {
    private let answer = [Classification(label: "a", probabilities: [1, 0], truncated: false, tokens: 1)]

    private func waitUntil(_ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(20)
        while !condition() && Date() < deadline { usleep(1000) }
        XCTAssertTrue(condition(), "condition not met within 20 s")
    }

    private func assertUnavailable(_ error: Error, containing words: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let error = error as? ServeError else { return XCTFail("\(error) is not a ServeError", file: file, line: line) }
        XCTAssertEqual(error.status, .serviceUnavailable, file: file, line: line)
        XCTAssertEqual(error.headers[.retryAfter], "1", file: file, line: line)
        XCTAssertTrue(error.message.contains(words), error.message, file: file, line: line)
    }

    /// A full batch is taken at once, however long `maxWait` is.
    func testAFullBatchIsTakenWithoutWaiting() async throws {
        let queue = BatchQueue(settings: BatchingSettings(maxBatchSize: 3, maxWait: .seconds(3600)), maxQueuedTexts: 10)
        let first = Task { try await queue.submit(ClassifyJob(texts: ["a", "b"]), timeout: .seconds(3600)) }
        waitUntil { queue.depth == 2 }
        let second = Task { try await queue.submit(ClassifyJob(texts: ["c"]), timeout: .seconds(3600)) }
        let jobs = try XCTUnwrap(queue.take())
        XCTAssertEqual(jobs.map(\.texts), [["a", "b"], ["c"]])
        XCTAssertEqual(queue.depth, 0)
        for job in jobs { queue.finish(job, with: .success(Array(repeating: answer[0], count: job.texts.count))) }
        let firstResult = try await first.value
        let secondResult = try await second.value
        XCTAssertEqual(firstResult.count, 2)
        XCTAssertEqual(secondResult, answer)
    }

    /// With `maxWait` 0 a lone job is taken as it comes.
    func testALoneJobIsTakenAfterMaxWait() async throws {
        let queue = BatchQueue(settings: BatchingSettings(maxBatchSize: 32, maxWait: .zero), maxQueuedTexts: 10)
        let task = Task { try await queue.submit(ClassifyJob(texts: ["a"]), timeout: .seconds(3600)) }
        let jobs = try XCTUnwrap(queue.take())
        XCTAssertEqual(jobs.count, 1)
        queue.finish(jobs[0], with: .success(answer))
        queue.finish(jobs[0], with: .success(answer))  // a second answer is dropped, not a second resume
        let result = try await task.value
        XCTAssertEqual(result, answer)
    }

    func testAFullQueueRefusesWith503AndAnEmptyOneTakesAnySize() async throws {
        let queue = BatchQueue(settings: BatchingSettings(maxBatchSize: 100, maxWait: .seconds(3600)), maxQueuedTexts: 3)
        let big = Task { try await queue.submit(ClassifyJob(texts: ["a", "b", "c", "d"]), timeout: .seconds(3600)) }
        waitUntil { queue.depth == 4 }  // over the cap, but the queue was empty
        do {
            _ = try await queue.submit(ClassifyJob(texts: ["e"]), timeout: .seconds(3600))
            XCTFail("a job was queued beyond the cap")
        } catch { assertUnavailable(error, containing: "queue is full") }
        XCTAssertEqual(queue.depth, 4)
        queue.stop()
        let jobs = try XCTUnwrap(queue.take(), "stopping: what waits is handed out without waiting for a full batch")
        XCTAssertEqual(jobs.count, 1)
        XCTAssertNil(queue.take())
        queue.finish(jobs[0], with: .success(Array(repeating: answer[0], count: 4)))
        let result = try await big.value
        XCTAssertEqual(result.count, 4)
        do {
            _ = try await queue.submit(ClassifyJob(texts: ["f"]), timeout: .seconds(3600))
            XCTFail("a stopped queue took a job")
        } catch { assertUnavailable(error, containing: "shutting down") }
    }

    func testATimedOutJobIsAnswered503AndLeavesTheQueue() async throws {
        let queue = BatchQueue(settings: BatchingSettings(maxBatchSize: 100, maxWait: .seconds(3600)), maxQueuedTexts: 10)
        do {
            _ = try await queue.submit(ClassifyJob(texts: ["a", "b"]), timeout: .milliseconds(20))
            XCTFail("no worker, yet an answer")
        } catch { assertUnavailable(error, containing: "timeout") }
        XCTAssertEqual(queue.depth, 0)
    }

    /// A job that times out after a worker took it: the worker's late answer is dropped.
    func testATakenJobThatTimesOutIsAnsweredOnce() async throws {
        let queue = BatchQueue(settings: BatchingSettings(maxBatchSize: 1, maxWait: .zero), maxQueuedTexts: 10)
        let task = Task { try await queue.submit(ClassifyJob(texts: ["a"]), timeout: .milliseconds(50)) }
        let jobs = try XCTUnwrap(queue.take())
        do {
            _ = try await task.value
            XCTFail("answered before the worker finished")
        } catch { assertUnavailable(error, containing: "timeout") }
        XCTAssertTrue(queue.isAnswered(jobs[0]))
        queue.finish(jobs[0], with: .success(answer))
    }

    func testACancelledRequestLeavesTheQueue() async throws {
        let queue = BatchQueue(settings: BatchingSettings(maxBatchSize: 100, maxWait: .seconds(3600)), maxQueuedTexts: 10)
        let task = Task { try await queue.submit(ClassifyJob(texts: ["a", "b", "c"]), timeout: .seconds(3600)) }
        waitUntil { queue.depth == 3 }
        task.cancel()
        do {
            _ = try await task.value
            XCTFail("a cancelled job was answered")
        } catch { XCTAssertTrue(error is CancellationError, "\(error)") }
        XCTAssertEqual(queue.depth, 0)
    }
}
