// Expected calibration error (Guo et al. 2017) over 15 equal-width confidence bins, as
// torchmetrics' `CalibrationError(n_bins=15, norm="l1")` bins: a confidence c goes to bin
// ⌊15·c⌋ (1 into the last). ECE = Σ_b (n_b / N) · |accuracy_b − mean confidence_b|.
// For one class per text, the confidence is the top probability and "correct" whether that
// class is the truth; for tags, every (text, label) pair is a yes/no decision at 0.5 with the
// confidence max(p, 1 − p).
import Heads

public struct CalibrationMetrics: Codable, Sendable, Equatable {
    public static let binCount = 15

    public private(set) var counts = [Int](repeating: 0, count: binCount)
    public private(set) var correct = [Int](repeating: 0, count: binCount)
    public private(set) var confidenceSums = [Double](repeating: 0, count: binCount)

    public init() {}

    public static func bin(_ confidence: Double) -> Int { min(binCount - 1, max(0, Int(confidence * Double(binCount)))) }

    public mutating func add(confidence: Double, correct isCorrect: Bool) {
        let b = Self.bin(confidence)
        counts[b] += 1
        confidenceSums[b] += confidence
        if isCorrect { correct[b] += 1 }
    }

    /// One row of softmax probabilities and its true class.
    public mutating func add(probabilities: [Float], truth: Int) {
        let top = argmax(probabilities)
        add(confidence: Double(probabilities[top]), correct: top == truth)
    }

    /// One row of sigmoid probabilities and its true class ids.
    public mutating func add(probabilities: [Float], truth: [Int]) {
        let truth = Set(truth)
        for (c, p) in probabilities.enumerated() {
            let yes = p >= 0.5
            add(confidence: Double(yes ? p : 1 - p), correct: yes == truth.contains(c))
        }
    }

    public var total: Int { counts.reduce(0, +) }

    public var expectedCalibrationError: Double {
        let n = Double(total)
        guard n > 0 else { return 0 }
        return counts.indices.reduce(0) { sum, b in
            counts[b] == 0 ? sum : sum + Double(counts[b]) / n * abs(Double(correct[b]) / Double(counts[b]) - confidenceSums[b] / Double(counts[b]))
        }
    }

    /// Non-empty bins: mean confidence, accuracy and size (the reliability diagram's points).
    public var bins: [(confidence: Double, accuracy: Double, count: Int)] {
        counts.indices.filter { counts[$0] > 0 }.map { (confidenceSums[$0] / Double(counts[$0]), Double(correct[$0]) / Double(counts[$0]), counts[$0]) }
    }

    enum CodingKeys: String, CodingKey { case counts, correct, confidenceSums = "confidence_sums" }
}
