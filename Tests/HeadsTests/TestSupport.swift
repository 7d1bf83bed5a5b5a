import Backbones
import Foundation
import Heads
import TensorEngine
import XCTest

/// The tiny GPT-2 fixture of BackbonesTests (2 blocks, width 32, vocabulary 300), read in place.
let tinyGPT2Directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("BackbonesTests/Fixtures/tiny-gpt2/hf")

func tinyClassifier(pooling: Pooling, classes: Int = 3, maxLength: Int? = nil) throws -> Classifier {
    try Classifier(backbone: GPT2Model.load(directory: tinyGPT2Directory), labels: (0..<classes).map { "class\($0)" },
                   pooling: pooling, maxLength: maxLength, seed: 11)
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
