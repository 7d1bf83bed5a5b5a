// The SMS spam reference example (Raschka, "Build a Large Language Model (From Scratch)",
// chapter 6) with textclf's library API: fine-tune GPT-2 to tell spam from ham, report the
// accuracy before and after, then classify new messages with the saved model.
//
//     swift run -c release SpamExample [CONFIG.json] [--epochs N] [--output DIR]
//
// The recipe is in config.json beside this file (the same as `textclf finetune --task spam`).
// Pretrained GPT-2 weights are used when the Store finds them (cache, TEXTCLF_MIRROR, download);
// otherwise the task's fallback, pretrained all-MiniLM-L6-v2, if found; otherwise a randomly
// initialised GPT-2. Either way with a warning.
import Common
import Foundation
import Inference
import Store
import Tasks
import Training

func main() throws {
    var arguments = Array(CommandLine.arguments.dropFirst())
    func option(_ name: String) -> String? {
        guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
        defer { arguments.removeSubrange(i...(i + 1)) }
        return arguments[i + 1]
    }
    let epochs = option("--epochs").flatMap(Int.init)
    let output = option("--output").map { URL(fileURLWithPath: $0) }
    let configURL = arguments.first.map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("config.json")

    // 1. The recipe: dataset, backbone, head, training settings.
    var task = try ClassificationTask.load(from: configURL)
    if let epochs { task.training.epochs = epochs }

    // 2. Dataset split, backbone (pretrained or random, never silently), classifier, run directory.
    let store = try Store()
    let run = try FineTuneRun.start(task, output: output, store: store, log: { print($0) })
    for warning in run.configuration.warnings { print("WARNING: \(warning)") }
    print("model: \(run.configuration.modelNote)")

    // 3. Train, printing each evaluation.
    run.trainer.observer = { event in
        switch event {
        case .prepared(let plan): print("trainable: \(plan.trainable.description)")
        case .baseline(let evaluations):
            print("before training: " + evaluations.map { "\($0.split) \(percent($0.accuracy))" }.joined(separator: ", "))
        case .evaluated(let r):
            print(String(format: "step %4d (epoch %d): train loss %.3f acc %@, validation loss %.3f acc %@", r.step, r.epoch,
                         r.trainLoss, percent(r.trainAccuracy), r.validationLoss, percent(r.validationAccuracy)))
        default: break
        }
    }
    let result = try run.run()
    print("after training:  " + result.final.map { "\($0.split) \(percent($0.accuracy))" }.joined(separator: ", "))
    if let test = result.final("test") { print(test.summary) }
    print(String(format: "training took %.1f s; run directory %@", result.timing.totalSeconds, run.directory.path))

    // 4. Load the saved classifier back (as `textclf predict` does) and classify new texts.
    let model = try TrainedModel.load(run.directory, store: store)
    let messages = [
        "You are a winner you have been specially selected to receive $1000 cash or a $2000 award.",
        "Hey, just wanted to check if we're still on for dinner tonight? Let me know!",
    ]
    for (text, prediction) in zip(messages, try model.predict(messages)) {
        print("\(prediction.label) (\(String(format: "%.3f", prediction.probabilities[prediction.classIndex]))): \(text)")
    }
}

do {
    try main()
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(error is InputError ? 2 : 1)
}
