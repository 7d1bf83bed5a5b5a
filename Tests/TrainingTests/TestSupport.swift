import Backbones
import Common
import Datasets
import Foundation
import Heads
import Inference
import TensorEngine
import Tokenizers
import Training
import XCTest
import TestRequirements

/// The tiny GPT-2 fixture of BackbonesTests (2 blocks, width 32, vocabulary 300; see its README),
/// read in place from the source tree.
let tinyGPT2Directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("BackbonesTests/Fixtures/tiny-gpt2")

func requireBLAS() throws {
    do { try BLAS.ensureLoaded() } catch { throw missingPrerequisite("OpenBLAS not available: \(error)") }
}

func tinyGPT2(dropout: Float = 0) throws -> GPT2Model {
    try GPT2Model.load(directory: tinyGPT2Directory.appendingPathComponent("hf"), dropout: dropout)
}

let tinySource = BackboneSource(name: "tiny-gpt2", weights: .directory, path: tinyGPT2Directory.appendingPathComponent("hf").path)

/// A tiny classifier on the fixture GPT-2 with a seeded linear head.
func tinyClassifier(labels: [String] = ["calm", "storm", "sun"], pooling: Pooling? = nil, head: HeadSpec = .linear,
                    seed: UInt64 = 5, maxLength: Int? = nil, dropout: Float = 0) throws -> Classifier {
    try Classifier(backbone: tinyGPT2(dropout: dropout), labels: labels, head: head, pooling: pooling, maxLength: maxLength, seed: seed)
}

/// Invented short texts in three classes, each class with its own words; seeded.
func syntheticExamples(count: Int, seed: UInt64) -> [Example] {
    let words = [["quiet", "still", "soft", "slow", "calm"], ["wind", "rain", "storm", "loud", "dark"], ["sun", "warm", "bright", "dry", "clear"]]
    let filler = ["the", "day", "was", "and", "a", "very", "it", "felt"]
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { i in
        let label = rng.uniform(below: 3)
        let length = 2 + rng.uniform(below: 8)
        let text = (0..<length).map { _ in rng.uniform(below: 3) == 0 ? filler[rng.uniform(below: filler.count)] : words[label][rng.uniform(below: 5)] }
            .joined(separator: " ")
        return Example(text: text, label: label, row: i + 1)
    }
}

func syntheticData(for classifier: Classifier, train: Int = 48, validation: Int = 16, test: Int = 16) -> TrainingData {
    TrainingData(labels: classifier.labels,
                 train: TrainingData.encode(syntheticExamples(count: train, seed: 1), classifier),
                 validation: TrainingData.encode(syntheticExamples(count: validation, seed: 2), classifier),
                 test: TrainingData.encode(syntheticExamples(count: test, seed: 3), classifier))
}

func temporaryDirectory(_ name: String = #function) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-training-tests-\(getpid())-\(name.filter(\.isLetter))")
    try? FileManager.default.removeItem(at: url)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// max |a − b| / max |b|.
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count, !a.isEmpty else { return .infinity }
    var maxDiff: Float = 0, scale: Float = 0
    for (x, y) in zip(a, b) {
        guard x.isFinite else { return .infinity }
        maxDiff = max(maxDiff, abs(x - y))
        scale = max(scale, abs(y))
    }
    return maxDiff / max(scale, .leastNormalMagnitude)
}

extension Classifier {
    /// Every parameter's values, by name (to compare two models bit for bit).
    var snapshot: [String: [Float]] {
        Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.name, $0.parameter.value.scalars) })
    }
}

/// A run with the frozen-prefix cache against the same run without it (see
/// `FrozenPrefixCacheTests.testTrainingWithAndWithoutCacheAgree` for the tolerances): the same
/// evaluations within 1e-4 of the loss, and weight updates within 1e-3 of the largest.
func assertCachedAndPlainRunsAgree(_ cached: (TrainingResult, before: [String: [Float]], after: [String: [Float]]),
                                   _ plain: (TrainingResult, before: [String: [Float]], after: [String: [Float]]),
                                   file: StaticString = #filePath, line: UInt = #line) {
    for (a, b) in zip(cached.0.baseline + cached.0.final, plain.0.baseline + plain.0.final) {
        XCTAssertEqual(a.loss, b.loss, accuracy: 1e-4 * b.loss, a.split, file: file, line: line)
        XCTAssertEqual(a.confusion, b.confusion, a.split, file: file, line: line)
    }
    var trained = 0
    for (name, after) in plain.after {
        let update = zip(after, plain.before[name]!).map { $0 - $1 }
        guard update.contains(where: { $0 != 0 }) else { continue }
        trained += 1
        let cachedUpdate = zip(cached.after[name]!, cached.before[name]!).map { $0 - $1 }
        XCTAssertLessThan(relativeError(cachedUpdate, update), 1e-3, name, file: file, line: line)
    }
    XCTAssertGreaterThan(trained, 4, "the last block and the head should have trained", file: file, line: line)
}
