// The queue between the HTTP handlers and one model's worker thread. Handlers add jobs and
// await them; the worker takes what is waiting once a batch is full or the oldest job has
// waited `maxWait`. Each job's continuation is resumed exactly once, by whichever comes first:
// its results, its timeout, its task's cancellation, a full queue.
import Foundation

/// One request's texts and the handler waiting for them. Mutable state is guarded by the
/// queue's lock.
final class ClassifyJob: @unchecked Sendable {
    let texts: [String]
    let arrival = ContinuousClock.now
    fileprivate var continuation: CheckedContinuation<[Classification], any Error>?
    fileprivate var taken = false
    fileprivate var cancelled = false

    init(texts: [String]) { self.texts = texts }
}

final class BatchQueue: @unchecked Sendable {  // every mutable member is guarded by `condition`
    let settings: BatchingSettings
    let maxQueuedTexts: Int
    private let condition = NSCondition()
    private var waiting: [ClassifyJob] = []
    private var waitingTexts = 0
    private var stopping = false
    private let onDepthChange: @Sendable (Int) -> Void

    init(settings: BatchingSettings, maxQueuedTexts: Int, onDepthChange: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.settings = settings
        self.maxQueuedTexts = maxQueuedTexts
        self.onDepthChange = onDepthChange
    }

    /// Texts waiting to be taken.
    var depth: Int { condition.withLock { waitingTexts } }

    // MARK: Handler side

    /// The job's results; 503 when the queue is full or the job waits longer than `timeout`.
    func submit(_ job: ClassifyJob, timeout: Duration) async throws -> [Classification] {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let refusal: (any Error)? = condition.withLock {
                    if job.cancelled { return CancellationError() }
                    if stopping { return ServeError.unavailable("the server is shutting down") }
                    if waitingTexts > 0 && waitingTexts + job.texts.count > maxQueuedTexts {
                        return ServeError.unavailable("the queue is full (\(waitingTexts) texts waiting, at most \(maxQueuedTexts)); retry later")
                    }
                    job.continuation = continuation
                    waiting.append(job)
                    waitingTexts += job.texts.count
                    onDepthChange(waitingTexts)
                    condition.broadcast()
                    return nil
                }
                if let refusal {
                    continuation.resume(throwing: refusal)
                    return
                }
                // Weak: a job answered in time is freed then, not when its timer fires.
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds) { [self, weak job] in
                    guard let job else { return }
                    fail(job, ServeError.unavailable("no answer within the \(timeout.milliseconds) ms timeout; retry later"))
                }
            }
        } onCancel: {
            fail(job, CancellationError())
        }
    }

    /// Resumes the job with `error` unless it has been resumed; a job not yet taken leaves the queue.
    private func fail(_ job: ClassifyJob, _ error: any Error) {
        let continuation: CheckedContinuation<[Classification], any Error>? = condition.withLock {
            job.cancelled = true
            guard let continuation = job.continuation else { return nil }
            job.continuation = nil
            if !job.taken, let index = waiting.firstIndex(where: { $0 === job }) {
                waiting.remove(at: index)
                waitingTexts -= job.texts.count
                onDepthChange(waitingTexts)
            }
            return continuation
        }
        continuation?.resume(throwing: error)
    }

    // MARK: Worker side

    /// Blocks until jobs are waiting, then until `maxBatchSize` texts are or the oldest job has
    /// waited `maxWait` (no waiting once stopping), and takes them all. Nil once stopped and empty.
    func take() -> [ClassifyJob]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            while waiting.isEmpty && !stopping { condition.wait() }
            // The oldest job, again after every wait: it may have timed out meanwhile.
            guard let oldest = waiting.first else { return nil }
            let left = ContinuousClock.now.duration(to: oldest.arrival + settings.maxWait)
            if stopping || waitingTexts >= settings.maxBatchSize || left <= .zero {
                let jobs = waiting
                for job in jobs { job.taken = true }
                waiting.removeAll(keepingCapacity: true)
                waitingTexts = 0
                onDepthChange(0)
                return jobs
            }
            _ = condition.wait(until: Date().addingTimeInterval(left.seconds))
        }
    }

    /// Already answered (timed out, cancelled): its texts need not be run.
    func isAnswered(_ job: ClassifyJob) -> Bool {
        condition.withLock { job.continuation == nil }
    }

    /// Resumes a taken job with its results (unless it timed out or was cancelled meanwhile).
    func finish(_ job: ClassifyJob, with result: Result<[Classification], any Error>) {
        let continuation: CheckedContinuation<[Classification], any Error>? = condition.withLock {
            defer { job.continuation = nil }
            return job.continuation
        }
        continuation?.resume(with: result)
    }

    /// New jobs are refused from now on; `take` hands out what is waiting without waiting for
    /// a full batch, then returns nil.
    func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
    var milliseconds: Int { Int(components.seconds) * 1000 + Int(components.attoseconds / 1_000_000_000_000_000) }
}
