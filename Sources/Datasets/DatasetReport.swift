import Foundation
import Tokenizers

/// What `textclf data inspect` shows about a dataset: rows per split and label, token lengths,
/// duplicate texts, texts shared between splits, empty texts, skipped rows.
public struct DatasetReport: Sendable {
    /// Examples of one source split or one split, per class.
    public struct Count: Sendable, Hashable {
        public let name: String
        public let examples: Int
        /// In class-id order.
        public let labelCounts: [Int]
    }

    /// Token counts of the texts of one split (no truncation, no special tokens). `median` is
    /// the middle value (the mean of the two middle ones for an even count); `p95` is the
    /// nearest-rank 95th percentile (the ⌈0.95·n⌉-th smallest).
    public struct LengthStats: Sendable, Hashable {
        public let split: String
        public let count: Int
        public let min: Int
        public let median: Double
        public let p95: Int
        public let max: Int
        public let mean: Double
        public let total: Int
    }

    /// Texts that occur more than once among all source rows.
    public struct Duplicates: Sendable, Hashable {
        /// Distinct texts that occur at least twice.
        public let texts: Int
        /// Rows beyond each such text's first occurrence.
        public let extraRows: Int
        /// Of `texts`, those that carry more than one label.
        public let conflictingLabels: Int
        /// A few of them (shortened), most frequent first.
        public let samples: [String]
    }

    /// Texts found in two splits (possible leakage between training and evaluation).
    public struct Overlap: Sendable, Hashable {
        public let first: String
        public let second: String
        /// Distinct texts in both.
        public let texts: Int
        /// Rows of `second` whose text is also in `first`.
        public let rows: Int
        public let samples: [String]
    }

    public let dataset: String
    public let labels: LabelSet
    public let sources: [Count]
    public let policy: SplitPolicy
    public let splits: [Count]
    /// Per split; empty when no tokenizer was given.
    public let tokenLengths: [LengthStats]
    public let duplicates: Duplicates
    public let overlaps: [Overlap]
    /// Examples whose text is empty or whitespace, plus rows skipped for it.
    public let emptyTexts: Int
    public let skipped: SkipReport

    /// Splits `raw` by `policy` and gathers the figures. Token lengths need a tokenizer
    /// (encoding runs on all cores).
    public init(raw: RawDataset, policy: SplitPolicy, tokenizer: (any Tokenizer)? = nil, sampleCount: Int = 3) throws {
        let splits = try raw.split(policy)
        dataset = raw.name
        labels = raw.labels
        self.policy = policy
        skipped = raw.skipped
        func counts(_ examples: [Example]) -> [Int] {
            var counts = [Int](repeating: 0, count: raw.labels.count)
            for example in examples { for c in example.allLabels { counts[c] += 1 } }
            return counts
        }
        sources = raw.sources.map { Count(name: $0.name, examples: $0.examples.count, labelCounts: counts($0.examples)) }
        self.splits = SplitName.allCases.map { Count(name: $0.rawValue, examples: splits[$0].count, labelCounts: counts(splits[$0])) }

        if let tokenizer {
            tokenLengths = SplitName.allCases.compactMap { split in
                let lengths = tokenizer.encodeBatch(splits[split].map(\.text)).map(\.count)
                return Self.stats(split.rawValue, lengths)
            }
        } else {
            tokenLengths = []
        }

        // Duplicates over all source rows.
        var seen: [String: (count: Int, labels: Set<Int>)] = [:]
        for source in raw.sources {
            for example in source.examples {
                seen[example.text, default: (0, [])].count += 1
                seen[example.text]?.labels.insert(example.label)
            }
        }
        let repeated = seen.filter { $0.value.count > 1 }
        duplicates = Duplicates(
            texts: repeated.count,
            extraRows: repeated.values.reduce(0) { $0 + $1.count - 1 },
            conflictingLabels: repeated.values.filter { $0.labels.count > 1 }.count,
            samples: repeated.sorted { ($1.value.count, $0.key) < ($0.value.count, $1.key) }.prefix(sampleCount)
                .map { "\($0.value.count)× " + Self.shorten($0.key) })

        var overlaps: [Overlap] = []
        let pairs: [(SplitName, SplitName)] = [(.train, .validation), (.train, .test), (.validation, .test)]
        for (first, second) in pairs {
            let firstTexts = Set(splits[first].map(\.text))
            let shared = splits[second].filter { firstTexts.contains($0.text) }
            let distinct = Set(shared.map(\.text))
            overlaps.append(Overlap(first: first.rawValue, second: second.rawValue, texts: distinct.count, rows: shared.count,
                                    samples: distinct.sorted().prefix(sampleCount).map(Self.shorten)))
        }
        self.overlaps = overlaps
        emptyTexts = raw.sources.reduce(0) { $0 + $1.examples.filter { $0.text.allSatisfy(\.isWhitespace) }.count }
            + (raw.skipped.countsByReason[SkipReport.Reason.emptyText] ?? 0)
    }

    static func stats(_ split: String, _ lengths: [Int]) -> LengthStats? {
        guard !lengths.isEmpty else { return nil }
        let sorted = lengths.sorted()
        let n = sorted.count
        let median = n % 2 == 1 ? Double(sorted[n / 2]) : Double(sorted[n / 2 - 1] + sorted[n / 2]) / 2
        let rank = Int((0.95 * Double(n)).rounded(.up))
        let total = sorted.reduce(0, +)
        return LengthStats(split: split, count: n, min: sorted[0], median: median, p95: sorted[max(0, rank - 1)],
                           max: sorted[n - 1], mean: Double(total) / Double(n), total: total)
    }

    /// One line, at most 80 characters.
    static func shorten(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ⏎ ")
        return line.count > 80 ? String(line.prefix(77)) + "..." : line
    }
}
