import Common
import DataIO
import Foundation

/// What to do with a row that cannot become an example (wrong number of fields, invalid UTF-8,
/// an empty text or label, a label outside the label set).
public enum BadRowPolicy: String, Sendable, Hashable, Codable {
    /// Throw an error naming the file, member, line and row.
    case fail
    /// Leave the row out and count it in the dataset's `SkipReport`.
    case skip
}

/// How a label column's values become class ids.
public enum LabelRule: Sendable, Hashable {
    /// The classes are these, in this order. With a non-empty `map`, each raw value is looked
    /// up there (raw value → class name; several values may share a class) and must be found;
    /// without one, the raw value is the class name.
    case fixed(LabelSet, map: [String: String] = [:])
    /// The classes are the distinct (mapped) values found in all source splits, sorted
    /// (numerically when every name is an integer, else by code points; see `LabelSet`). With a
    /// non-empty `map`, the classes are its values and every raw value must be one of its keys.
    case inferred(map: [String: String] = [:])
}

/// One file (or archive member) holding one source split.
public struct TableFile: Sendable, Hashable {
    public var split: String
    public var path: URL
    /// A member name or glob inside an archive; nil for a plain file or a one-file archive.
    public var member: String?

    public init(split: String, path: URL, member: String? = nil) {
        self.split = split
        self.path = path
        self.member = member
    }
}

/// How rows of a CSV/TSV file become examples: the columns holding the text, the label and an
/// optional id; how the label maps to a class; how the text is put together and cleaned; what
/// to do with bad rows. Built-in adapters and dataset specs both read through it.
///
///     var format = CSVFormat.tsv
///     format.hasHeader = false
///     format.quoting = .none
///     let layout = TableLayout(format: format, textColumns: [1], labelColumn: 0,
///                              labels: .fixed(try LabelSet(["ham", "spam"])))
///     let raw = try layout.read([TableFile(split: "all", path: zip, member: "SMSSpamCollection")], dataset: "sms-spam")
///
/// Label values are compared after trimming surrounding whitespace. A text that is empty or all
/// whitespace (after `makeText`) is a bad row.
public struct TableLayout: Sendable {
    public var format: CSVFormat
    public var textColumns: [CSVColumn]
    public var labelColumn: CSVColumn
    public var idColumn: CSVColumn?
    public var labels: LabelRule
    /// Multi-label: the label column holds several labels joined by this separator.
    public var labelSeparator: String?
    /// Multi-label: these 0/1 columns, one per class of a `.fixed` label set in its order,
    /// replace `labelColumn`. A row with no 1 is an example without labels.
    public var labelColumns: [CSVColumn]?
    /// Turns the text columns' values (in `textColumns` order) into the example's text.
    public var makeText: @Sendable ([String]) -> String
    public var badRows: BadRowPolicy

    public init(format: CSVFormat, textColumns: [CSVColumn], labelColumn: CSVColumn, idColumn: CSVColumn? = nil,
                labels: LabelRule, badRows: BadRowPolicy = .fail,
                makeText: @escaping @Sendable ([String]) -> String = { $0.joined(separator: "\n") }) {
        self.format = format
        self.textColumns = textColumns
        self.labelColumn = labelColumn
        self.idColumn = idColumn
        self.labels = labels
        self.badRows = badRows
        self.makeText = makeText
    }

    /// Whether rows carry label sets (a separator or 0/1 columns).
    public var isMultiLabel: Bool { labelSeparator != nil || labelColumns != nil }

    /// Reads every file as one source split (in the given order) into a `RawDataset`.
    public func read(_ files: [TableFile], dataset: String) throws -> RawDataset {
        guard !textColumns.isEmpty else { throw DatasetError("dataset \(dataset): no text column given") }
        if let labelColumns {
            guard case .fixed(let set, _) = labels, set.count == labelColumns.count else {
                throw DatasetError("dataset \(dataset): \(labelColumns.count) label columns need as many label names, in column order")
            }
        }
        // Files are read in parallel (IMDB's two members on two cores), results kept in order;
        // when several fail, the first file's error is the one reported.
        let results = ResultSlots<(location: String, rows: [PendingRow], skipped: SkipReport)>(count: files.count)
        DispatchQueue.concurrentPerform(iterations: files.count) { k in
            results.set(k, Result {
                var skipped = SkipReport()
                let (location, rows) = try readRows(files[k], skipped: &skipped)
                return (location, rows, skipped)
            })
        }
        var skipped = SkipReport()
        var pending: [(file: TableFile, location: String, rows: [PendingRow])] = []
        for (file, result) in zip(files, results.values) {
            let read = try result.get()
            skipped.merge(read.skipped)
            pending.append((file, read.location, read.rows))
        }
        let labelSet: LabelSet
        switch labels {
        case .fixed(let set, _):
            labelSet = set
        case .inferred(let map):
            let names = map.isEmpty ? pending.flatMap { $0.rows.flatMap(\.labelNames) } : Array(map.values)
            do { labelSet = try LabelSet(LabelSet.sortedNames(names)) } catch let error as DatasetError {
                throw DatasetError("dataset \(dataset): cannot infer the labels from column \(labelColumn) of \(files.map { describe($0) }.joined(separator: ", ")): \(error.description)")
            }
        }
        let sources = pending.map { file, location, rows in
            SourceSplit(name: file.split, location: location, examples: rows.compactMap { row in
                let ids = row.labelNames.compactMap { labelSet.index(of: $0) }
                if isMultiLabel { return Example(text: row.text, classIDs: ids, id: row.id, row: row.row) }
                return ids.first.map { Example(text: row.text, label: $0, id: row.id, row: row.row) }
            })
        }
        return try RawDataset(name: dataset, labels: labelSet, sources: sources, skipped: skipped)
    }

    // MARK: - Reading rows

    /// A row read, its label not yet a class id (inferred labels need every row first).
    private struct PendingRow: Sendable {
        var text: String
        /// The class names after mapping (one for a single-label row).
        var labelNames: [String]
        var id: String?
        var row: Int
    }

    private func describe(_ file: TableFile) -> String {
        DataLocation(file: file.path.path, member: file.member).description
    }

    private func readRows(_ file: TableFile, skipped: inout SkipReport) throws -> (String, [PendingRow]) {
        var format = self.format
        format.wrongFieldCount = badRows == .skip ? .skip : .fail
        let labelFields = labelColumns ?? [labelColumn]
        let columns = textColumns + labelFields + (idColumn.map { [$0] } ?? [])
        let reader: CSVReader
        do {
            reader = try CSVReader(path: file.path.path, member: file.member, format: format, columns: columns)
        } catch let error as ReadError where error.kind == .unknownColumn {
            throw delimiterHint(for: error, file: file, format: format) ?? error
        }
        let location = reader.location.description
        let labelPosition = textColumns.count
        var rows: [PendingRow] = []
        var skips: [SkipReport.Row] = []

        func skip(_ reason: String, _ detail: String, line: Int?, row: Int?) {
            skips.append(SkipReport.Row(location: location, line: line, row: row, reason: reason, detail: detail))
        }
        func bad(_ reason: String, _ detail: String) throws {
            if badRows == .fail { throw reader.error(detail) }
            skip(reason, detail, line: reader.line, row: reader.row)
        }

        while true {
            let fields: [String]
            do {
                guard let next = try reader.next() else { break }
                fields = next
            } catch let error as ReadError where error.kind == .invalidUTF8 && badRows == .skip {
                // The reader has consumed the bad record; the next call reads the one after it.
                skip(SkipReport.Reason.invalidUTF8, error.detail, line: error.line, row: error.row)
                continue
            }
            let text = makeText(Array(fields[0 ..< labelPosition]))
            if text.allSatisfy(\.isWhitespace) {
                try bad(SkipReport.Reason.emptyText, "empty text in \(textColumns.count == 1 ? "column" : "columns") \(textColumns.map(\.description).joined(separator: " + "))"); continue
            }
            let id = idColumn == nil ? nil : fields[labelPosition + labelFields.count]
            if let labelColumns {
                guard case .fixed(let set, _) = labels else { continue }
                var names: [String] = [], valid = true
                for (k, column) in labelColumns.enumerated() where valid {
                    switch fields[labelPosition + k].trimmingCharacters(in: .whitespaces) {
                    case "1": names.append(set[k])
                    case "0": break
                    case let value:
                        try bad(SkipReport.Reason.unknownLabel, "value \"\(value)\" in label column \(column) is not 0 or 1")
                        valid = false
                    }
                }
                if valid { rows.append(PendingRow(text: text, labelNames: names, id: id, row: reader.row)) }
                continue
            }
            let rawLabel = fields[labelPosition].trimmingCharacters(in: .whitespaces)
            let pieces = labelSeparator.map { separator in
                rawLabel.components(separatedBy: separator).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            } ?? (rawLabel.isEmpty ? [] : [rawLabel])
            if pieces.isEmpty {
                try bad(SkipReport.Reason.emptyLabel, "empty label in column \(labelColumn)"); continue
            }
            var names: [String] = []
            for piece in pieces {
                guard let name = try className(piece, bad: bad) else { names = []; break }
                if !names.contains(name) { names.append(name) }
            }
            // A piece that is not a label skipped the row (or threw).
            if names.isEmpty { continue }
            rows.append(PendingRow(text: text, labelNames: names, id: id, row: reader.row))
        }
        // The reader keeps its own list of rows with the wrong field count; list all in file order.
        for row in reader.skipped { skip(SkipReport.Reason.wrongFieldCount, row.reason, line: row.line, row: row.row) }
        for row in skips.sorted(by: { ($0.line ?? 0) < ($1.line ?? 0) }) { skipped.add(row) }
        skipped.add(count: reader.skippedCount - reader.skipped.count, reason: SkipReport.Reason.wrongFieldCount)
        return (location, rows)
    }

    /// The class name for a raw label value, or nil after a skipped bad row.
    private func className(_ raw: String, bad: (String, String) throws -> Void) throws -> String? {
        switch labels {
        case .fixed(let set, let map):
            if !map.isEmpty {
                guard let name = map[raw] else {
                    try bad(SkipReport.Reason.unknownLabel, "label \"\(raw)\" in column \(labelColumn) is not in the label map (\(LabelSet.quoted(map.keys.sorted())))")
                    return nil
                }
                guard set.index(of: name) != nil else {
                    try bad(SkipReport.Reason.unknownLabel, "label \"\(raw)\" maps to \"\(name)\", which is not one of the labels \(set)")
                    return nil
                }
                return name
            }
            guard set.index(of: raw) != nil else {
                try bad(SkipReport.Reason.unknownLabel, "label \"\(raw)\" in column \(labelColumn) is not one of the labels \(set)")
                return nil
            }
            return raw
        case .inferred(let map):
            if map.isEmpty { return raw }
            guard let name = map[raw] else {
                try bad(SkipReport.Reason.unknownLabel, "label \"\(raw)\" in column \(labelColumn) is not in the label map (\(LabelSet.quoted(map.keys.sorted())))")
                return nil
            }
            return name
        }
    }

    /// When a column is missing because every row is one field, the delimiter is probably
    /// wrong: say so, and which delimiter the first line suggests.
    private func delimiterHint(for error: ReadError, file: TableFile, format: CSVFormat) -> ReadError? {
        var plain = format
        plain.fieldCount = nil
        guard let reader = try? CSVReader(path: file.path.path, member: file.member, format: plain),
              reader.fieldCount == 1 else { return nil }
        let firstLine = reader.header?.first ?? ((try? reader.next())?.first ?? "")
        let candidates: [(Character, String)] = [("\t", "tab"), (",", "\",\""), (";", "\";\""), ("|", "\"|\"")]
        let found = candidates.filter { $0.0 != Character(format.delimiter) && firstLine.contains($0.0) }.map(\.1)
        let suggestion = found.isEmpty ? "" : "; the first line contains \(found.joined(separator: " and ")): is that the delimiter?"
        let delimiter = format.delimiter == "\t" ? "tab" : "\"\(format.delimiter)\""
        return ReadError(.unknownColumn, error.location, line: error.line, row: error.row,
                         "\(error.detail). Every row has a single field with the delimiter \(delimiter)\(suggestion)")
    }
}

/// One result slot per concurrent task; each task writes only its own slot.
private final class ResultSlots<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<T, Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<T, Error>) { lock.withLock { slots[index] = result } }

    /// Every slot's result (all tasks have finished when this is read).
    var values: [Result<T, Error>] {
        lock.withLock { slots.map { $0 ?? .failure(DatasetError("internal error: a file was not read")) } }
    }
}
