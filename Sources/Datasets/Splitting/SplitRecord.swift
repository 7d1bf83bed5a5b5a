import Common
import Foundation

/// What `split.json` in a run directory holds: enough to rebuild the exact splits, here or in a
/// Python reference script.
///
///     {
///       "format": "textclf-split/1",
///       "dataset": "sms-spam",
///       "labels": ["ham", "spam"],
///       "policy": {"ratios": {"train": 0.7, "validation": 0.1, "test": 0.2}, "seed": 123, "balance": true, ...},
///       "sources": [{"name": "all", "location": ".../sms+spam+collection.zip, member SMSSpamCollection", "examples": 5574}],
///       "splits": {
///         "train": {"count": 1045, "label_counts": [520, 525], "digest": "9c1e…", "rows": [[0, 4711], [0, 12], ...]},
///         "validation": {...}, "test": {...}
///       }
///     }
///
/// `rows` lists the split's examples in order as `[source index, row]`: the index into
/// `sources`, and the example's 1-based data row in that source file (header not counted;
/// pandas: `df.iloc[row - 1]`). `digest` is FNV-1a 64 (hex) over every example in order:
/// its text's UTF-8 bytes, 0xFF, its class id in decimal (a multi-label example's ids joined
/// by ";"), 0xFF. Reproducing a split checks it,
/// so a changed source or cleaning is an error rather than a silently different split.
public struct SplitRecord: Sendable, Codable, Equatable {
    public static let formatTag = "textclf-split/1"

    public struct Source: Sendable, Codable, Equatable {
        public var name: String
        /// Informational: where the examples were read from when the record was made.
        public var location: String
        public var examples: Int
    }

    public struct Part: Sendable, Codable, Equatable {
        public var count: Int
        public var labelCounts: [Int]
        public var digest: String
        public var rows: [[Int]]

        enum CodingKeys: String, CodingKey {
            case count, labelCounts = "label_counts", digest, rows
        }
    }

    public var format: String
    public var dataset: String
    public var labels: [String]
    public var policy: SplitPolicy
    public var sources: [Source]
    /// Keyed by "train", "validation", "test".
    public var splits: [String: Part]

    init(dataset: String, labels: [String], policy: SplitPolicy, sources: [Source], splits: [String: Part]) {
        format = Self.formatTag
        self.dataset = dataset
        self.labels = labels
        self.policy = policy
        self.sources = sources
        self.splits = splits
    }

    func checkFormat() throws {
        guard format == Self.formatTag else {
            throw SplitRecordError("split record for \(dataset): format \"\(format)\" is not \"\(Self.formatTag)\"")
        }
    }

    /// The record as JSON: one key per line, each split's rows on one line.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        var lines = ["{"]
        lines.append("  \"format\": \(try json(format)),")
        lines.append("  \"dataset\": \(try json(dataset)),")
        lines.append("  \"labels\": \(try json(labels)),")
        lines.append("  \"policy\": \(try json(policy)),")
        lines.append("  \"sources\": \(try json(sources)),")
        lines.append("  \"splits\": {")
        let names = SplitName.allCases.map(\.rawValue).filter { splits[$0] != nil }
            + splits.keys.filter { SplitName(rawValue: $0) == nil }.sorted()
        for (k, name) in names.enumerated() {
            guard let part = splits[name] else { continue }
            lines.append("    \(try json(name)): \(try json(part))\(k == names.count - 1 ? "" : ",")")
        }
        lines.append("  }")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the record atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(try jsonText(), to: url)
    }

    /// Reads a record written by `write(to:)`; a malformed file is a `SplitRecordError` naming it.
    public static func read(from url: URL) throws -> SplitRecord {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SplitRecordError("\(url.path): cannot read the split record: \(error.localizedDescription)")
        }
        let record: SplitRecord
        do { record = try JSONDecoder().decode(SplitRecord.self, from: data) } catch {
            throw SplitRecordError("\(url.path): not a split record: \(describeDecodingError(error))")
        }
        do { try record.checkFormat() } catch let error as SplitRecordError {
            throw SplitRecordError("\(url.path): \(error.description)")
        }
        return record
    }

    /// See the type's documentation.
    static func digest(_ examples: [Example]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for example in examples {
            h = fnv1a64(Array(example.text.utf8) + [0xFF] + Array(example.allLabels.map(String.init).joined(separator: ";").utf8) + [0xFF], state: h)
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// A split record that cannot be read, or that does not fit the dataset it is applied to.
public struct SplitRecordError: InputError, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

