// Two ways to bring your own dataset to textclf:
//   1. a JSON spec (tickets.json): no code, for CSV/TSV files and archives;
//   2. a Swift type implementing `DatasetAdapter` (FeedbackDataset below), for anything else —
//      here JSON lines whose label comes from a star rating.
// Both are registered in a `DatasetRegistry` next to the built-in datasets, and the registry
// goes to `FineTuneRun`, which trains a classifier on the Swift adapter's data; the trained
// classifier then labels new texts.
//
//     swift run -c release CustomDatasetExample [DIRECTORY-WITH-tickets.json]

import Common
import DataIO
import Datasets
import Foundation
import Heads
import Store
import Tasks
import Training

/// Product feedback as JSON lines `{"id": ..., "text": ..., "stars": 1-5}`: 1–2 stars are
/// negative, 4–5 positive, and 3-star lines are left out (counted as skipped).
struct FeedbackDataset: DatasetAdapter {
    let file: URL
    let name = "feedback"
    let summary = "Invented product feedback (JSON lines), negative/positive from the stars"
    var source: DatasetSource { .files([file]) }
    var defaultSplitPolicy: SplitPolicy { .ratios(train: 0.6, validation: 0.2, test: 0.2, seed: 1, stratify: true) }

    func load(using store: Store) throws -> RawDataset {
        let labels = try LabelSet(["negative", "positive"])
        let location = DataLocation(file: file.path)
        let text = try ArchiveReader(path: file.path).open().readAllText()
        var examples: [Example] = []
        var skipped = SkipReport()
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            // Bad input is an error naming the file and line, never a crash.
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let body = object["text"] as? String, let stars = object["stars"] as? Int, (1 ... 5).contains(stars) else {
                throw ReadError(.invalidValue, location, line: index + 1, "expected {\"text\": string, \"stars\": 1-5}")
            }
            if stars == 3 {
                skipped.add(SkipReport.Row(location: location.description, line: index + 1, row: index + 1,
                                           reason: "neutral", detail: "3 stars: neither negative nor positive"))
                continue
            }
            examples.append(Example(text: body, label: stars >= 4 ? 1 : 0, id: object["id"] as? String, row: index + 1))
        }
        return try RawDataset(name: name, labels: labels,
                              sources: [SourceSplit(name: "all", location: location.description, examples: examples)],
                              skipped: skipped)
    }
}

let directory = CommandLine.arguments.dropFirst().first.map { URL(fileURLWithPath: $0) }
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent()

do {
    var registry = DatasetRegistry.builtIn
    try registry.register(FeedbackDataset(file: directory.appendingPathComponent("data/feedback.jsonl")))
    try registry.registerSpec(at: directory.appendingPathComponent("tickets.json").path)
    print("registered:", registry.adapters.map(\.name).joined(separator: ", "))

    let store = try Store()
    for name in ["feedback", "tickets"] {
        let adapter = try registry.adapter(named: name)
        let raw = try adapter.load(using: store)
        let splits = try raw.split(adapter.defaultSplitPolicy)
        print("\n\(name): \(adapter.summary)")
        print("  labels: \(raw.labels.names.joined(separator: ", "));  \(raw.skipped.summary)")
        for split in SplitName.allCases {
            print("  \(split): \(splits[split].count) examples, per class \(splits.labelCounts(split))")
        }
        if let first = splits.train.first {
            print("  first training example: [\(raw.labels[first.label])] \(first.text.replacingOccurrences(of: "\n", with: " / "))")
        }
        // A run directory would keep this, so the split can be replayed (also from Python).
        let record = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-example-\(name)-split.json")
        try splits.record.write(to: record)
        let replayed = try raw.split(reproducing: SplitRecord.read(from: record))
        print("  split record: \(record.path) (replays identically: \(replayed.train == splits.train))")
        try? FileManager.default.removeItem(at: record)
    }

    // Fine-tune on the Swift adapter's data: the run finds "feedback" in the registries given.
    var task = ClassificationTask.forDataset("feedback")
    task.training.epochs = 10
    task.training.optimizer.learningRate = 1e-4
    task.training.evalEvery = nil
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-example-feedback-\(getpid())")
    defer { try? FileManager.default.removeItem(at: output) }
    let run = try FineTuneRun.start(task, output: output, store: store, registries: Registries(datasets: registry),
                                    log: { print("  " + $0) })
    for warning in run.configuration.warnings { print("  warning: \(warning)") }
    let result = try run.run()
    let before = result.baseline("test")?.accuracy ?? 0, after = result.final("test")?.accuracy ?? 0
    print("\nfeedback, fine-tuned (\(run.configuration.modelNote)): test accuracy \(before) → \(after)")
    let texts = ["The app crashed again and I lost my work.", "Exactly what I wanted, works perfectly."]
    for (text, prediction) in zip(texts, try run.classifier.predict(texts)) {
        print("  \(prediction.label) (\(prediction.probabilities.max() ?? 0)): \(text)")
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(error is InputError ? 2 : 1)
}
