import Common
import DataIO
import Foundation
import Store

/// A dataset described by a JSON spec file instead of Swift code (format: Datasets/README.md,
/// "Dataset specs"). The spec is checked when it is read: unknown keys and wrong types are
/// `DatasetSpecError`s naming the file and the key. The data is read by `load(using:)`.
///
///     let tickets = try SpecDataset(contentsOf: URL(fileURLWithPath: "tickets.json"))
///     let splits = try tickets.loadSplits(using: Store())
public struct SpecDataset: DatasetAdapter {
    /// Where the data files are.
    enum Origin: Sendable, Hashable {
        /// A file (plain, compressed or an archive) or a directory.
        case path(URL)
        /// A file of a Store dataset entry.
        case store(EntryRef, file: String)
        /// No `source`: the split files are relative to the spec's directory.
        case specDirectory(URL)
    }

    public let specFile: URL
    public let name: String
    public let summary: String
    public let defaultSplitPolicy: SplitPolicy
    public let layout: TableLayout
    let origin: Origin
    /// Source split name → member name or glob (in an archive) or relative path (in a directory).
    /// A single `("all", member)` when the spec has no `splits.files`.
    let files: [(split: String, name: String?)]

    public var source: DatasetSource {
        switch origin {
        case .store(let ref, let file): return .store(ref, files: [file])
        case .path(let url):
            if isDirectory(url) { return .files(files.map { url.appendingPathComponent($0.name ?? "") }) }
            return .files([url])
        case .specDirectory(let directory):
            return .files(files.map { directory.appendingPathComponent($0.name ?? "") })
        }
    }

    public init(contentsOf url: URL) throws {
        if isDirectory(url) {
            throw DatasetSpecError(file: url.path, key: nil, "is a directory; expected a dataset spec file (JSON, see Datasets/README.md) or a built-in dataset name")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DatasetSpecError(file: url.path, key: nil, FileManager.default.fileExists(atPath: url.path)
                                   ? "cannot read it: \(error.localizedDescription)" : "no such file")
        }
        try self.init(json: data, specFile: url)
    }

    /// Parses spec text; relative paths in it are relative to `specFile`'s directory.
    public init(json data: Data, specFile: URL) throws {
        let file = specFile.path
        let spec = try SpecObject.parse(data, file: file)
        try spec.checkKeys(["version", "name", "description", "source", "format", "delimiter", "quoting", "header",
                            "encoding_errors", "text", "joiner", "replace", "label", "id", "labels", "label_map",
                            "label_separator", "label_columns",
                            "splits", "bad_rows"])
        if let version = try spec.integer("version", in: 0 ... 1_000_000), version != 1 {
            throw spec.error("version", "this textclf reads version 1 dataset specs, not \(version)")
        }
        let name = try spec.requiredString("name")
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw spec.error("name", "\"\(name)\" is not a usable dataset name (ASCII letters, digits, '-', '_', '.')")
        }
        self.specFile = specFile
        self.name = name
        summary = try spec.string("description") ?? "dataset spec \(specFile.lastPathComponent)"
        let directory = specFile.deletingLastPathComponent()

        // Where the data is.
        guard let splits = try spec.object("splits") else {
            throw spec.error("splits", "is required: give \"files\" (the source's own splits) or \"ratios\" (or both)")
        }
        try splits.checkKeys(["files", "ratios", "validation_from_train", "seed", "balance", "stratify", "max_examples"])
        let splitFiles = try splits.stringMap("files")
        var member: String?
        if let source = try spec.object("source") {
            try source.checkKeys(["path", "dataset", "file", "member"])
            member = try source.string("member")
            if member != nil, splitFiles != nil {
                throw source.error("member", "cannot be combined with splits.files (each split names its own member there)")
            }
            switch (try source.string("path"), try source.string("dataset")) {
            case (let path?, nil):
                if source.has("file") { throw source.error("file", "goes with \"dataset\" (a Store entry's file), not with \"path\"") }
                origin = .path(URL(fileURLWithPath: path, relativeTo: directory).standardizedFileURL)
            case (nil, let dataset?):
                guard let storeFile = try source.string("file") else {
                    throw source.error("file", "is required with \"dataset\": the entry's file to read, e.g. \"imdb.zip\"")
                }
                origin = .store(.dataset(dataset), file: storeFile)
            case (nil, nil):
                throw spec.error("source", "needs \"path\" (a file, archive or directory, relative to the spec) or \"dataset\" (a Store dataset name)")
            case (_?, _?):
                throw source.error("dataset", "give either \"path\" or \"dataset\", not both")
            }
        } else {
            guard splitFiles != nil else {
                throw spec.error("source", "is required unless splits.files names the files (relative to the spec)")
            }
            origin = .specDirectory(directory)
        }

        // How it is split.
        let ratios = try splits.object("ratios")
        let order: [String] = SplitName.allCases.map(\.rawValue)
        if let splitFiles {
            guard !splitFiles.isEmpty else { throw splits.error("files", "names no files") }
            files = splitFiles.keys.sorted { (order.firstIndex(of: $0) ?? 3, $0) < (order.firstIndex(of: $1) ?? 3, $1) }
                .map { ($0, splitFiles[$0]) }
            if ratios == nil {
                for key in splitFiles.keys.sorted() where !order.contains(key) {
                    throw splits.error("files.\(key)", "is not a split: without \"ratios\" the files are train, validation and test")
                }
                for key in ["train", "test"] where splitFiles[key] == nil {
                    throw splits.error("files", "has no \"\(key)\" file; without \"ratios\" the source must give train and test (validation is optional)")
                }
            }
        } else {
            files = [("all", member)]
        }
        let partition: SplitPolicy.Partition
        if let ratios {
            try ratios.checkKeys(["train", "validation", "test"])
            guard let train = try ratios.number("train") else { throw ratios.error("train", "is required (a fraction, e.g. 0.8)") }
            partition = .ratios(train: train, validation: try ratios.number("validation") ?? 0, test: try ratios.number("test") ?? 0)
        } else {
            partition = .sourceSplits(train: "train", validation: splitFiles?["validation"] == nil ? nil : "validation", test: "test")
        }
        let policy = SplitPolicy(partition,
                                 validationFromTrain: try splits.number("validation_from_train") ?? 0,
                                 seed: UInt64(try splits.integer("seed", in: 0 ... 9_007_199_254_740_991) ?? 123),
                                 balance: try splits.bool("balance") ?? false,
                                 stratify: try splits.bool("stratify") ?? false,
                                 maxExamples: try splits.integer("max_examples", in: 1 ... 1e15))
        do { try policy.validate() } catch let error as DatasetError {
            throw DatasetSpecError(file: file, key: "splits", error.description)
        }
        defaultSplitPolicy = policy

        // How rows become examples.
        var format: CSVFormat
        switch try spec.choice("format", ["csv", "tsv"]) {
        case "tsv"?: format = .tsv
        case "csv"?: format = .csv
        default:
            let dataName: String
            switch (files.first?.name, origin) {
            case (let name?, _): dataName = name
            case (nil, .path(let url)): dataName = url.lastPathComponent
            case (nil, .store(_, let file)): dataName = file
            case (nil, .specDirectory): dataName = ""
            }
            let plainName = dataName.lowercased().replacingOccurrences(of: #"\.(gz|bz2|xz|zst)$"#, with: "", options: .regularExpression)
            format = plainName.hasSuffix(".tsv") || plainName.hasSuffix(".tab") ? .tsv : .csv
        }
        if let delimiter = try spec.string("delimiter") {
            guard delimiter.unicodeScalars.count == 1, let scalar = delimiter.unicodeScalars.first, scalar.isASCII,
                  !["\"", "\n", "\r"].contains(scalar) else {
                throw spec.error("delimiter", "must be one ASCII character other than \", CR and LF (a tab is \"\\t\"), got \"\(delimiter)\"")
            }
            format.delimiter = scalar
        }
        if let quoting = try spec.choice("quoting", ["rfc4180", "none"]) { format.quoting = quoting == "none" ? .none : .rfc4180 }
        if let header = try spec.bool("header") { format.hasHeader = header }
        if try spec.choice("encoding_errors", ["fail", "replace"]) == "replace" { format.invalidUTF8 = .replace }

        guard let textColumns = try spec.columns("text") else { throw spec.error("text", "is required: the text column (a header name or 0-based index) or columns") }
        // Multi-label: one column of labels joined by a separator, or one 0/1 column per label.
        let labelSeparator = try spec.string("label_separator")
        if labelSeparator == "" { throw spec.error("label_separator", "must not be empty") }
        let labelColumns = try spec.columns("label_columns")
        if labelColumns != nil, spec.has("label") { throw spec.error("label_columns", "replaces \"label\": give one or the other") }
        if labelColumns != nil, labelSeparator != nil { throw spec.error("label_separator", "goes with \"label\", not with \"label_columns\"") }
        if labelColumns != nil, spec.has("label_map") { throw spec.error("label_map", "does not apply to 0/1 \"label_columns\"") }
        guard let labelColumn = try labelColumns.map({ [$0[0]] }) ?? spec.columns("label") else {
            throw spec.error("label", "is required: the label column (or \"label_columns\", one 0/1 column per label)")
        }
        guard labelColumn.count == 1 else { throw spec.error("label", "names one column, not \(labelColumn.count)") }
        let idColumn = try spec.columns("id")
        if let idColumn, idColumn.count != 1 { throw spec.error("id", "names one column, not \(idColumn.count)") }
        if !format.hasHeader {
            for (key, columns) in [("text", textColumns), ("label", labelColumn), ("id", idColumn ?? []), ("label_columns", labelColumns ?? [])] {
                if case .name(let name)? = columns.first(where: { if case .name = $0 { true } else { false } }) {
                    throw spec.error(key, "names column \"\(name)\", but \"header\" is false: use 0-based indices")
                }
            }
        }
        let joiner = try spec.string("joiner") ?? "\n"
        var replacements: [(String, String)] = []
        if let replace = spec.value("replace") {
            guard case .array(let pairs) = replace else { throw spec.error("replace", "expected an array of [from, to] string pairs, got \(replace.typeName)") }
            for (index, pair) in pairs.enumerated() {
                guard case .array(let items) = pair, items.count == 2, case .string(let from) = items[0], case .string(let to) = items[1], !from.isEmpty else {
                    throw spec.error("replace[\(index)]", "expected a [from, to] pair of strings (from non-empty), got \(pair.shown)")
                }
                replacements.append((from, to))
            }
        }

        var labelNames = try spec.stringArray("labels")
        if let labelColumns {
            if let labelNames, labelNames.count != labelColumns.count {
                throw spec.error("labels", "names \(labelNames.count) labels for \(labelColumns.count) label_columns; they pair up in order")
            }
            if labelNames == nil {
                labelNames = try labelColumns.map { column in
                    guard case .name(let name) = column else {
                        throw spec.error("labels", "is required when label_columns are given by index: the label of each column, in order")
                    }
                    return name
                }
            }
        }
        let labelMap = try spec.stringMap("label_map") ?? [:]
        let labels: LabelRule
        if let labelNames {
            let set: LabelSet
            do { set = try LabelSet(labelNames) } catch let error as DatasetError { throw spec.error("labels", error.description) }
            for (raw, mapped) in labelMap.sorted(by: { $0.key < $1.key }) where set.index(of: mapped) == nil {
                throw spec.error("label_map.\(raw)", "maps to \"\(mapped)\", which is not in \"labels\" (\(set))")
            }
            labels = .fixed(set, map: labelMap)
        } else {
            labels = .inferred(map: labelMap)
        }
        let badRows: BadRowPolicy = try spec.choice("bad_rows", ["fail", "skip"]) == "skip" ? .skip : .fail

        let replacementsCopy = replacements
        var layout = TableLayout(format: format, textColumns: textColumns, labelColumn: labelColumn[0], idColumn: idColumn?.first,
                                 labels: labels, badRows: badRows, makeText: { fields in
                                     var text = fields.joined(separator: joiner)
                                     for (from, to) in replacementsCopy { text = text.replacingOccurrences(of: from, with: to) }
                                     return text
                                 })
        layout.labelSeparator = labelSeparator
        layout.labelColumns = labelColumns
        self.layout = layout
    }

    public func load(using store: Store) throws -> RawDataset {
        let base: URL
        switch origin {
        case .path(let url), .specDirectory(let url): base = url
        case .store(let ref, let file): base = try store.resolve(ref, file: file)
        }
        let tableFiles = files.map { split, name -> TableFile in
            if isDirectory(base) {
                return TableFile(split: split, path: base.appendingPathComponent(name ?? ""), member: nil)
            }
            return TableFile(split: split, path: base, member: name)
        }
        if isDirectory(base), files.contains(where: { $0.name == nil }) {
            throw DatasetSpecError(file: specFile.path, key: "source.member", "\(base.path) is a directory: name the file to read in it with \"member\" or splits.files")
        }
        return try layout.read(tableFiles, dataset: name)
    }
}

private func isDirectory(_ url: URL) -> Bool {
    var flag: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &flag) && flag.boolValue
}
