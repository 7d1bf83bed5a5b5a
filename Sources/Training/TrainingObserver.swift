// The trainer's one way of telling: every event goes to its observers in order. Progress
// display, metrics.jsonl and curves.svg hang here; anything else that watches a run (a
// logger, a dashboard) is one more observer, with no change to the loop.
import Foundation

public protocol TrainingObserver: AnyObject {
    /// Called on the training thread. `history` holds every evaluation so far, those of the
    /// sessions before a resume included. A throw stops training with that error.
    func trainingDidEmit(_ event: TrainingEvent, history: [EvaluationRecord]) throws
}

/// Rewrites metrics.jsonl and curves.svg after each evaluation (atomically, whole, so a
/// resumed run continues them without duplicates).
public final class RunFilesObserver: TrainingObserver {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    public func trainingDidEmit(_ event: TrainingEvent, history: [EvaluationRecord]) throws {
        guard case .evaluated = event else { return }
        try RunFiles.writeMetrics(history, plotTitle: "", to: directory)
    }
}

/// A closure as an observer (the trainer's `observer` property).
final class ClosureObserver: TrainingObserver {
    let body: (TrainingEvent) -> Void
    init(_ body: @escaping (TrainingEvent) -> Void) { self.body = body }
    func trainingDidEmit(_ event: TrainingEvent, history: [EvaluationRecord]) throws { body(event) }
}
