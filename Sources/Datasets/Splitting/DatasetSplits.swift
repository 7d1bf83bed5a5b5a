import Foundation

/// Train, validation and test examples of a dataset, with the record that reproduces them.
///
///     let splits = try raw.split(adapter.defaultSplitPolicy)
///     splits.train.count                       // 1045 for sms-spam
///     try splits.record.write(to: runDirectory.appendingPathComponent("split.json"))
///     // later, or in another process:
///     let again = try raw.split(reproducing: SplitRecord.read(from: url))
public struct DatasetSplits: Sendable {
    public let dataset: String
    public let labels: LabelSet
    /// Examples carry label sets (`Example.classIDs`).
    public let isMultiLabel: Bool
    public let train: [Example]
    public let validation: [Example]
    public let test: [Example]
    /// What `split.json` holds: the policy, and the source rows of every split in order.
    public let record: SplitRecord

    public subscript(split: SplitName) -> [Example] {
        switch split {
        case .train: train
        case .validation: validation
        case .test: test
        }
    }

    /// Examples per class of `split`, in class-id order (of a multi-label split: examples
    /// having the class).
    public func labelCounts(_ split: SplitName) -> [Int] {
        var counts = [Int](repeating: 0, count: labels.count)
        for example in self[split] { for c in example.allLabels { counts[c] += 1 } }
        return counts
    }

    init(raw: RawDataset, policy: SplitPolicy, parts: SplitParts) {
        func examples(_ split: SplitName) -> [Example] {
            parts[split].map { raw.sources[$0.source].examples[$0.index] }
        }
        dataset = raw.name
        labels = raw.labels
        isMultiLabel = raw.isMultiLabel
        train = examples(.train)
        validation = examples(.validation)
        test = examples(.test)
        var splits: [String: SplitRecord.Part] = [:]
        for split in SplitName.allCases {
            let refs = parts[split]
            let chosen = refs.map { raw.sources[$0.source].examples[$0.index] }
            var counts = [Int](repeating: 0, count: raw.labels.count)
            for example in chosen { for c in example.allLabels { counts[c] += 1 } }
            splits[split.rawValue] = SplitRecord.Part(
                count: chosen.count, labelCounts: counts, digest: SplitRecord.digest(chosen),
                rows: zip(refs, chosen).map { [$0.source, $1.row] })
        }
        record = SplitRecord(dataset: raw.name, labels: raw.labels.names, policy: policy,
                             sources: raw.sources.map { SplitRecord.Source(name: $0.name, location: $0.location, examples: $0.examples.count) },
                             splits: splits)
    }
}

extension RawDataset {
    /// Splits the dataset as `policy` says (see `SplitPolicy`). Throws a `DatasetError` for an
    /// invalid policy, a source split it names that does not exist, a split it promises that
    /// comes out empty, or a class with no training examples.
    public func split(_ policy: SplitPolicy) throws -> DatasetSplits {
        DatasetSplits(raw: self, policy: policy, parts: try Splitter(raw: self, policy: policy).run())
    }

    /// The splits a `SplitRecord` describes, row for row, after checking that the examples are
    /// still the ones recorded (labels, and each split's digest of texts and labels).
    public func split(reproducing record: SplitRecord) throws -> DatasetSplits {
        try record.checkFormat()
        let place = "split record for \(record.dataset)"
        guard record.labels == labels.names else {
            throw SplitRecordError("\(place): its labels \(LabelSet.quoted(record.labels)) differ from the dataset's \(labels)")
        }
        // Source indices in the record → our source indices, by name.
        let sourceIndex = try record.sources.map { recorded -> Int in
            guard let s = sources.firstIndex(where: { $0.name == recorded.name }) else {
                throw SplitRecordError("\(place): source split \"\(recorded.name)\" is not in dataset \(name) (it has \(sources.map { "\"\($0.name)\"" }.joined(separator: ", ")))")
            }
            return s
        }
        let positions = sources.map { source in
            Dictionary(source.examples.enumerated().map { ($1.row, $0) }, uniquingKeysWith: { first, _ in first })
        }
        var parts = SplitParts()
        for split in SplitName.allCases {
            guard let part = record.splits[split.rawValue] else { throw SplitRecordError("\(place): split \"\(split)\" is missing") }
            parts[split] = try part.rows.map { pair in
                guard pair.count == 2, record.sources.indices.contains(pair[0]) else {
                    throw SplitRecordError("\(place): split \(split): \(pair) is not a [source index, row] pair")
                }
                let s = sourceIndex[pair[0]]
                guard let index = positions[s][pair[1]] else {
                    throw SplitRecordError("\(place): split \(split): source \"\(sources[s].name)\" has no row \(pair[1]) (the data changed, or rows were skipped differently)")
                }
                return ExampleRef(source: s, index: index)
            }
        }
        let splits = DatasetSplits(raw: self, policy: record.policy, parts: parts)
        for split in SplitName.allCases {
            let now = splits.record.splits[split.rawValue]?.digest
            let then = record.splits[split.rawValue]?.digest
            guard now == then else {
                throw SplitRecordError("\(place): the \(split) split's texts or labels differ from when it was recorded (digest \(then ?? "-") then, \(now ?? "-") now): the source data or its cleaning changed")
            }
        }
        return splits
    }
}
