import Common

/// The examples of one split as the source gives it (a file, an archive member), in source order.
public struct SourceSplit: Sendable, Hashable {
    /// The source's name for it: "train", "dev", "test", or "all" for a single-file source.
    public var name: String
    /// Where the examples were read from, for messages and split records (file, member).
    public var location: String
    public var examples: [Example]

    public init(name: String, location: String, examples: [Example]) {
        self.name = name
        self.location = location
        self.examples = examples
    }
}

/// A dataset as read from its source, before it is split for training: the examples of each
/// source split, the label set, and the rows left out (when the bad-row rule says skip).
///
///     let raw = try DatasetRegistry.builtIn.adapter(named: "sst2").load(using: store)
///     raw.sources.map(\.name)          // ["train", "dev", "test"]
///     let splits = try raw.split(SplitPolicy.sourceSplits(train: "train", validation: "dev", test: "test"))
public struct RawDataset: Sendable {
    public let name: String
    public let labels: LabelSet
    public let sources: [SourceSplit]
    public let skipped: SkipReport
    /// Whether the examples carry label sets (`Example.classIDs`): tags rather than one class.
    /// A dataset is one or the other throughout.
    public let isMultiLabel: Bool

    /// Checks that source names are distinct, every label is a class of `labels`, and rows are
    /// distinct within each source split (split records refer to examples by row).
    public init(name: String, labels: LabelSet, sources: [SourceSplit], skipped: SkipReport = SkipReport()) throws {
        guard !sources.isEmpty else { throw DatasetError("dataset \(name): has no source splits") }
        var seenNames = Set<String>()
        let isMultiLabel = sources.contains { $0.examples.first?.classIDs != nil }
        for source in sources {
            guard !source.name.isEmpty, seenNames.insert(source.name).inserted else {
                throw DatasetError("dataset \(name): source split names must be distinct and non-empty, got \(sources.map { "\"\($0.name)\"" }.joined(separator: ", "))")
            }
            var rows = Set<Int>()
            for example in source.examples {
                if let bad = example.allLabels.first(where: { !(0..<labels.count).contains($0) }) {
                    throw DatasetError("dataset \(name): \(source.location), row \(example.row): label \(bad) is not a class id (there are \(labels.count) classes: \(labels))")
                }
                guard (example.classIDs != nil) == isMultiLabel else {
                    throw DatasetError("dataset \(name): \(source.location), row \(example.row): single-label and multi-label examples are mixed")
                }
                guard rows.insert(example.row).inserted else {
                    throw DatasetError("dataset \(name): \(source.location): two examples claim row \(example.row); rows must be distinct within a source split")
                }
            }
        }
        self.name = name
        self.labels = labels
        self.sources = sources
        self.skipped = skipped
        self.isMultiLabel = isMultiLabel
    }

    public func source(named name: String) -> SourceSplit? { sources.first { $0.name == name } }

    /// Examples per class across all source splits, in class-id order.
    public var labelCounts: [Int] {
        var counts = [Int](repeating: 0, count: labels.count)
        for source in sources { for example in source.examples { for c in example.allLabels { counts[c] += 1 } } }
        return counts
    }
}

/// Rows left out because the bad-row rule said "skip": how many, how many for each reason, and
/// the first `detailLimit` of them with their location.
public struct SkipReport: Sendable, Hashable, Codable {
    public struct Row: Sendable, Hashable, Codable, CustomStringConvertible {
        /// File and member.
        public var location: String
        public var line: Int?
        public var row: Int?
        /// The reason category (see `SkipReport.Reason`).
        public var reason: String
        public var detail: String

        public init(location: String, line: Int?, row: Int?, reason: String, detail: String) {
            self.location = location
            self.line = line
            self.row = row
            self.reason = reason
            self.detail = detail
        }

        public var description: String {
            var place = location
            if let line { place += ", line \(line)" }
            if let row { place += line == nil ? ", data row \(row)" : " (data row \(row))" }
            return "\(place): \(detail)"
        }
    }

    /// The reason categories used by the readers in this module.
    public enum Reason {
        public static let wrongFieldCount = "wrong field count"
        public static let invalidUTF8 = "invalid UTF-8"
        public static let emptyText = "empty text"
        public static let emptyLabel = "empty label"
        public static let unknownLabel = "unknown label"
    }

    public static let detailLimit = 100

    public private(set) var count = 0
    public private(set) var countsByReason: [String: Int] = [:]
    public private(set) var rows: [Row] = []

    public init() {}

    public var isEmpty: Bool { count == 0 }

    public mutating func add(_ row: Row) {
        count += 1
        countsByReason[row.reason, default: 0] += 1
        if rows.count < Self.detailLimit { rows.append(row) }
    }

    /// Rows known only by count (e.g. beyond a reader's own detail limit).
    public mutating func add(count n: Int, reason: String) {
        guard n > 0 else { return }
        count += n
        countsByReason[reason, default: 0] += n
    }

    public mutating func merge(_ other: SkipReport) {
        count += other.count
        for (reason, n) in other.countsByReason { countsByReason[reason, default: 0] += n }
        rows += other.rows.prefix(max(0, Self.detailLimit - rows.count))
    }

    /// "3 rows skipped: 2 empty text, 1 unknown label".
    public var summary: String {
        if count == 0 { return "no rows skipped" }
        let parts = countsByReason.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.value) \($0.key)" }
        return "\(count) row\(count == 1 ? "" : "s") skipped: " + parts.joined(separator: ", ")
    }
}

extension RawDataset {
    /// The same examples with the class ids of `names` (the label set a task or `--labels`
    /// declares, in the order it gives). The dataset's labels must be exactly these: a row
    /// whose label is not among them is an error naming it, and so is a declared label no row
    /// has.
    public func relabeled(_ names: [String]) throws -> RawDataset {
        let declared = try LabelSet(names)
        guard declared != labels else { return self }
        let counts = labelCounts
        for (id, name) in labels.names.enumerated() where declared.index(of: name) == nil && counts[id] > 0 {
            let (source, example) = sources.lazy.flatMap { source in source.examples.lazy.map { (source, $0) } }.first { $0.1.allLabels.contains(id) }!
            throw DatasetError("dataset \(self.name): \(source.location), row \(example.row): label \"\(name)\" is not one of the declared labels \(declared)")
        }
        if let absent = declared.names.first(where: { labels.index(of: $0) == nil }) {
            throw DatasetError("dataset \(self.name): the declared label \"\(absent)\" has no examples (the data's labels: \(labels))")
        }
        let mapping = labels.names.map { declared.index(of: $0) ?? -1 }
        let relabeled = sources.map { source in
            SourceSplit(name: source.name, location: source.location,
                        examples: source.examples.map { example in
                            if let ids = example.classIDs {
                                return Example(text: example.text, classIDs: ids.map { mapping[$0] }, id: example.id, row: example.row)
                            }
                            return Example(text: example.text, label: mapping[example.label], id: example.id, row: example.row)
                        })
        }
        return try RawDataset(name: self.name, labels: declared, sources: relabeled, skipped: skipped)
    }
}
