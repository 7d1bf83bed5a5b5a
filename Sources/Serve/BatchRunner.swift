// The work of a worker thread: the texts of the jobs it took, tokenised as `predict` does,
// run in length-bucketed batches; each job is answered as soon as its last text is done.
import Foundation
import Heads
import Inference

struct BatchRunner {
    let model: TrainedModel
    let name: String
    let maxBatchSize: Int
    let queue: BatchQueue
    let metrics: ServeMetrics

    /// One full batch of a short text: the weights are paged in and the buffers sized before
    /// the first request. False if it failed (the server then never reports ready).
    func warmUp() -> Bool {
        let ids = model.classifier.encode("warm up").ids
        return (try? ComputeGate.run { try model.classifier.logits(tokens: Array(repeating: ids, count: maxBatchSize), batchSize: maxBatchSize) }) != nil
    }

    func run(_ taken: [ClassifyJob]) {
        let jobs = taken.filter { !queue.isAnswered($0) }
        var texts: [String] = []
        var owners: [(job: Int, text: Int)] = []
        for (j, job) in jobs.enumerated() {
            texts += job.texts
            owners += job.texts.indices.map { (j, $0) }
        }
        let classifier = model.classifier
        let encoded = classifier.encodeWindows(texts)  // one input per text, or its windows (--long-text chunks)
        let tokens = encoded.map { $0.windows.reduce(0) { $0 + $1.count } }
        var results = jobs.map { [Classification?](repeating: nil, count: $0.texts.count) }
        var remaining = jobs.map(\.texts.count)
        var failed = [Bool](repeating: false, count: jobs.count)
        let batches = BatchPlan.batches(lengths: tokens, maxBatchSize: maxBatchSize,
                                        equalLengthsOnly: classifier.pooling.readsPadding)
        for batch in batches {
            let start = ContinuousClock.now
            do {
                let logits = try ComputeGate.run { try classifier.logits(windows: batch.map { encoded[$0].windows }, batchSize: batch.count) }
                // As `Classifier.predict`: the classifier's decision rule per row.
                let decision = classifier.decision
                for (row, index) in batch.enumerated() {
                    let (probabilities, given, best) = decision.decide(logits[row])
                    results[owners[index].job][owners[index].text] = Classification(
                        label: classifier.labels[best], probabilities: probabilities,
                        labels: decision.isMultiLabel ? given.map { classifier.labels[$0] } : nil,
                        truncated: encoded[index].truncated, tokens: tokens[index])
                }
                metrics.batch(model: name, size: batch.count, tokens: batch.reduce(0) { $0 + tokens[$1] },
                              duration: start.duration(to: .now))
            } catch {
                for index in batch where !failed[owners[index].job] {
                    failed[owners[index].job] = true
                    queue.finish(jobs[owners[index].job], with: .failure(ServeError(.internalServerError, "inference failed: \(error)")))
                }
            }
            for index in batch {
                let j = owners[index].job
                remaining[j] -= 1
                if remaining[j] == 0 && !failed[j] { queue.finish(jobs[j], with: .success(results[j].map { $0! })) }
            }
        }
    }
}
