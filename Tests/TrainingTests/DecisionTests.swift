import Common
import Datasets
import Foundation
import Heads
import Inference
import TensorEngine
@testable import Training
import XCTest

/// Binary cross-entropy, threshold selection, multi-label metrics, ECE and temperature scaling
/// against PyTorch, scikit-learn and torchmetrics (Fixtures/decision_reference.json, written by
/// scripts/make_decision_fixtures.py); the decision rule through checkpoints and a trained tagger.
final class DecisionTests: XCTestCase {
    struct Reference: Decodable {
        struct BCE: Decodable {
            struct Case: Decodable { let pos_weight: [Float]?; let loss: Double; let grad: [Float] }
            let logits: [Float]; let targets: [Float]; let cases: [Case]
        }
        struct Threshold: Decodable {
            let scores: [Float]; let truth: [Int]; let best_f1_threshold: Float; let best_f1: Double
            let target_precision: [String: Float?]; let target_recall: [String: Float]
        }
        struct MultiLabel: Decodable { let truth: [[Int]]; let predicted: [[Int]]; let micro_f1, macro_f1, subset_accuracy, hamming_loss: Double }
        struct Softmax: Decodable { let logits: [Float]; let labels: [Int]; let ece, temperature, nll_at_temperature, nll_at_1: Double }
        struct Sigmoid: Decodable { let logits: [Float]; let targets: [[Int]]; let temperature, nll_at_temperature, first_label_ece: Double }
        let bce: BCE; let threshold: Threshold; let multi_label: MultiLabel; let softmax: Softmax; let sigmoid: Sigmoid
    }

    static let reference: Reference = {
        let url = Bundle.module.url(forResource: "decision_reference", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()

    /// Loss and gradient of BCE with logits (with and without pos_weight) as torch computes them,
    /// logits of ±40 included. Each element's loss is a softplus in Double and each gradient
    /// σ(x)·(p·y + 1 − y) − p·y in float32 on values below 10: within a few ulps of the larger
    /// term (about 1e-6 of it), so 1e-5 relative leaves a wide margin whatever the order.
    func testBinaryCrossEntropyMatchesTorch() throws {
        let r = Self.reference.bce
        for expected in r.cases {
            let logits = Variable(try Tensor(shape: [5, 4], values: r.logits), requiresGrad: true)
            let tape = Tape()
            let loss = try Ops.binaryCrossEntropy(logits: logits, targets: r.targets, positiveWeights: expected.pos_weight, tape: tape)
            tape.backward(from: loss)
            XCTAssertEqual(Double(loss.value[flat: 0]), expected.loss, accuracy: 1e-5 * max(1, abs(expected.loss)))
            let grad = try XCTUnwrap(logits.grad).scalars
            for (a, b) in zip(grad, expected.grad) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b))) }
        }
        let logits = Variable(try Tensor(shape: [5, 4], values: r.logits))
        XCTAssertThrowsError(try Ops.binaryCrossEntropy(logits: logits, targets: r.targets, positiveWeights: [1, 2], tape: nil)) {
            XCTAssertTrue("\($0)".contains("2 positive weights for 4 columns"), "\($0)")
        }
        XCTAssertThrowsError(try Ops.binaryCrossEntropy(logits: logits, targets: [1, 0], tape: nil))
    }

    /// The gradient by central differences (in Double, of the same Double loss): an independent
    /// check of the backward formula with pos_weight.
    func testBinaryCrossEntropyGradientByFiniteDifferences() throws {
        let r = Self.reference.bce
        let weights: [Float] = [1, 3, 0.5, 10]
        let logits = Variable(try Tensor(shape: [5, 4], values: r.logits), requiresGrad: true)
        let tape = Tape()
        tape.backward(from: try Ops.binaryCrossEntropy(logits: logits, targets: r.targets, positiveWeights: weights, tape: tape))
        let grad = try XCTUnwrap(logits.grad).scalars
        func loss(_ values: [Float]) -> Double {
            values.withUnsafeBufferPointer { x in r.targets.withUnsafeBufferPointer { t in weights.withUnsafeBufferPointer { w in
                BinaryCrossEntropyKernel.forward(sigmoids: nil, logits: x.baseAddress!, targets: t.baseAddress!, positiveWeights: w.baseAddress!,
                                                 rows: 5, columns: 4) / 20
            } } }
        }
        for k in [1, 5, 9, 14, 19] {
            var plus = r.logits, minus = r.logits
            plus[k] += 1e-2
            minus[k] -= 1e-2
            // The loss is computed in Double from float32 logits, so the quotient's error is
            // the O(h²) term (h = 1e-2, second derivative ≤ p/4/20): below 1e-4.
            XCTAssertEqual(Double(grad[k]), (loss(plus) - loss(minus)) / 2e-2, accuracy: 1e-4, "logit \(k)")
        }
    }

    /// Best-F1 threshold as sklearn's precision_recall_curve gives it, and the target-precision
    /// and target-recall thresholds, on scores with ties. sklearn's thresholds are scores; ours
    /// lie halfway to the next lower score, so they must cut the scores at the same place:
    /// `same` checks that no score lies between the two.
    func testThresholdSelectionMatchesScikitLearn() {
        let r = Self.reference.threshold
        let positives = r.truth.map { $0 == 1 }
        func same(_ ours: Float, _ theirs: Float, _ what: String) {
            XCTAssertLessThanOrEqual(ours, theirs, what)
            XCTAssertFalse(r.scores.contains { $0 >= ours && $0 < theirs }, "\(what): \(ours) and \(theirs) cut differently")
        }
        let best = ThresholdSelection.choose(.bestF1, scores: r.scores, positives: positives, fallback: 0.5)
        same(best.threshold, r.best_f1_threshold, "best F1")
        XCTAssertEqual(best.f1, r.best_f1, accuracy: 1e-12)
        for (target, expected) in r.target_precision {
            let chosen = ThresholdSelection.choose(.targetPrecision(Double(target)!), scores: r.scores, positives: positives, fallback: 0.5)
            if let expected {
                same(chosen.threshold, expected, "precision \(target)")
                XCTAssertTrue(chosen.reached && chosen.precision >= Double(target)!)
            } else {
                XCTAssertFalse(chosen.reached, "precision \(target) is out of reach")
            }
        }
        for (target, expected) in r.target_recall {
            let chosen = ThresholdSelection.choose(.targetRecall(Double(target)!), scores: r.scores, positives: positives, fallback: 0.5)
            same(chosen.threshold, expected, "recall \(target)")
        }
        // Nothing to choose from: the fallback stays.
        XCTAssertEqual(ThresholdSelection.choose(.bestF1, scores: [0.2, 0.9], positives: [false, false], fallback: 0.5).threshold, 0.5)
        XCTAssertThrowsError(try ThresholdChoice(parsing: "1.5"))
        XCTAssertEqual(try ThresholdChoice(parsing: "auto"), .bestF1)
    }

    /// Tags with fewer than `minimumPositivesOfItsOwn` positives share the best-F1 threshold of
    /// their scores pooled; a frequent tag keeps its own; other choices are per tag throughout.
    func testRareTagsShareOneThreshold() {
        var rng = SplitMix64(seed: 5)
        func scores(_ n: Int, _ range: ClosedRange<Float>) -> [Float] { (0..<n).map { _ in range.lowerBound + (range.upperBound - range.lowerBound) * rng.nextUnitFloat() } }
        // 40 texts. Tag 0: 12 positives scored high. Tag 1: one positive scored 0.02, below most
        // negatives. Tag 2: two positives scored 0.6 and 0.7.
        let frequent = (scores(12, 0.55...0.95) + scores(28, 0.0...0.6), (0..<40).map { $0 < 12 })
        let lone = ([Float(0.02)] + scores(39, 0.01...0.3), (0..<40).map { $0 == 0 })
        let pair = ([Float(0.6), 0.7] + scores(38, 0.0...0.65), (0..<40).map { $0 < 2 })
        let columns = [frequent, lone, pair].map { (scores: $0.0, positives: $0.1) }
        let chosen = ThresholdSelection.perLabel(.bestF1, columns: columns, fallback: 0.5)
        let own = columns.map { ThresholdSelection.choose(.bestF1, scores: $0.scores, positives: $0.positives, fallback: 0.5) }
        let pooled = ThresholdSelection.choose(.bestF1, scores: columns[1].scores + columns[2].scores,
                                               positives: columns[1].positives + columns[2].positives, fallback: 0.5)
        XCTAssertEqual(chosen[0], own[0], "12 positives: a threshold of its own")
        XCTAssertEqual(chosen[1].threshold, pooled.threshold)
        XCTAssertEqual(chosen[2].threshold, pooled.threshold)
        XCTAssertLessThan(own[1].threshold, 0.03, "alone, the lone positive would set the threshold at its own low score")
        XCTAssertEqual(chosen[1], ThresholdSelection.at(pooled.threshold, scores: columns[1].scores, positives: columns[1].positives))
        XCTAssertEqual(ThresholdSelection.perLabel(.targetRecall(0.5), columns: columns, fallback: 0.5),
                       columns.map { ThresholdSelection.choose(.targetRecall(0.5), scores: $0.scores, positives: $0.positives, fallback: 0.5) })
    }

    func testMultiLabelMetricsMatchScikitLearn() {
        let r = Self.reference.multi_label
        var metrics = MultiLabelMetrics(labels: (0..<6).map { "l\($0)" })
        func ids(_ row: [Int]) -> [Int] { row.indices.filter { row[$0] == 1 } }
        for (t, p) in zip(r.truth, r.predicted) { metrics.add(truth: ids(t), predicted: ids(p)) }
        XCTAssertEqual(metrics.microF1, r.micro_f1, accuracy: 1e-12)
        XCTAssertEqual(metrics.macroF1, r.macro_f1, accuracy: 1e-12)
        XCTAssertEqual(metrics.subsetAccuracy, r.subset_accuracy, accuracy: 1e-12)
        XCTAssertEqual(metrics.hammingLoss, r.hamming_loss, accuracy: 1e-12)
        XCTAssertEqual(metrics.trueCardinality, Double(r.truth.joined().reduce(0, +)) / 30, accuracy: 1e-12)
        XCTAssertEqual(metrics.predictedCardinality, Double(r.predicted.joined().reduce(0, +)) / 30, accuracy: 1e-12)
    }

    /// ECE as torchmetrics bins it (15 bins, L1), top-label for softmax and binary for one
    /// sigmoid column. Probabilities are float32 (torchmetrics reads float32 too); a confidence
    /// within float32 rounding of a bin edge could change bins, which these data do not have,
    /// so the sums agree to float32 precision: 1e-6.
    func testExpectedCalibrationErrorMatchesTorchmetrics() {
        let r = Self.reference
        var softmaxBins = CalibrationMetrics()
        for (row, label) in zip(rows(r.softmax.logits, 3), r.softmax.labels) { softmaxBins.add(probabilities: softmax(row), truth: label) }
        XCTAssertEqual(softmaxBins.expectedCalibrationError, r.softmax.ece, accuracy: 1e-6)
        // One sigmoid column as a binary problem: torchmetrics' binary ECE takes the positive
        // probability as the confidence of every sample, correct when the truth is 1.
        var binaryBins = CalibrationMetrics()
        for (row, target) in zip(rows(r.sigmoid.logits, 5), r.sigmoid.targets) {
            binaryBins.add(confidence: Double(sigmoid(row[0])), correct: target[0] == 1)
        }
        XCTAssertEqual(binaryBins.expectedCalibrationError, r.sigmoid.first_label_ece, accuracy: 1e-6)
    }

    /// The temperature of least NLL, as PyTorch's LBFGS finds it (float64), for softmax and
    /// sigmoid outputs. Both minimise the same smooth convex function in Double; Newton stops
    /// at a 1e-10 relative step, LBFGS at its tolerances, so the optima agree far below 1e-6;
    /// the NLL at the optimum is flat, to 1e-9.
    func testTemperatureScalingMatchesTorch() {
        let r = Self.reference
        let softmaxRows = rows(r.softmax.logits, 3)
        let t = TemperatureScaling.fit(logits: softmaxRows, labels: r.softmax.labels)
        XCTAssertEqual(Double(t), r.softmax.temperature, accuracy: 1e-5 * r.softmax.temperature)
        XCTAssertEqual(TemperatureScaling.negativeLogLikelihood(logits: softmaxRows, labels: r.softmax.labels, temperature: t),
                       r.softmax.nll_at_temperature, accuracy: 1e-7)
        XCTAssertEqual(TemperatureScaling.negativeLogLikelihood(logits: softmaxRows, labels: r.softmax.labels, temperature: 1),
                       r.softmax.nll_at_1, accuracy: 1e-9)
        let sigmoidRows = rows(r.sigmoid.logits, 5)
        let targets = r.sigmoid.targets.map { row in row.indices.filter { row[$0] == 1 } }
        let ts = TemperatureScaling.fit(logits: sigmoidRows, targets: targets)
        XCTAssertEqual(Double(ts), r.sigmoid.temperature, accuracy: 1e-5 * r.sigmoid.temperature)
        XCTAssertEqual(TemperatureScaling.negativeLogLikelihood(logits: sigmoidRows, targets: targets, temperature: ts),
                       r.sigmoid.nll_at_temperature, accuracy: 1e-7)
    }

    func rows(_ flat: [Float], _ width: Int) -> [[Float]] {
        stride(from: 0, to: flat.count, by: width).map { Array(flat[$0..<$0 + width]) }
    }

    // MARK: Training and checkpoints

    /// Tags from the synthetic texts: each text's class, plus "long" when it has more than
    /// five words (a second label some texts have).
    func taggedExamples(count: Int, seed: UInt64) -> [Example] {
        syntheticExamples(count: count, seed: seed).map { example in
            let long = example.text.split(separator: " ").count > 5
            return Example(text: example.text, classIDs: [example.label] + (long ? [3] : []), row: example.row)
        }
    }

    /// A tagger trains with BCE, tunes a threshold per label and a temperature on validation,
    /// and saves them; the loaded model decides as the trained one, labels above thresholds.
    func testTaggerRoundTripsThresholdsAndTemperatureThroughTheCheckpoint() throws {
        try requireBLAS()
        let classifier = try tinyClassifier(labels: ["calm", "storm", "sun", "long"])
        classifier.decision = DecisionRule(output: .sigmoid)
        let data = TrainingData(labels: classifier.labels,
                                train: TrainingData.encode(taggedExamples(count: 48, seed: 1), classifier),
                                validation: TrainingData.encode(taggedExamples(count: 24, seed: 2), classifier),
                                test: TrainingData.encode(taggedExamples(count: 16, seed: 3), classifier))
        XCTAssertTrue(data.isMultiLabel)
        var c = TrainingConfiguration()
        c.epochs = 2
        c.batchSize = 4
        c.optimizer = .adamW(learningRate: 1e-3, weightDecay: 0)
        c.threshold = .bestF1
        c.calibrate = .temperature
        c.positiveWeights = .balanced
        let directory = try temporaryDirectory()
        let result = try Trainer(classifier: classifier, data: data, configuration: c, source: tinySource, runDirectory: directory).train()
        let fit = try XCTUnwrap(result.decision)
        XCTAssertEqual(fit.rule.thresholds?.count, 4)
        XCTAssertNotEqual(fit.rule.temperature, 1)
        XCTAssertLessThanOrEqual(fit.validationNLL.after, fit.validationNLL.before + 1e-12)
        let test = try XCTUnwrap(result.final("test")?.multiLabel)
        XCTAssertEqual(test.examples, 16)
        let loaded = try ClassifierCheckpoint.load(directory) { _ in try tinyGPT2() }
        XCTAssertEqual(loaded.configuration.decision, fit.rule)
        XCTAssertEqual(loaded.classifier.decision, classifier.decision)
        let texts = taggedExamples(count: 9, seed: 4).map(\.text)
        let predictions = try loaded.classifier.predict(texts)
        XCTAssertEqual(predictions, try classifier.predict(texts))
        for p in predictions {
            let expected = p.probabilities.indices.filter { p.probabilities[$0] >= fit.rule.thresholds![$0] }.map { loaded.labels[$0] }
            XCTAssertEqual(p.labels, expected)
        }
    }

    /// Two classes: a target-recall threshold and a temperature go through the checkpoint and
    /// decide predictions; a broken decision in classifier.json is an error naming it.
    func testBinaryThresholdAndTemperatureRoundTrip() throws {
        try requireBLAS()
        let classifier = try tinyClassifier(labels: ["no", "yes"])
        let binary = { (examples: [Example]) in examples.map { Example(text: $0.text, label: $0.label == 1 ? 1 : 0, row: $0.row) } }
        let data = TrainingData(labels: classifier.labels,
                                train: TrainingData.encode(binary(syntheticExamples(count: 48, seed: 1)), classifier),
                                validation: TrainingData.encode(binary(syntheticExamples(count: 24, seed: 2)), classifier),
                                test: TrainingData.encode(binary(syntheticExamples(count: 16, seed: 3)), classifier))
        var c = TrainingConfiguration()
        c.epochs = 1
        c.batchSize = 4
        c.threshold = .targetRecall(0.9)
        c.calibrate = .temperature
        let directory = try temporaryDirectory()
        let result = try Trainer(classifier: classifier, data: data, configuration: c, source: tinySource, runDirectory: directory).train()
        let fit = try XCTUnwrap(result.decision)
        XCTAssertEqual(fit.selections.count, 1)
        XCTAssertGreaterThanOrEqual(fit.selections[0].recall, 0.9)
        let loaded = try ClassifierCheckpoint.load(directory) { _ in try tinyGPT2() }
        XCTAssertEqual(loaded.classifier.decision, fit.rule)
        let texts = syntheticExamples(count: 9, seed: 4).map(\.text)
        for p in try loaded.classifier.predict(texts) {
            XCTAssertEqual(p.label, p.probabilities[1] >= fit.rule.thresholds![0] ? "yes" : "no")
        }
        // A threshold list that does not fit the labels.
        let config = directory.appendingPathComponent("model/classifier.json")
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
        json["decision"] = ["output": "softmax", "temperature": 1, "thresholds": [0.1, 0.2, 0.3]]
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        XCTAssertThrowsError(try ClassifierCheckpoint.load(directory) { _ in try tinyGPT2() }) {
            XCTAssertTrue("\($0)".contains("decision"), "\($0)")
        }
    }

    func testTaskFileDecisionKeysRoundTrip() throws {
        let json = #"{"epochs": 1, "pos_weight": "balanced", "target_precision": 0.9, "calibrate": "temperature"}"#
        let c = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(json.utf8))
        XCTAssertEqual(c.positiveWeights, .balanced)
        XCTAssertEqual(c.threshold, .targetPrecision(0.9))
        XCTAssertEqual(c.calibrate, .temperature)
        XCTAssertEqual(try JSONDecoder().decode(TrainingConfiguration.self, from: JSONEncoder().encode(c)), c)
        let tuned = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(#"{"tune_thresholds": true, "pos_weight": 2}"#.utf8))
        XCTAssertEqual(tuned.threshold, .bestF1)
        XCTAssertEqual(tuned.positiveWeights, .value(2))
        XCTAssertThrowsError(try JSONDecoder().decode(TrainingConfiguration.self, from: Data(#"{"threshold": 0.3, "target_recall": 0.9}"#.utf8)))
        XCTAssertEqual(PositiveWeights.balanced.weights(targets: [[0], [0, 1], [2]], classes: 4), [0.5, 2, 2, 1])
    }
}
