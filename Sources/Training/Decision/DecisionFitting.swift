// After training: the temperature and decision thresholds fitted on the validation split, set on
// the classifier (so the saved model, the final evaluation, `predict` and `serve` use them).
import Datasets
import Heads

/// What was fitted, with the validation figures it was fitted on.
public struct DecisionFit: Sendable {
    /// The rule set on the classifier.
    public let rule: DecisionRule
    public let calibrated: Bool
    public let thresholdChoice: ThresholdChoice
    /// One per label (tags) or one for the positive class; empty when no threshold was chosen.
    public let selections: [ThresholdSelection]
    /// Validation NLL and ECE before (temperature 1) and after fitting.
    public let validationNLL: (before: Double, after: Double)
    public let validationECE: (before: Double, after: Double)
    /// The test split's reliability bins before and after (when it has examples).
    public let testCalibration: (before: CalibrationMetrics, after: CalibrationMetrics)?

    public var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "output": rule.output.rawValue, "temperature": rule.temperature, "calibrated": calibrated,
            "threshold_choice": thresholdChoice.description,
            "validation_nll": ["before": validationNLL.before, "after": validationNLL.after],
            "validation_ece": ["before": validationECE.before, "after": validationECE.after],
        ]
        if let thresholds = rule.thresholds { object["thresholds"] = thresholds }
        if !selections.isEmpty {
            object["validation_at_thresholds"] = selections.map {
                ["threshold": $0.threshold, "precision": $0.precision, "recall": $0.recall, "f1": $0.f1, "reached": $0.reached] as [String: Any]
            }
        }
        if let testCalibration {
            object["test_ece"] = ["before": testCalibration.before.expectedCalibrationError, "after": testCalibration.after.expectedCalibrationError]
        }
        return object
    }
}

extension Trainer {
    /// Logits of every example of `split`, in example order.
    func allLogits(_ split: SplitName) throws -> [[Float]] {
        let examples = data[split]
        let classes = classifier.labels.count
        var rows = [[Float]](repeating: [], count: examples.count)
        for indices in try BatchSampler(lengths: examples.lengths, batchSize: configuration.evalBatchSize, order: .byLength).batches() {
            let values = try logits(split, indices, tape: nil).value.scalars
            for (row, index) in indices.enumerated() { rows[index] = Array(values[row * classes..<(row + 1) * classes]) }
        }
        return rows
    }

    /// Fits what the configuration asks for on validation and sets `classifier.decision`; nil
    /// when there is nothing to fit (one label per text, no threshold, no calibration).
    func fitDecision() throws -> DecisionFit? {
        let multiLabel = data.isMultiLabel
        let choice = configuration.threshold
        guard multiLabel || choice != .none || configuration.calibrate != .none else { return nil }
        let logits = try allLogits(.validation)
        let labels = data.validation.labels, targets = data.validation.targets
        let plain = DecisionRule(output: classifier.decision.output)
        var rule = plain
        if configuration.calibrate == .temperature {
            rule.temperature = TemperatureScaling.fit(logits: logits, labels: multiLabel ? nil : labels, targets: targets)
        }
        let probabilities = logits.map(rule.probabilities)
        var selections: [ThresholdSelection] = []
        if choice != .none {
            // A fixed value is chosen as `.none` with it as the fallback: the lowest validation score at or above it.
            let (how, fallback): (ThresholdChoice, Float) = if case .fixed(let value) = choice { (.none, value) } else { (choice, 0.5) }
            if let targets {
                let sets = targets.map(Set.init)
                selections = ThresholdSelection.perLabel(how, columns: classifier.labels.indices.map { c in
                    (probabilities.map { $0[c] }, sets.map { $0.contains(c) })
                }, fallback: fallback)
            } else {
                selections = [ThresholdSelection.choose(how, scores: probabilities.map { $0[1] }, positives: labels.map { $0 == 1 }, fallback: fallback)]
            }
            rule.thresholds = selections.map(\.threshold)
        }
        func calibration(_ rule: DecisionRule, _ logits: [[Float]], _ split: SplitName) -> CalibrationMetrics {
            var metrics = CalibrationMetrics()
            for (r, row) in logits.enumerated() {
                if let targets = data[split].targets {
                    metrics.add(probabilities: rule.probabilities(row), truth: targets[r])
                } else {
                    metrics.add(probabilities: rule.probabilities(row), truth: data[split].labels[r])
                }
            }
            return metrics
        }
        var testCalibration: (before: CalibrationMetrics, after: CalibrationMetrics)?
        if data.test.count > 0, configuration.calibrate != .none {
            let testLogits = try allLogits(.test)
            testCalibration = (before: calibration(plain, testLogits, .test), after: calibration(rule, testLogits, .test))
        }
        classifier.decision = rule
        return DecisionFit(
            rule: rule, calibrated: configuration.calibrate != .none, thresholdChoice: choice, selections: selections,
            validationNLL: (TemperatureScaling.negativeLogLikelihood(logits: logits, labels: multiLabel ? nil : labels, targets: targets, temperature: 1),
                            TemperatureScaling.negativeLogLikelihood(logits: logits, labels: multiLabel ? nil : labels, targets: targets,
                                                                     temperature: rule.temperature)),
            validationECE: (calibration(plain, logits, .validation).expectedCalibrationError,
                            calibration(rule, logits, .validation).expectedCalibrationError),
            testCalibration: testCalibration)
    }
}
