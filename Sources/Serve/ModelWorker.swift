// One model's inference worker: a thread of its own loads the classifier and is the only one
// that ever touches it (`Classifier` is not Sendable), warms it up, then runs the jobs its
// queue hands out in length-bucketed batches.
import Foundation
import Heads
import Inference
import Store

/// Forward passes of every model take turns. The BLAS thread count is process-wide, and one
/// forward pass already uses every core (OpenBLAS's threads and the kernels' parallel loops), so
/// two models' batches at once would only fight over the same cores.
enum ComputeGate {
    private static let lock = NSLock()
    static func run<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

final class ModelWorker: Sendable {
    let info: ModelInfo
    let queue: BatchQueue
    private let status: WorkerStatus

    private init(info: ModelInfo, queue: BatchQueue, status: WorkerStatus) {
        self.info = info
        self.queue = queue
        self.status = status
    }

    /// Loads `spec` on a new thread and returns once it is loaded (throwing the load's error,
    /// e.g. an InputError naming the file); warming up goes on in the background (`isWarm`).
    static func start(_ spec: ModelSpec, store: Store, settings: ServeSettings, metrics: ServeMetrics) async throws -> ModelWorker {
        let name = spec.name
        metrics.register(model: name)
        let queue = BatchQueue(settings: settings.batching, maxQueuedTexts: settings.limits.maxQueuedTexts) { depth in
            metrics.queueDepth(model: name, depth)
        }
        let status = WorkerStatus()
        let info: ModelInfo = try await withCheckedThrowingContinuation { loaded in
            let thread = Thread {
                let model: TrainedModel
                do {
                    model = try TrainedModel.load(spec.directory, store: store, verifyBackbone: settings.verifyBackbone)
                } catch {
                    status.end()
                    loaded.resume(throwing: error)
                    return
                }
                loaded.resume(returning: describe(model, name: name))
                let runner = BatchRunner(model: model, name: name, maxBatchSize: settings.batching.maxBatchSize, queue: queue, metrics: metrics)
                status.warmedUp(runner.warmUp())
                while let jobs = queue.take() { runner.run(jobs) }
                status.end()
            }
            thread.name = "textclf-serve-\(name)"
            thread.stackSize = 8 << 20
            thread.start()
        }
        return ModelWorker(info: info, queue: queue, status: status)
    }

    private static func describe(_ model: TrainedModel, name: String) -> ModelInfo {
        ModelInfo(name: name, labels: model.labels, backbone: model.source.name, backboneWeights: model.source.weights.rawValue,
                  pooling: model.pooling.rawValue, head: model.configuration.head.description, maxLength: model.maxLength,
                  precision: "fp32", testAccuracy: ModelInfo.testAccuracy(near: model.directory))
    }

    /// Warmed up without error: loaded, and one batch has gone through.
    var isWarm: Bool { status.isWarm }

    func classify(_ texts: [String], timeout: Duration) async throws -> [Classification] {
        try await queue.submit(ClassifyJob(texts: texts), timeout: timeout)
    }

    /// Refuses new jobs, answers the waiting ones, and returns when the thread has ended.
    func stop() async {
        queue.stop()
        await status.ended()
    }
}

/// The worker thread's state as others see it.
private final class WorkerStatus: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var warm = false
    private var done = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    var isWarm: Bool { lock.withLock { warm } }

    func warmedUp(_ ok: Bool) { lock.withLock { warm = ok } }

    func end() {
        let waiting: [CheckedContinuation<Void, Never>] = lock.withLock {
            done = true
            defer { waiters = [] }
            return waiters
        }
        for waiter in waiting { waiter.resume() }
    }

    func ended() async {
        await withCheckedContinuation { continuation in
            let finished: Bool = lock.withLock {
                if !done { waiters.append(continuation) }
                return done
            }
            if finished { continuation.resume() }
        }
    }
}
