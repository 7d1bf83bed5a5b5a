import Datasets
import Heads

/// The three splits as token ids, encoded the way `classifier` reads texts (its long-text
/// policy at its max length; an empty text becomes the pad token alone).
public struct TrainingData: Sendable {
    public let labels: [String]
    public let train: TokenizedExamples
    public let validation: TokenizedExamples
    public let test: TokenizedExamples

    public init(labels: [String], train: TokenizedExamples, validation: TokenizedExamples, test: TokenizedExamples) {
        self.labels = labels
        self.train = train
        self.validation = validation
        self.test = test
    }

    public init(_ splits: DatasetSplits, for classifier: Classifier) {
        labels = splits.labels.names
        train = Self.encode(splits.train, classifier)
        validation = Self.encode(splits.validation, classifier)
        test = Self.encode(splits.test, classifier)
    }

    public static func encode(_ examples: [Example], _ classifier: Classifier) -> TokenizedExamples {
        let padID = Int32(truncatingIfNeeded: classifier.tokenizer.padTokenID)
        let labels = examples.map(\.label)
        let targets = examples.first?.classIDs == nil ? nil : examples.map(\.allLabels)
        guard classifier.longText.policy.isChunked else {
            let encoded = classifier.encode(examples.map(\.text))
            return TokenizedExamples(tokens: encoded.map(\.ids), labels: labels, targets: targets, padTokenID: padID,
                                     truncatedCount: encoded.reduce(0) { $0 + ($1.truncated ? 1 : 0) })
        }
        let encoded = classifier.encodeWindows(examples.map(\.text))
        var windows: [Range<Int>] = []
        var start = 0
        for text in encoded {
            windows.append(start..<start + text.windows.count)
            start += text.windows.count
        }
        return TokenizedExamples(tokens: encoded.flatMap(\.windows), labels: labels, targets: targets, padTokenID: padID,
                                 windows: windows)
    }

    /// Whether the examples carry label sets (tags).
    public var isMultiLabel: Bool { train.targets != nil }

    public subscript(split: SplitName) -> TokenizedExamples {
        switch split {
        case .train: train
        case .validation: validation
        case .test: test
        }
    }
}
