import Foundation
import XCTest

/// Inputs the CLI tests share, written once per test process under the private home: a tiny
/// two-label dataset (CSV + spec) and a run trained on it with the tiny BERT fixture.
enum Fixtures {
    static let root: URL = {
        let url = CLI.home.appendingPathComponent("fixtures")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// 120 short texts, "pos" and "neg" alternating, each class with its own words; seeded.
    static let csv: String = {
        let words = [["great", "good", "nice", "love", "happy", "fine", "super", "bright"],
                     ["bad", "awful", "sad", "hate", "poor", "ugly", "dull", "grim"]]
        let filler = ["a", "the", "this", "some", "thing", "day"]
        var state: UInt64 = 7
        func next(_ bound: Int) -> Int {  // SplitMix64: the same texts on every run
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
        var lines = ["text,label"]
        for i in 0 ..< 120 {
            let label = i % 2
            let text = (0 ..< 5).map { j in j < 3 ? words[label][next(8)] : filler[next(6)] }.joined(separator: " ")
            lines.append("\(text),\(label == 0 ? "pos" : "neg")")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    /// The tiny dataset's spec (its CSV beside it).
    static let spec: URL = {
        let directory = root.appendingPathComponent("tiny")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try! Data(csv.utf8).write(to: directory.appendingPathComponent("data.csv"))
        return try! writeSpec(in: directory, name: "spec.json", source: ["path": "data.csv"])
    }()

    /// A dataset spec reading `source` (relative to `directory`) as CSV with columns text, label,
    /// split 60/20/20.
    static func writeSpec(in directory: URL, name: String, source: [String: Any], extra: [String: Any] = [:]) throws -> URL {
        var object: [String: Any] = ["name": "tiny", "source": source, "format": "csv", "text": "text", "label": "label",
                                     "splits": ["ratios": ["train": 0.6, "validation": 0.2, "test": 0.2], "seed": 1]]
        object.merge(extra) { $1 }
        let url = directory.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: url)
        return url
    }

    /// The options of a quick run of the tiny dataset on `backbone` (one epoch: about 0.2 s).
    static func finetune(output: URL, backbone: URL = CLI.tinyBERT, dataset: URL = spec, epochs: Int = 1, batchSize: Int = 8,
                         _ more: [String] = []) -> [String] {
        ["finetune", "--json", "--dataset", dataset.path, "--backbone", backbone.path, "--epochs", String(epochs),
         "--batch-size", String(batchSize), "--output", output.path] + more
    }

    /// A finished run of the tiny dataset on tiny BERT.
    static let run: URL = {
        let url = root.appendingPathComponent("run")
        if !FileManager.default.fileExists(atPath: url.appendingPathComponent("model/model.safetensors").path) {
            try? FileManager.default.removeItem(at: url)
            let result = try! CLI.run(finetune(output: url))
            precondition(result.status == 0, "the shared fixture run failed: \(result.summary)")
        }
        return url
    }()
}
