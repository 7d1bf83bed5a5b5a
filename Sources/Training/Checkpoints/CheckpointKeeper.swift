// What a run keeps on disk while it trains, and when:
//   model/    the best weights by the monitored figure (or, with restore_best off, the final ones)
//   best/     with restore_best off, the best weights, kept beside the final model/
//   resume/   the state `--resume` continues from (trainer state, trainable tensors, optimiser)
// Every directory is written whole and then swapped in (DirectoryCommit), so a kill at any
// moment leaves the previous version.
import Common
import Foundation
import Heads
import Inference
import TensorEngine

final class CheckpointKeeper {
    let classifier: Classifier
    let configuration: TrainingConfiguration
    /// What checkpoints save and record: everything that trains in any stage the run reaches
    /// (the trainable policy itself unless unfreezing gradually).
    let policy: TrainablePolicy
    /// The parameters `policy` trains, whose best values are kept.
    let kept: [Parameter]
    let source: BackboneSource
    let version: String?
    let modelDirectory: URL?
    let bestDirectory: URL?
    let resumeDirectory: URL?

    /// The trainable tensors at the best evaluation so far, and whether they are newer than
    /// what is on disk.
    private(set) var bestValues: [String: Tensor]?
    private var bestUnsaved = false
    /// False on the ranks of a job other than 0: they read resume/ but write nothing.
    private let writes: Bool
    /// Of the tensors a checkpoint leaves out, computed once (they do not change).
    private var frozenChecksum: String?

    /// `classifier`'s flags must be those of `policy` (they are read here once).
    init(classifier: Classifier, configuration: TrainingConfiguration, policy: TrainablePolicy, source: BackboneSource, version: String?,
         modelDirectory: URL?, bestDirectory: URL?, resumeDirectory: URL?, writes: Bool = true) {
        self.writes = writes
        self.classifier = classifier
        self.configuration = configuration
        self.policy = policy
        kept = classifier.trainableParameters
        self.source = source
        self.version = version
        self.modelDirectory = modelDirectory
        self.bestDirectory = bestDirectory
        self.resumeDirectory = resumeDirectory
    }

    private var content: CheckpointConfiguration.TensorsInfo.Content { configuration.fullCheckpoint ? .full : .trainable }
    /// Where the best weights go: model/ itself, or best/ when model/ gets the final ones.
    private var bestTarget: URL? { configuration.restoreBest ? modelDirectory : bestDirectory }

    /// Remembers the kept tensors as they are now as the best so far.
    func noteBest() {
        bestValues = Dictionary(uniqueKeysWithValues: kept.map { ($0.name, $0.value.copy()) })
        bestUnsaved = true
    }

    /// Puts the best weights back into the classifier; false if there are none.
    func restoreBest() -> Bool {
        guard let bestValues else { return false }
        for parameter in kept { if let best = bestValues[parameter.name] { parameter.value.assign(best) } }
        return true
    }

    /// Runs `body` with the trainable flags of `policy` (a checkpoint saves the tensors that
    /// have requiresGrad), then puts back the flags of the stage in force.
    private func withSavedFlags<T>(_ body: () throws -> T) rethrows -> T {
        let flags = classifier.namedParameters.map { ($0.parameter, $0.parameter.requiresGrad) }
        classifier.apply(policy)
        defer { for (parameter, flag) in flags where parameter.requiresGrad != flag { parameter.setRequiresGrad(flag) } }
        return try body()
    }

    /// The classifier's decision rule changed (fitted after training): the best checkpoint is
    /// written again with it, though its weights did not change.
    func decisionChanged() {
        if bestValues != nil { bestUnsaved = true }
    }

    /// Writes the best weights if they changed since the last write.
    func saveBest(step: Int) throws {
        guard writes, bestUnsaved, let bestValues, let target = bestTarget else { return }
        try withSavedFlags {
            try ClassifierCheckpoint.save(classifier, source: source, policy: policy, to: target, content: content,
                                          step: step, values: bestValues, checksum: checksum(), version: version)
        }
        bestUnsaved = false
    }

    /// model/ with the weights as they are now (when model/ holds the final weights).
    func saveFinal(step: Int) throws {
        guard writes, let modelDirectory else { return }
        try withSavedFlags {
            try ClassifierCheckpoint.save(classifier, source: source, policy: policy, to: modelDirectory,
                                          content: content, step: step, checksum: checksum(), version: version)
        }
    }

    /// The best weights, then resume/ (so a resumed run finds the best it had).
    func saveResumeState(_ state: TrainerState, bestStep: Int, trainable: [Parameter], optimizer: any Optimizer) throws {
        guard writes, let resumeDirectory else { return }
        try saveBest(step: bestStep)
        try ResumeFiles.write(state, parameters: trainable, optimizer: optimizer.state(), to: resumeDirectory)
    }

    /// The saved state, with the trainable tensors, the optimiser and the best weights loaded.
    /// `trainable` sets up the classifier for the saved state (its unfreezing stage) and
    /// returns the parameters that train there.
    func loadResumeState(optimizer: any Optimizer, trainable stage: (TrainerState) throws -> [Parameter]) throws -> TrainerState {
        guard let resumeDirectory, ResumeFiles.exists(in: resumeDirectory) else {
            throw InvalidInput("nothing to resume: \(resumeDirectory?.path ?? "(no run directory)") holds no saved state")
        }
        let state = try ResumeFiles.readState(resumeDirectory)
        let trainable = try stage(state)
        let loaded = try ClassifierCheckpoint.loadTensors(
            SafeTensorsFile(url: resumeDirectory.appendingPathComponent(ResumeFiles.trainable)), into: classifier)
        let expected = Set(trainable.map(\.name))
        guard loaded == expected else {
            throw InvalidInput("\(resumeDirectory.path): the saved trainable tensors do not match the parameters this run trains at the saved step (policy \(configuration.trainable), unfreeze \(configuration.unfreeze)) (\(loaded.symmetricDifference(expected).sorted().prefix(3).joined(separator: ", ")) ...)")
        }
        try optimizer.load(ResumeFiles.readOptimizer(resumeDirectory, steps: state.optimizerSteps), parameters: trainable)
        if state.bestStep != nil, let bestTarget {
            bestValues = try Self.readTensors(bestTarget.appendingPathComponent(ClassifierCheckpoint.tensorFile), names: Set(kept.map(\.name)))
        }
        return state
    }

    private func checksum() throws -> String {
        if let frozenChecksum { return frozenChecksum }
        let computed = try withSavedFlags {
            try ClassifierCheckpoint.frozenChecksum(classifier, saved: ClassifierCheckpoint.savedNames(classifier, content: content))
        }
        frozenChecksum = computed
        return computed
    }

    private static func readTensors(_ url: URL, names: Set<String>) throws -> [String: Tensor] {
        let file = try SafeTensorsFile(url: url)
        var result: [String: Tensor] = [:]
        for name in names {
            let stored = try file.floats(name)
            result[name] = try withExtendedLifetime(stored.owner) { try Tensor(shape: stored.shape, values: Array(stored.floats), name: name) }
        }
        return result
    }
}
