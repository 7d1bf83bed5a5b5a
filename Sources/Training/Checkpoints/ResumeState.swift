// What `--resume` needs to continue a run exactly where it stopped, kept in RUN/resume/:
//
//   state.json              step, epoch and batch position, early-stopping bookkeeping, the
//                           evaluation history, optimiser step counts, the unfreezing stage of
//                           the saved tensors (format textclf-trainer-state/1)
//   trainable.safetensors   the trainable parameters as they are now
//   optimizer.safetensors   the optimiser's buffers, named <buffer>.<parameter>
//
// The batch order of an epoch is a pure function of the seed and the epoch number, so the
// position (epoch, next batch) is the sampler's whole state. The only other random numbers
// drawn once training has started are dropout masks: a pure function of the run's seed and
// the number of masks drawn before, which state.json records.
import Common
import Foundation
import Inference
import TensorEngine

struct TrainerState: Codable {
    static let formatTag = "textclf-trainer-state/1"

    var format = formatTag
    /// Optimiser steps done.
    var step = 0
    /// 0-based epoch in progress and the index of its next batch.
    var epoch = 0
    var nextBatch = 0
    var bestValue: Double?
    var bestStep: Int?
    var evaluationsWithoutImprovement = 0
    var examplesSeen = 0
    var tokensSeen = 0
    var trainSeconds: Double = 0
    var evalSeconds: Double = 0
    /// Sum and count of step losses since the last record, and over the current epoch.
    var windowLossSum: Double = 0
    var windowLossCount = 0
    var stoppedEarly = false
    var optimizerSteps: [String: Int] = [:]
    /// Dropout masks drawn so far (the backbone's generator position). Absent in states
    /// written before it was recorded: those resume exactly only without dropout.
    var dropoutCalls: UInt64?
    /// The gradual-unfreezing stage in force when saved: which parameters trainable.safetensors
    /// and the optimiser buffers hold (absent: 0, the only stage without gradual unfreezing).
    var unfreezeStage: Int?
    /// The ranks of the job that saved the state (absent: 1). The global batch is the run's
    /// batch size whatever the rank count, so a job of another size resumes the same batches.
    var ranks: Int?
    var history: [EvaluationRecord] = []
    var baseline: [SplitEvaluation] = []

    enum CodingKeys: String, CodingKey {
        case format, step, epoch, nextBatch = "next_batch", bestValue = "best_value", bestStep = "best_step"
        case evaluationsWithoutImprovement = "evaluations_without_improvement", examplesSeen = "examples_seen"
        case tokensSeen = "tokens_seen", trainSeconds = "train_seconds", evalSeconds = "eval_seconds"
        case windowLossSum = "window_loss_sum", windowLossCount = "window_loss_count", stoppedEarly = "stopped_early"
        case optimizerSteps = "optimizer_steps", dropoutCalls = "dropout_calls", unfreezeStage = "unfreeze_stage", ranks, history, baseline
    }
}

enum ResumeFiles {
    static let state = "state.json"
    static let trainable = "trainable.safetensors"
    static let optimizer = "optimizer.safetensors"

    static func write(_ state: TrainerState, parameters: [Parameter], optimizer: OptimizerState, to directory: URL) throws {
        try DirectoryCommit.write(to: directory) { staging in
            var weights = SafeTensorsWriter(metadata: ["textclf": TrainerState.formatTag])
            for parameter in parameters {
                try weights.add(parameter.name, shape: parameter.shape,
                                floats: UnsafeBufferPointer(start: parameter.value.pointer, count: parameter.value.count), owner: parameter.value)
            }
            try weights.write(to: staging.appendingPathComponent(trainable))
            var buffers = SafeTensorsWriter(metadata: ["textclf": TrainerState.formatTag])
            for (name, tensor) in optimizer.tensors {
                try buffers.add(name, shape: tensor.shape, floats: UnsafeBufferPointer(start: tensor.pointer, count: tensor.count), owner: tensor)
            }
            try buffers.write(to: staging.appendingPathComponent(Self.optimizer))
            try AtomicFile.write(try JSONFiles.pretty(state), to: staging.appendingPathComponent(Self.state))
        }
    }

    static func exists(in directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(state).path)
    }

    static func readState(_ directory: URL) throws -> TrainerState {
        let url = directory.appendingPathComponent(state)
        let decoded = try JSONFiles.read(TrainerState.self, from: url, what: "trainer state")
        guard decoded.format == TrainerState.formatTag else {
            throw InvalidInput("\(url.path): format \"\(decoded.format)\" is not \"\(TrainerState.formatTag)\"")
        }
        return decoded
    }

    /// The optimiser buffers as tensors (copied out of the mapped file).
    static func readOptimizer(_ directory: URL, steps: [String: Int]) throws -> OptimizerState {
        let file = try SafeTensorsFile(url: directory.appendingPathComponent(optimizer))
        var tensors: [String: Tensor] = [:]
        for name in file.names {
            let stored = try file.floats(name)
            tensors[name] = try withExtendedLifetime(stored.owner) {
                try Tensor(shape: stored.shape, values: Array(stored.floats), name: name)
            }
        }
        return OptimizerState(tensors: tensors, steps: steps)
    }
}
