import ArgumentParser
import Common
import Tasks
import Training

/// What `textclf finetune` fits on validation after training, and the tags' loss weights.
struct DecisionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Tags: weight of each label's positive term in the binary cross-entropy: none, balanced (negatives / positives per label), or one number for every label.",
                               valueName: "none|balanced|W"))
    var posWeight: String?
    @Flag(help: "Tags: tune each label's threshold on validation for the best F1 (default: 0.5 each; the tags task tunes).")
    var tuneThresholds = false
    @Option(help: ArgumentHelp("Two classes or tags: the decision threshold, auto (best F1 on validation) or a probability.", valueName: "auto|VALUE"))
    var threshold: String?
    @Option(help: ArgumentHelp("Two classes or tags: the lowest threshold reaching this precision on validation.", valueName: "P"))
    var targetPrecision: Double?
    @Option(help: ArgumentHelp("Two classes or tags: the highest threshold keeping this recall on validation.", valueName: "R"))
    var targetRecall: Double?
    @Option(help: ArgumentHelp("temperature: fit temperature scaling on validation (ECE before and after in the report); none.", valueName: "none|temperature"))
    var calibrate: Calibration?

    func validate() throws {
        let given = [tuneThresholds ? "--tune-thresholds" : nil, threshold.map { _ in "--threshold" },
                     targetPrecision.map { _ in "--target-precision" }, targetRecall.map { _ in "--target-recall" }].compactMap { $0 }
        guard given.count <= 1 else { throw ValidationError("give one of \(given.joined(separator: ", "))") }
        for (name, value) in [("--target-precision", targetPrecision), ("--target-recall", targetRecall)] {
            if let value, !(value > 0 && value <= 1) { throw ValidationError("\(name) must be in (0, 1], got \(value)") }
        }
    }

    func apply(to training: inout TrainingConfiguration) throws {
        if let posWeight { training.positiveWeights = try PositiveWeights(parsing: posWeight) }
        if tuneThresholds { training.threshold = .bestF1 }
        if let threshold { training.threshold = try ThresholdChoice(parsing: threshold) }
        if let targetPrecision { training.threshold = .targetPrecision(targetPrecision) }
        if let targetRecall { training.threshold = .targetRecall(targetRecall) }
        if let calibrate { training.calibrate = calibrate }
    }
}

extension Calibration: ExpressibleByArgument {}
