import Backbones
import Foundation
import Heads
import Tokenizers
import TensorEngine
import XCTest
import TestRequirements

/// The classifier on the tiny GPT-2 fixture: pooling that ignores padding and batch company,
/// prediction, truncation, freezing counts.
final class ClassifierTests: XCTestCase {
    override func setUpWithError() throws {
        do { try BLAS.ensureLoaded() } catch { throw missingPrerequisite("OpenBLAS not available: \(error)") }
    }

    static let short = "The dog ran."
    static let others = ["A much longer text about a fox and a dog that ran and ran.", "Hi!", "The fox and the dog ran far away today."]

    /// `last`, `mean`, `first`, `max`: the same text alone, or padded among longer texts in
    /// batches of several sizes, gives the same logits. `position-last` does not (it reads padding).
    func testPoolingIsIndependentOfPaddingAndBatch() throws {
        for pooling in Pooling.allCases {
            let classifier = try tinyClassifier(pooling: pooling)
            let text = classifier.encode(Self.short).ids
            let others = Self.others.map { classifier.encode($0).ids }
            let alone = try classifier.logits(classifier.input([text]), tape: nil).value.scalars
            var differs = false
            for company in [[others[0]], others, [others[1], others[0]], [others[2], others[2], others[0], others[1]]] {
                for position in [0, company.count] {
                    var batch = company
                    batch.insert(text, at: position)
                    let all = try classifier.logits(classifier.input(batch), tape: nil).value.scalars
                    let row = Array(all[(position * 3)..<(position * 3 + 3)])
                    if pooling.readsPadding {
                        differs = differs || relativeError(row, alone) > 1e-3
                    } else {
                        XCTAssertLessThan(relativeError(row, alone), 1e-5, "\(pooling) in a batch of \(batch.count) at \(position)")
                    }
                }
            }
            if pooling.readsPadding { XCTAssertTrue(differs, "position-last should depend on padding") }
        }
    }

    /// Pooling one position per text lets the last block compute only those rows: logits and
    /// every gradient equal the full path's (every row of every block, then pooled).
    func testOutputRowsPathEqualsTheFullPath() throws {
        for pooling in [Pooling.last, .first] {
            let classifier = try tinyClassifier(pooling: pooling)
            classifier.apply(.all)
            let input = try classifier.input((Self.others + [Self.short]).map { classifier.encode($0).ids })
            let labels: [Int32] = [0, 2, 1, 1]
            func run(_ forward: (Tape) throws -> Variable) throws -> ([Float], [String: [Float]]) {
                for p in classifier.trainableParameters { p.grad = nil }
                let tape = Tape()
                let logits = try forward(tape)
                tape.backward(from: try Ops.crossEntropy(logits: logits, labels: labels, tape: tape))
                return (logits.value.scalars, Dictionary(uniqueKeysWithValues: classifier.trainableParameters.map { ($0.name, $0.grad!.scalars) }))
            }
            let (fast, fastGrads) = try run { try classifier.logits(input, tape: $0) }
            let (full, fullGrads) = try run { tape in
                let hidden = try classifier.backbone.forward(input, tape: tape)
                return try classifier.head.forward(pooling.pool(hidden, batch: input.batch, tape: tape), tape: tape)
            }
            XCTAssertLessThan(relativeError(fast, full), 1e-5, "\(pooling) logits")
            XCTAssertEqual(Set(fastGrads.keys), Set(fullGrads.keys))
            for (name, g) in fullGrads { XCTAssertLessThan(relativeError(fastGrads[name]!, g), 1e-4, "\(pooling) grad \(name)") }
        }
    }

    /// A text gets the same prediction alone or in any batch, whatever the batch size.
    func testPredictionAloneEqualsInBatch() throws {
        let classifier = try tinyClassifier(pooling: .last)
        let alone = try classifier.predict(Self.short)
        let texts = Self.others + [Self.short] + Self.others.reversed()
        for batchSize in [1, 2, 3, 16] {
            let predictions = try classifier.predict(texts, batchSize: batchSize)
            let inBatch = predictions[Self.others.count]
            XCTAssertEqual(inBatch.label, alone.label)
            XCTAssertLessThan(relativeError(inBatch.probabilities, alone.probabilities), 1e-5, "batch size \(batchSize)")
            XCTAssertEqual(predictions.count, texts.count)
        }
        XCTAssertEqual(alone.probabilities.reduce(0, +), 1, accuracy: 1e-5)
        XCTAssertEqual(alone.label, classifier.labels[alone.classIndex])
    }

    /// A text longer than the max length is cut and says so; it then predicts like its first
    /// max-length tokens.
    func testLongTextIsTruncatedAndFlagged() throws {
        let classifier = try tinyClassifier(pooling: .last, maxLength: 8)
        let long = String(repeating: "the fox and the dog ran ", count: 10)
        let prediction = try classifier.predict(long)
        XCTAssertTrue(prediction.truncated)
        XCTAssertEqual(prediction.tokenCount, 8)
        XCTAssertFalse(try classifier.predict("Hi!").truncated)
        let firstTokens = classifier.tokenizer.encode(long).prefix(8).map { Int32($0) }
        let direct = try classifier.logits(classifier.input([Array(firstTokens)]), tape: nil).value.scalars
        XCTAssertLessThan(relativeError(prediction.probabilities, softmax(direct)), 1e-6)
        // The classifier refuses a max length beyond the backbone's context.
        XCTAssertThrowsError(try tinyClassifier(pooling: .last, maxLength: 33))
    }

    /// An empty text is read as the pad token alone rather than failing.
    func testEmptyTextPredicts() throws {
        let classifier = try tinyClassifier(pooling: .mean)
        XCTAssertEqual(classifier.encode("").ids, [Int32(classifier.tokenizer.padTokenID)])
        XCTAssertEqual(try classifier.predict("").probabilities.count, 3)
    }

    /// Policies freeze the right units; the frozen prefix is what the cache may skip.
    func testPoliciesOnTheTinyModel() throws {
        let classifier = try tinyClassifier(pooling: .last)
        let head = 3 * 32 + 3, block = 4 * 32 + (32 * 96 + 96) + (32 * 32 + 32) + (32 * 128 + 128) + (128 * 32 + 32), norm = 64
        let embeddings = 300 * 32 + 32 * 32
        let expected: [(TrainablePolicy, Int, Int)] = [
            (.head, head, 2), (.lastBlock, block + norm + head, 1), (.lastBlocks(2), 2 * block + norm + head, 0),
            (.lastBlocks(5), 2 * block + norm + head, 0), (.all, embeddings + 2 * block + norm + head, 0),
        ]
        for (policy, count, prefix) in expected {
            let summary = classifier.apply(policy)
            XCTAssertEqual(summary.parameterCount, count, "\(policy)")
            XCTAssertEqual(summary.frozenPrefixBlocks, prefix, "\(policy)")
            XCTAssertEqual(summary.totalParameterCount, embeddings + 2 * block + norm + head)
            XCTAssertEqual(classifier.trainableParameters.reduce(0) { $0 + $1.value.count }, count)
        }
    }

    /// GPT-2 124M with a 2-class head: `last-block` trains 7,090,946 parameters (the reference's
    /// count), `head` 1,538, `all` 124,441,346. Random weights with the tiny fixture's vocabulary
    /// (the count depends only on shapes; the 50,257-row embedding is kept).
    func testTrainableCountsOfGPT2Small() throws {
        let tokenizer = try GPT2Tokenizer.load(directory: tinyGPT2Directory)
        let backbone = try GPT2Model.randomlyInitialized(config: .gpt2, seed: 1, tokenizer: tokenizer)
        let classifier = try Classifier(backbone: backbone, labels: ["ham", "spam"], seed: 1)
        XCTAssertEqual(classifier.apply(.lastBlock).parameterCount, 7_090_946)
        XCTAssertEqual(classifier.apply(.lastBlock).description,
                       "7,090,946 of 124,441,346 parameters trainable (5.70%), policy last-block")
        XCTAssertEqual(classifier.apply(.head).parameterCount, 1_538)
        XCTAssertEqual(classifier.apply(.lastBlocks(2)).parameterCount, 14_178_818)
        XCTAssertEqual(classifier.apply(.all).parameterCount, 124_441_346)
        XCTAssertEqual(classifier.apply(.lastBlock).frozenPrefixBlocks, 11)
    }
}
