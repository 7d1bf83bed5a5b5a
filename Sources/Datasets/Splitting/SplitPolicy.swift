/// The three splits a trainer uses.
public enum SplitName: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case train, validation, test
    public var description: String { rawValue }
}

/// How a dataset's source splits become train / validation / test. Shared by every adapter and
/// by dataset specs; applied by `RawDataset.split(_:)`, in this order:
///
/// 1. **Partition.** Either `.sourceSplits` (each split is a split the source gives), or
///    `.ratios`: all source splits pooled in source order, shuffled with the seed, and cut into
///    train ⌊n·train⌋, validation ⌊n·validation⌋, test the rest (Raschka's `random_split`).
///    With `stratify`, each class is shuffled and cut on its own, then each split is shuffled.
///    `balance` first undersamples every class to the size of the smallest (seeded), on the
///    pool for `.ratios` and on the training split for `.sourceSplits` (evaluation splits stay
///    as the source gives them).
/// 2. **Validation from train** (`validationFromTrain > 0`): ⌊n_train·f⌋ training examples,
///    drawn with the seed (per class with `stratify`), become the validation split.
/// 3. **Cap** (`maxExamples`): a split with more examples keeps a seeded sample of that many
///    (per class in proportion with `stratify`), in its order.
///
/// ⌊x⌋ is taken with a 1e-9 tolerance, so ⌊510·0.7⌋ is 357 although 510·0.7 is 356.99999… in
/// binary floating point. Each step draws from its own SplitMix64 stream derived from the seed,
/// so changing the cap does not change the partition. The result is deterministic across runs,
/// machines and Swift versions, and its `SplitRecord` (split.json) replays it exactly.
public struct SplitPolicy: Sendable, Hashable, CustomStringConvertible {
    public enum Partition: Sendable, Hashable {
        /// Each split is the source split of that name; without a `validation` source the
        /// validation split is empty unless `validationFromTrain` carves one.
        case sourceSplits(train: String, validation: String?, test: String)
        /// Pool all source splits, shuffle, cut (see the type's documentation). The fractions
        /// are in [0, 1], sum to 1, and train's is positive; the last split with a positive
        /// fraction receives the rounding remainder (normally test).
        case ratios(train: Double, validation: Double, test: Double)
    }

    public var partition: Partition
    /// Fraction of the training split moved to validation (0: none).
    public var validationFromTrain: Double
    public var seed: UInt64
    /// Undersample every class to the size of the smallest.
    public var balance: Bool
    /// Keep class proportions when cutting, carving and capping.
    public var stratify: Bool
    /// At most this many examples per split.
    public var maxExamples: Int?

    public init(_ partition: Partition, validationFromTrain: Double = 0, seed: UInt64 = 123, balance: Bool = false,
                stratify: Bool = false, maxExamples: Int? = nil) {
        self.partition = partition
        self.validationFromTrain = validationFromTrain
        self.seed = seed
        self.balance = balance
        self.stratify = stratify
        self.maxExamples = maxExamples
    }

    /// Each split taken from the source as it is.
    public static func sourceSplits(train: String = "train", validation: String? = "validation", test: String = "test",
                                    validationFromTrain: Double = 0, seed: UInt64 = 123, balance: Bool = false,
                                    stratify: Bool = false, maxExamples: Int? = nil) -> SplitPolicy {
        SplitPolicy(.sourceSplits(train: train, validation: validation, test: test), validationFromTrain: validationFromTrain,
                    seed: seed, balance: balance, stratify: stratify, maxExamples: maxExamples)
    }

    /// Pooled, shuffled and cut by fractions.
    public static func ratios(train: Double, validation: Double, test: Double, validationFromTrain: Double = 0,
                              seed: UInt64 = 123, balance: Bool = false, stratify: Bool = false, maxExamples: Int? = nil) -> SplitPolicy {
        SplitPolicy(.ratios(train: train, validation: validation, test: test), validationFromTrain: validationFromTrain,
                    seed: seed, balance: balance, stratify: stratify, maxExamples: maxExamples)
    }

    /// Throws a `DatasetError` for fractions out of range or not summing to 1, a validation
    /// split asked for twice, or a cap below 1.
    public func validate() throws {
        if case .ratios(let train, let validation, let test) = partition {
            let all = [train, validation, test]
            guard all.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }), train > 0 else {
                throw DatasetError("split ratios must lie in [0, 1] with a positive train ratio, got \(Self.format(all))")
            }
            guard abs(all.reduce(0, +) - 1) < 1e-6 else {
                throw DatasetError("split ratios must sum to 1, got \(Self.format(all)) (sum \(all.reduce(0, +)))")
            }
        }
        guard validationFromTrain.isFinite, validationFromTrain >= 0, validationFromTrain < 1 else {
            throw DatasetError("validation_from_train must lie in [0, 1), got \(validationFromTrain)")
        }
        if validationFromTrain > 0 && hasOwnValidation {
            throw DatasetError("validation_from_train needs a partition without its own validation split (\(partitionDescription))")
        }
        if let maxExamples, maxExamples < 1 { throw DatasetError("max_examples must be at least 1, got \(maxExamples)") }
    }

    /// Whether the partition itself yields a validation split.
    var hasOwnValidation: Bool {
        switch partition {
        case .sourceSplits(_, let validation, _): validation != nil
        case .ratios(_, let validation, _): validation > 0
        }
    }

    /// Whether the policy promises examples in `split` (an empty one is then an error).
    func expectsExamples(in split: SplitName) -> Bool {
        switch (split, partition) {
        case (.train, _): true
        case (.validation, _): hasOwnValidation || validationFromTrain > 0
        case (.test, .sourceSplits): true
        case (.test, .ratios(_, _, let test)): test > 0
        }
    }

    var partitionDescription: String {
        switch partition {
        case .sourceSplits(let train, let validation, let test):
            "source splits train=\(train), validation=\(validation ?? "none"), test=\(test)"
        case .ratios(let train, let validation, let test):
            "ratios \(Self.format([train, validation, test]))"
        }
    }

    /// "ratios 0.7/0.1/0.2, seed 123, balanced".
    public var description: String {
        var parts = [partitionDescription]
        if validationFromTrain > 0 { parts.append("validation \(Self.format([validationFromTrain])) of train") }
        parts.append("seed \(seed)")
        if balance { parts.append("balanced") }
        if stratify { parts.append("stratified") }
        if let maxExamples { parts.append("at most \(maxExamples) per split") }
        return parts.joined(separator: ", ")
    }

    static func format(_ values: [Double]) -> String {
        values.map { value in
            // Whole numbers print without ".0"; only those an Int holds (1e53 or inf would trap).
            value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        }.joined(separator: "/")
    }
}

// split.json spells the policy the way dataset specs do:
//   {"ratios": {"train": 0.7, "validation": 0.1, "test": 0.2}, "seed": 123, "balance": true,
//    "stratify": false, "validation_from_train": 0, "max_examples": null}
//   {"source_splits": {"train": "train", "validation": "dev", "test": "test"}, ...}
extension SplitPolicy: Codable {
    private enum Keys: String, CodingKey {
        case sourceSplits = "source_splits", ratios, validationFromTrain = "validation_from_train", seed, balance, stratify
        case maxExamples = "max_examples"
    }

    private struct Names: Codable, Hashable {
        var train: String
        var validation: String?
        var test: String
    }

    private struct Fractions: Codable, Hashable {
        var train: Double
        var validation: Double
        var test: Double
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let partition: Partition
        if let names = try container.decodeIfPresent(Names.self, forKey: .sourceSplits) {
            partition = .sourceSplits(train: names.train, validation: names.validation, test: names.test)
        } else {
            let fractions = try container.decode(Fractions.self, forKey: .ratios)
            partition = .ratios(train: fractions.train, validation: fractions.validation, test: fractions.test)
        }
        self.init(partition,
                  validationFromTrain: try container.decodeIfPresent(Double.self, forKey: .validationFromTrain) ?? 0,
                  seed: try container.decode(UInt64.self, forKey: .seed),
                  balance: try container.decodeIfPresent(Bool.self, forKey: .balance) ?? false,
                  stratify: try container.decodeIfPresent(Bool.self, forKey: .stratify) ?? false,
                  maxExamples: try container.decodeIfPresent(Int.self, forKey: .maxExamples))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch partition {
        case .sourceSplits(let train, let validation, let test):
            try container.encode(Names(train: train, validation: validation, test: test), forKey: .sourceSplits)
        case .ratios(let train, let validation, let test):
            try container.encode(Fractions(train: train, validation: validation, test: test), forKey: .ratios)
        }
        try container.encode(validationFromTrain, forKey: .validationFromTrain)
        try container.encode(seed, forKey: .seed)
        try container.encode(balance, forKey: .balance)
        try container.encode(stratify, forKey: .stratify)
        try container.encode(maxExamples, forKey: .maxExamples)
    }
}
