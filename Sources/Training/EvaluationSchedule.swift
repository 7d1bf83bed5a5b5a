// When training pauses to look at itself: a periodic evaluation every `eval_every` steps (not
// on an epoch's last step, which the epoch-end evaluation covers), a resumable save every
// `save_every` steps, and early stopping on the monitored validation figure.

/// Which steps get a periodic evaluation or a save, besides every epoch end.
struct EvaluationSchedule {
    let evalEvery: Int?
    let saveEvery: Int?

    init(_ configuration: TrainingConfiguration) {
        evalEvery = configuration.evalEvery
        saveEvery = configuration.saveEvery
    }

    func evaluates(after step: Int, endsEpoch: Bool) -> Bool { Self.due(evalEvery, step, endsEpoch) }
    func saves(after step: Int, endsEpoch: Bool) -> Bool { Self.due(saveEvery, step, endsEpoch) }

    private static func due(_ every: Int?, _ step: Int, _ endsEpoch: Bool) -> Bool {
        guard let every, !endsEpoch else { return false }
        return step % every == 0
    }
}

/// The best validation figure so far and how long it has not improved. Its bookkeeping lives
/// in the trainer state, so a resumed run continues it.
struct EarlyStopping {
    let monitor: TrainingConfiguration.Monitor
    let patience: Int?

    /// Records `value` at `step`; true if it is the best so far.
    func update(_ state: inout TrainerState, value: Double) -> Bool {
        let improved = state.bestValue.map { monitor.lowerIsBetter ? value < $0 : value > $0 } ?? true
        if improved {
            state.bestValue = value
            state.bestStep = state.step
            state.evaluationsWithoutImprovement = 0
        } else {
            state.evaluationsWithoutImprovement += 1
        }
        return improved
    }

    /// Whether the run should stop now.
    func exhausted(_ state: TrainerState) -> Bool {
        guard let patience else { return false }
        return state.evaluationsWithoutImprovement >= patience
    }
}
