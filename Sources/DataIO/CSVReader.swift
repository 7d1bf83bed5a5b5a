/// Reads rows of a CSV/TSV file, streaming: from a plain file, an archive member, or any
/// `ByteStream`. Only the selected columns are turned into Strings.
///
///     let reader = try CSVReader(path: "imdb.zip", member: "imdb_train.csv", columns: ["text", "label"])
///     while let row = try reader.next() {      // row == [text, label]
///         ...
///     }
///     // or: let rows = try reader.readAll()
///
/// Errors are `ReadError`s naming the file, member, line and data row; see `CSVFormat` for what
/// counts as an error and what can be replaced or skipped instead.
public final class CSVReader {
    public let format: CSVFormat
    /// The header's fields, if the format has a header.
    public let header: [String]?
    /// How many fields every row has.
    public let fieldCount: Int
    /// The 0-based positions of the columns `next()` returns, in order.
    public let columnIndices: [Int]
    /// The header names of those columns (nil without a header).
    public let columnNames: [String]?
    /// Where the rows come from.
    public var location: DataLocation { parser.location }

    /// 1-based line on which the row last returned by `next()` starts.
    public var line: Int { parser.recordLine }
    /// 1-based data row number of the row last returned by `next()` (skipped rows count too).
    public var row: Int { parser.row }
    /// Rows left out under `FieldCountPolicy.skip`: how many, and the first `skippedDetailLimit` of them.
    public private(set) var skippedCount = 0
    public private(set) var skipped: [SkippedRow] = []
    public static let skippedDetailLimit = 1000

    private let parser: RecordParser
    /// The first data row is parsed early (to count fields when there is no header).
    private var firstRowPending = false

    /// Reads from `stream`. `columns` picks and orders the columns each row returns; nil means all.
    /// Reads the header (or first row) right away, so an empty file or an unknown column fails here.
    public init(_ stream: ByteStream, format: CSVFormat = .csv, columns: [CSVColumn]? = nil) throws {
        self.format = format
        let location = stream.location
        guard let delimiter = format.delimiter.isASCII ? UInt8(format.delimiter.value) : nil,
              delimiter != 0x22, delimiter != 0x0A, delimiter != 0x0D else {
            throw ReadError(.invalidValue, location, "the delimiter must be one ASCII character other than \", CR and LF, not \"\(format.delimiter.escaped(asASCII: true))\"")
        }
        parser = try RecordParser(stream: stream, delimiter: delimiter, quoting: format.quoting == .rfc4180)
        parser.headerRecords = format.hasHeader ? 1 : 0

        guard try parser.next() else {
            throw ReadError(.emptyFile, location, parser.sawBytes ? "holds no rows, only blank lines" : "is empty (0 bytes)")
        }
        var header: [String]?
        if format.hasHeader {
            var names: [String] = []
            for k in 0..<parser.fieldCount { names.append(try Self.decode(parser, field: k, column: nil, policy: format.invalidUTF8)) }
            header = names
        } else {
            firstRowPending = true
        }
        self.header = header
        let fieldCount = format.fieldCount ?? parser.fieldCount
        self.fieldCount = fieldCount

        let indices = try (columns ?? (0..<fieldCount).map(CSVColumn.index)).map { column -> Int in
            switch column {
            case .index(let index):
                guard (0..<fieldCount).contains(index) else {
                    throw ReadError(.unknownColumn, location, "there is no column \(index) (0-based): rows have \(fieldCount) fields")
                }
                return index
            case .name(let name):
                guard let header else {
                    throw ReadError(.unknownColumn, location, "cannot find column \"\(name)\": the format says the file has no header, so pick columns by 0-based index")
                }
                guard let index = header.firstIndex(of: name) else {
                    throw ReadError(.unknownColumn, location, "no column \"\(name)\"; the header has: \(header.map { "\"\($0)\"" }.joined(separator: ", "))")
                }
                return index
            }
        }
        columnIndices = indices
        columnNames = header.map { names in indices.map { $0 < names.count ? names[$0] : "#\($0)" } }
    }

    /// Reads `member` (a name, a glob, or nil for a single-file archive) of the archive at `path`,
    /// or the file itself if `path` is a plain file.
    public convenience init(path: String, member: String? = nil, format: CSVFormat = .csv, columns: [CSVColumn]? = nil) throws {
        try self.init(ArchiveReader(path: path).open(member: member), format: format, columns: columns)
    }

    /// The selected columns of the next row, or nil after the last row.
    public func next() throws -> [String]? {
        while true {
            if firstRowPending {
                firstRowPending = false
            } else if try !parser.next() {
                return nil
            }
            if parser.fieldCount != fieldCount {
                let reason = "expected \(fieldCount) fields, found \(parser.fieldCount)" + mismatchHint
                if format.wrongFieldCount == .skip {
                    skippedCount += 1
                    if skipped.count < Self.skippedDetailLimit { skipped.append(SkippedRow(line: line, row: row, reason: reason)) }
                    continue
                }
                throw ReadError(.wrongFieldCount, location, line: line, row: row, reason)
            }
            var values: [String] = []
            values.reserveCapacity(columnIndices.count)
            for index in columnIndices {
                values.append(try Self.decode(parser, field: index, column: columnName(index), policy: format.invalidUTF8))
            }
            return values
        }
    }

    /// All remaining rows.
    public func readAll() throws -> [[String]] {
        var rows: [[String]] = []
        while let row = try next() { rows.append(row) }
        return rows
    }

    /// An error about the row last returned, for callers that reject a value in it (e.g. an
    /// unknown label), so their messages name the file, line and row like the reader's own.
    public func error(_ detail: String, kind: ReadError.Kind = .invalidValue) -> ReadError {
        ReadError(kind, location, line: line, row: row, detail)
    }

    // MARK: - Details

    private var mismatchHint: String {
        switch format.quoting {
        case .rfc4180: " (an unquoted delimiter or line break inside a field? a stray \" joining lines?)"
        case .none: " (a delimiter or line break inside a field? this format reads quotes as plain text)"
        }
    }

    private func columnName(_ index: Int) -> String {
        if let header, index < header.count { return "column \"\(header[index])\"" }
        return "column \(index)"
    }

    private static func decode(_ parser: RecordParser, field: Int, column: String?,
                               policy: CSVFormat.InvalidUTF8Policy) throws -> String {
        try parser.withField(field) { bytes in
            switch policy {
            case .replace:
                return String(decoding: bytes, as: UTF8.self)
            case .fail:
                if let text = String(validating: bytes, as: UTF8.self) { return text }
                let offset = firstInvalidUTF8Offset(bytes)
                let what = column ?? "header field \(field + 1)"
                throw ReadError(.invalidUTF8, parser.location, line: parser.recordLine, row: parser.row > 0 ? parser.row : nil,
                                "invalid UTF-8 in \(what) at byte \(offset) of the field (byte 0x\(String(bytes[offset], radix: 16))); "
                                + "fix the file's encoding, or read it with invalidUTF8: .replace")
            }
        }
    }
}

/// Offset of the first byte that does not start a valid UTF-8 sequence (only called on failure).
func firstInvalidUTF8Offset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var offset = 0
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid(let scalar): offset += scalar.count
        case .error: return offset
        case .emptyInput: return max(0, bytes.count - 1)
        }
    }
}
