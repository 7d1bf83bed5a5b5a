import Backbones
import Common
import Datasets
import Foundation
import Heads
import Inference
import Tasks
import TensorEngine
import Tokenizers
@testable import Training
import XCTest

/// Training and evaluating with `--long-text chunks`: the loss is taken on each text's
/// aggregated logits (one term per text, however many windows), the frozen-prefix cache and
/// length buckets work on the windows, and the policy goes through checkpoints and task files.
final class LongTextTrainingTests: XCTestCase {
    override func setUpWithError() throws { try requireBLAS() }

    func chunkedClassifier(maxLength: Int = 4, _ policy: LongTextPolicy = .chunks(stride: 1, aggregation: .mean)) throws -> Classifier {
        let classifier = try tinyClassifier(maxLength: maxLength)
        try classifier.useLongText(policy)
        return classifier
    }

    /// Loss and gradients of a batch of examples given as window lists, as a training step
    /// takes them (aggregated logits, then mean cross-entropy over the examples).
    func lossAndGradients(_ classifier: Classifier, _ documents: [[[Int32]]], labels: [Int]) throws -> (Double, [String: [Float]]) {
        var windows: [Range<Int>] = []
        for document in documents { windows.append((windows.last?.upperBound ?? 0)..<(windows.last?.upperBound ?? 0) + document.count) }
        let examples = TokenizedExamples(tokens: documents.flatMap { $0 }, labels: labels, padTokenID: 0, windows: windows)
        classifier.apply(.all)
        for parameter in classifier.trainableParameters { parameter.zeroGrad() }
        let tape = Tape()
        let logits = try classifier.exampleLogits(examples, Array(labels.indices), rowsPerForward: 32, tape: tape) { rows in
            try classifier.logits(classifier.input(rows.map { examples.tokens[$0] }), tape: tape)
        }
        let loss = try Ops.crossEntropy(logits: logits, labels: labels.map { Int32($0) }, tape: tape)
        tape.backward(from: loss)
        let grads = Dictionary(uniqueKeysWithValues: classifier.namedParameters.map { ($0.name, $0.parameter.grad?.scalars ?? []) })
        return (Double(loss.value[flat: 0]), grads)
    }

    /// The windows of `chunks:STRIDE` are Hugging Face's overflowing tokens: the fast BERT
    /// tokenizer's `return_overflowing_tokens=True, stride=STRIDE` on the tiny BERT vocabulary
    /// (Fixtures/long_text_windows.json, written by scripts/make_long_text_fixtures.py), id
    /// for id, special tokens included, from an empty text to one of 45 windows.
    func testChunkWindowsMatchHuggingFaceOverflowingTokens() throws {
        struct Case: Decodable { let text: String; let max_length: Int; let stride: Int; let windows: [[Int]] }
        struct Reference: Decodable { let cases: [Case] }
        let url = try XCTUnwrap(Bundle.module.url(forResource: "long_text_windows", withExtension: "json", subdirectory: "Fixtures"))
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        let tokenizer = try BertTokenizer.load(directory: tinyGPT2Directory.deletingLastPathComponent().appendingPathComponent("tiny-bert"))
        XCTAssertEqual(reference.cases.count, 32)
        for item in reference.cases {
            let reader = try LongTextReader(.chunks(stride: item.stride, aggregation: .mean), frame: tokenizer.specialTokenFrame,
                                            maxLength: item.max_length)
            XCTAssertEqual(reader.inputs(tokenizer.encode(item.text)).windows, item.windows, "\(item.max_length) \(item.stride) \(item.text)")
        }
    }

    /// Each text counts once in the loss, whatever its number of windows: a text whose one
    /// window is repeated three times gives the loss and gradients of the text with that window
    /// once (a loss per window would weight it 3/4 instead of 1/2). The loss is the mean over
    /// texts of the cross-entropy of the mean window logits, computed here in Double from each
    /// window classified alone.
    func testChunkedLossWeightsEachTextOnce() throws {
        let classifier = try chunkedClassifier()
        let a: [Int32] = [11, 12, 13], b: [Int32] = [200, 17, 5, 9], c: [Int32] = [40, 41]
        let (once, gradsOnce) = try lossAndGradients(classifier, [[a], [b]], labels: [0, 2])
        let (thrice, gradsThrice) = try lossAndGradients(classifier, [[a], [b, b, b]], labels: [0, 2])
        // Three equal float32 rows averaged are the row within 2 ulps (about 2e-7 relative); the
        // loss keeps that, and a backward pass of a few dozen products stays near 1e-6 relative.
        XCTAssertEqual(thrice, once, accuracy: 1e-5 * once)
        for (name, grad) in gradsOnce where !grad.isEmpty {
            XCTAssertLessThan(relativeError(gradsThrice[name]!, grad), 1e-4, name)
        }

        let alone = try classifier.logits(tokens: [a, b, c], batchSize: 1).map { $0.map(Double.init) }
        func crossEntropy(_ row: [Double], _ label: Int) -> Double {
            let top = row.max()!
            return top + log(row.reduce(0) { $0 + exp($1 - top) }) - row[label]
        }
        let meanBC = zip(alone[1], alone[2]).map { ($0 + $1) / 2 }
        let expected = (crossEntropy(alone[0], 1) + crossEntropy(meanBC, 0)) / 2
        let (loss, _) = try lossAndGradients(classifier, [[a], [b, c]], labels: [1, 0])
        // float32 logits of magnitude ≲ 1 and a 3-class softmax: a few ulps, so 1e-5.
        XCTAssertEqual(loss, expected, accuracy: 1e-5 * max(1, expected))
        let perWindow = (crossEntropy(alone[0], 1) + crossEntropy(alone[1], 0) + crossEntropy(alone[2], 0)) / 3
        XCTAssertGreaterThan(abs(loss - perWindow), 1e-3, "the fixture must tell the two weightings apart")
    }

    /// Tags read as windows: a training step's loss is the binary cross-entropy (with
    /// pos_weight) of each text's aggregated logits, one term per text and label, as the softmax
    /// loss is. Reference: each window classified alone, windows averaged, BCE in Double.
    func testTagsLossIsTheBinaryCrossEntropyOfTheAggregatedLogits() throws {
        let classifier = try chunkedClassifier()
        classifier.apply(.all)
        let a: [Int32] = [11, 12, 13], b: [Int32] = [200, 17, 5, 9], c: [Int32] = [40, 41]
        let targets = [[0, 2], [1]], positiveWeights: [Float] = [2, 0.5, 1]
        let examples = TokenizedExamples(tokens: [a, b, c], labels: [0, 1], targets: targets, padTokenID: 0, windows: [0..<1, 1..<3])
        let alone = try classifier.logits(tokens: [a, b, c], batchSize: 1).map { $0.map(Double.init) }
        let rows = [alone[0], zip(alone[1], alone[2]).map { ($0 + $1) / 2 }]
        var expected = 0.0
        for (row, labels) in zip(rows, targets) {
            for (j, z) in row.enumerated() {
                let y = labels.contains(j) ? 1.0 : 0.0, p = Double(positiveWeights[j])
                let softplus = { (x: Double) in max(x, 0) + log1p(exp(-abs(x))) }
                expected += p * y * softplus(-z) + (1 - y) * softplus(z)
            }
        }
        expected /= 6
        let step = TrainingStep(trainable: classifier.trainableParameters, groups: [ParameterGroup(name: "all", parameters: classifier.trainableParameters)],
                                optimizer: SGD(learningRate: 0), gradientClipNorm: nil, classWeights: nil,
                                targets: targets, positiveWeights: positiveWeights)
        let outcome = try step([[0, 1]], labels: examples.labels, lengths: examples.lengths) { indices, tape in
            try classifier.exampleLogits(examples, indices, rowsPerForward: 32, tape: tape) { rows in
                try classifier.logits(classifier.input(rows.map { examples.tokens[$0] }), tape: tape)
            }
        }
        // float32 logits of magnitude ≲ 1 averaged and passed through a softplus: a few ulps, so 1e-5.
        XCTAssertEqual(outcome.loss, expected, accuracy: 1e-5 * max(1, expected))
        XCTAssertEqual(outcome.examples, 2, "texts, not windows")
    }

    /// Chunked data through the trainer: windows are cached by the frozen-prefix cache and
    /// bucketed by their text's total length; the run agrees with the one without the cache as
    /// closely as `FrozenPrefixCacheTests.testTrainingWithAndWithoutCacheAgree` argues (1e-3 of
    /// the largest update), and its evaluations are those of `SplitEvaluation.evaluate`.
    func testChunkedTrainingWithAndWithoutTheCache() throws {
        var configuration = TrainingConfiguration()
        configuration.epochs = 1
        configuration.batchSize = 4
        configuration.optimizer = .sgd(learningRate: 0.5)
        configuration.evalEvery = 5
        configuration.evalBatchSize = 3  // fewer windows than a batch of texts has: evaluations run them in pieces
        var results: [(TrainingResult, before: [String: [Float]], after: [String: [Float]])] = []
        for mode in [TrainingConfiguration.CacheMode.auto, .off] {
            configuration.cache = mode
            let classifier = try chunkedClassifier()
            let data = syntheticData(for: classifier)
            let windows = try XCTUnwrap(data.train.windows)
            XCTAssertEqual(data.train.count, 48)
            XCTAssertGreaterThan(windows.filter { $0.count > 1 }.count, 10, "texts of up to 9 words in windows of 4 tokens")
            let before = classifier.snapshot
            let trainer = try Trainer(classifier: classifier, data: data, configuration: configuration, source: tinySource)
            let result = try trainer.train()
            XCTAssertEqual(result.cache != nil, mode == .auto, result.plan.cacheNote)
            if let cache = result.cache { XCTAssertEqual(cache.texts, data.train.tokens.count + data.validation.tokens.count + data.test.tokens.count) }
            let test = try SplitEvaluation.evaluate(classifier, data.test, split: "test", batchSize: 5)
            let final = try XCTUnwrap(result.final.first { $0.split == "test" })
            XCTAssertEqual(test.confusion, final.confusion)
            XCTAssertEqual(test.loss, final.loss, accuracy: 1e-5 * final.loss)
            results.append((result, before, classifier.snapshot))
        }
        XCTAssertEqual(results[0].0.steps, 12, "48 texts in batches of 4: steps count texts, not windows")
        assertCachedAndPlainRunsAgree(results[0], results[1])
    }

    /// The policy is saved with the model and read back; a classifier.json without it (as
    /// written before the key existed) reads as truncate.
    func testThePolicyRoundTripsThroughTheCheckpoint() throws {
        let directory = try temporaryDirectory()
        let classifier = try chunkedClassifier(.chunks(stride: 1, aggregation: .max))
        classifier.apply(.lastBlock)
        try ClassifierCheckpoint.save(classifier, source: tinySource, policy: .lastBlock, to: directory)
        let loaded = try ClassifierCheckpoint.load(directory) { _ in try tinyGPT2() }
        XCTAssertEqual(loaded.configuration.longText, .chunks(stride: 1, aggregation: .max))
        XCTAssertEqual(loaded.classifier.longText.policy, .chunks(stride: 1, aggregation: .max))
        let texts = syntheticExamples(count: 5, seed: 9).map(\.text)
        XCTAssertEqual(try loaded.classifier.predict(texts).map(\.probabilities), try classifier.predict(texts).map(\.probabilities))

        let file = directory.appendingPathComponent("classifier.json")
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        XCTAssertEqual(json["long_text"] as? String, "chunks:1:max")
        json["long_text"] = nil
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        XCTAssertEqual(try ClassifierCheckpoint.load(directory) { _ in try tinyGPT2() }.classifier.longText.policy, .truncate)
        json["long_text"] = "chunks:9"
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        XCTAssertThrowsError(try ClassifierCheckpoint.load(directory) { _ in try tinyGPT2() }) {
            XCTAssertTrue("\($0)".contains(file.path) && "\($0)".contains("stride (overlap) 9"), "\($0)")
        }
    }

    func testTaskFilesTakeTheKey() throws {
        let task = try JSONDecoder().decode(ClassificationTask.self, from: Data(#"{"dataset": "imdb", "long_text": "head+tail"}"#.utf8))
        XCTAssertEqual(task.longText, .headTail)
        XCTAssertNil(try JSONDecoder().decode(ClassificationTask.self, from: Data(#"{"dataset": "imdb"}"#.utf8)).longText)
        let again = try JSONDecoder().decode(ClassificationTask.self, from: task.jsonData())
        XCTAssertEqual(again.longText, .headTail)
        let url = try temporaryDirectory().appendingPathComponent("task.json")
        try Data(#"{"dataset": "imdb", "long_text": "chunks:-4"}"#.utf8).write(to: url)
        XCTAssertThrowsError(try ClassificationTask.load(from: url)) {
            XCTAssertTrue("\($0)".contains("long_text") && "\($0)".contains("chunks:-4"), "\($0)")
        }
    }
}
