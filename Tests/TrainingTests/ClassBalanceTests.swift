import Common
import Datasets
import Foundation
import TensorEngine
@testable import Training
import XCTest

/// Class weights, the balanced sampler and PR/ROC-AUC against PyTorch and scikit-learn:
/// Fixtures/imbalance_reference.json, written by scripts/make_imbalance_fixtures.py.
final class ClassBalanceTests: XCTestCase {
    struct Reference: Decodable {
        struct CrossEntropy: Decodable { let weights: [Float]?; let loss: Double; let grad: [Float] }
        struct Ranking: Decodable { let scores: [Double]; let truth: [Int]; let average_precision: Double; let roc_auc: Double }
        let logits: [Float]
        let labels: [Int32]
        let cross_entropy: [CrossEntropy]
        let train_labels: [Int]
        let balanced_weights: [Double]
        let ranking: Ranking
    }

    static let reference: Reference = {
        let url = Bundle.module.url(forResource: "imbalance_reference", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()

    /// Loss and gradient of (weighted) cross-entropy as torch computes them. Each logit-row's
    /// softmax is a handful of float32 operations on values below 10 in magnitude, so each
    /// figure is within a few ulps of 1 (about 1e-7); 1e-5 leaves a wide margin whatever the
    /// summation order.
    func testWeightedCrossEntropyMatchesTorch() throws {
        let r = Self.reference
        for expected in r.cross_entropy {
            let logits = Variable(try Tensor(shape: [r.labels.count, 3], values: r.logits), requiresGrad: true)
            let tape = Tape()
            let loss = try Ops.crossEntropy(logits: logits, labels: r.labels, classWeights: expected.weights, tape: tape)
            tape.backward(from: loss)
            XCTAssertEqual(Double(loss.value[flat: 0]), expected.loss, accuracy: 1e-5 * max(1, abs(expected.loss)), "\(expected.weights ?? [])")
            let grad = try XCTUnwrap(logits.grad).scalars
            for (a, b) in zip(grad, expected.grad) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(expected.weights ?? [])") }
        }
        let logits = Variable(try Tensor(shape: [r.labels.count, 3], values: r.logits))
        XCTAssertThrowsError(try Ops.crossEntropy(logits: logits, labels: r.labels, classWeights: [1, 2], tape: nil)) {
            XCTAssertTrue("\($0)".contains("2 class weights for 3 classes"), "\($0)")
        }
    }

    func testBalancedWeightsMatchScikitLearn() throws {
        let r = Self.reference
        let weights = try XCTUnwrap(ClassWeights.balanced.weights(labels: r.train_labels, classes: ["a", "b", "c"]))
        for (a, b) in zip(weights, r.balanced_weights) { XCTAssertEqual(Double(a), b, accuracy: 1e-6) }
        XCTAssertNil(try ClassWeights.none.weights(labels: r.train_labels, classes: ["a", "b", "c"]))
        XCTAssertThrowsError(try ClassWeights.balanced.weights(labels: [0, 0, 2], classes: ["a", "b", "c"])) {
            XCTAssertTrue("\($0)".contains("class 'b' has no training examples"), "\($0)")
        }
        XCTAssertThrowsError(try ClassWeights.explicit([1, 2]).weights(labels: [0, 1, 2], classes: ["a", "b", "c"])) {
            XCTAssertTrue("\($0)".contains("2 given for 3 classes"), "\($0)")
        }
    }

    func testClassWeightsParseAndRoundTripThroughTheConfiguration() throws {
        XCTAssertEqual(try ClassWeights(parsing: "none"), ClassWeights.none)
        XCTAssertEqual(try ClassWeights(parsing: "balanced"), .balanced)
        XCTAssertEqual(try ClassWeights(parsing: "1, 2.5"), .explicit([1, 2.5]))
        for bad in ["", "1,,2", "1,x", "-1,2", "0,0", "inf,1"] {
            XCTAssertThrowsError(try ClassWeights(parsing: bad), bad) { XCTAssertTrue("\($0)".contains("class weights"), "\($0)") }
        }
        for (weights, sampler) in [(ClassWeights.explicit([1, 4]), ClassSampler.balanced), (.balanced, .shuffle), (ClassWeights.none, .shuffle)] {
            var configuration = TrainingConfiguration()
            configuration.classWeights = weights
            configuration.sampler = sampler
            let decoded = try JSONDecoder().decode(TrainingConfiguration.self, from: JSONEncoder().encode(configuration))
            XCTAssertEqual(decoded, configuration)
        }
        let fromFile = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(#"{"class_weights": [1, 3], "sampler": "balanced"}"#.utf8))
        XCTAssertEqual(fromFile.classWeights, .explicit([1, 3]))
        XCTAssertEqual(fromFile.sampler, .balanced)
    }

    func testRankingMetricsMatchScikitLearn() throws {
        let r = Self.reference.ranking
        let metrics = try XCTUnwrap(RankingMetrics(scores: r.scores, positives: r.truth.map { $0 == 1 }))
        XCTAssertEqual(metrics.averagePrecision, r.average_precision, accuracy: 1e-12)
        XCTAssertEqual(metrics.rocAUC, r.roc_auc, accuracy: 1e-12)
        XCTAssertNil(RankingMetrics(scores: [0.1, 0.9], positives: [true, true]), "undefined without negatives")
    }

    /// 90 of one class and 10 of the other: the balanced sampler draws each class about equally
    /// often (2,000 draws; a binomial's standard deviation is about 22, and the draws are seeded,
    /// so the count is fixed), and the same seed and epoch give the same batches.
    func testBalancedSamplerDrawsEachClassEquallyOften() throws {
        let labels = [Int](repeating: 0, count: 90) + [Int](repeating: 1, count: 10)
        let weights = try XCTUnwrap(ClassSampler.balanced.sampleWeights(labels: labels, classes: ["ham", "spam"]))
        XCTAssertNil(try ClassSampler.shuffle.sampleWeights(labels: labels, classes: ["ham", "spam"]))
        let sampler = try BatchSampler(lengths: labels.indices.map { $0 % 7 + 1 }, batchSize: 8, order: .bucketed(seed: 5),
                                       sampleWeights: weights)
        var spam = 0, draws = 0
        for epoch in 0 ..< 20 {
            let batches = sampler.batches(epoch: epoch)
            XCTAssertEqual(batches, sampler.batches(epoch: epoch))
            XCTAssertEqual(batches.count, sampler.batchCount)
            for index in batches.joined() {
                draws += 1
                if labels[index] == 1 { spam += 1 }
            }
        }
        XCTAssertEqual(draws, 2_000)
        XCTAssertTrue((900 ... 1_100).contains(spam), "\(spam) of \(draws) draws are spam")
        XCTAssertThrowsError(try BatchSampler(lengths: [1, 2], batchSize: 1, order: .inOrder, sampleWeights: [1, 1]))
        XCTAssertThrowsError(try BatchSampler(lengths: [1, 2], batchSize: 1, order: .bucketed(seed: 1), sampleWeights: [0, 0]))
    }
}
