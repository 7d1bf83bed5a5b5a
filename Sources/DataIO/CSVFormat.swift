/// How a delimited text file is laid out and how strictly to read it. Start from `.csv` or `.tsv`
/// and change what differs:
///
///     var sms = CSVFormat.tsv
///     sms.hasHeader = false
///     sms.quoting = .none        // SMSSpamCollection's texts hold raw `"` characters
public struct CSVFormat: Sendable, Hashable {
    public enum Quoting: Sendable, Hashable {
        /// RFC 4180: a field that starts with `"` may hold delimiters, line breaks and doubled `""`.
        /// Like Python's `csv` module, text after a closing quote is kept (`"ab"c` reads as `abc`).
        case rfc4180
        /// `"` is an ordinary character; fields end only at the delimiter or the line end.
        case none
    }

    public enum InvalidUTF8Policy: Sendable, Hashable {
        /// Throw a `ReadError` naming the line, row and column.
        case fail
        /// Put U+FFFD in place of each invalid sequence, as Python's `errors="replace"` does.
        case replace
    }

    public enum FieldCountPolicy: Sendable, Hashable {
        /// Throw a `ReadError` naming the line and row.
        case fail
        /// Leave the row out, and record it in `CSVReader.skipped` (count and reasons).
        case skip
    }

    /// The field separator: one ASCII character other than `"`, CR or LF.
    public var delimiter: Unicode.Scalar
    public var quoting: Quoting
    /// Whether the first record holds column names.
    public var hasHeader: Bool
    public var invalidUTF8: InvalidUTF8Policy
    public var wrongFieldCount: FieldCountPolicy
    /// Fields every row must have. `nil`: as many as the header, or as the first row if there is
    /// no header.
    public var fieldCount: Int?

    public init(delimiter: Unicode.Scalar = ",", quoting: Quoting = .rfc4180, hasHeader: Bool = true,
                invalidUTF8: InvalidUTF8Policy = .fail, wrongFieldCount: FieldCountPolicy = .fail, fieldCount: Int? = nil) {
        self.delimiter = delimiter
        self.quoting = quoting
        self.hasHeader = hasHeader
        self.invalidUTF8 = invalidUTF8
        self.wrongFieldCount = wrongFieldCount
        self.fieldCount = fieldCount
    }

    /// Comma-separated, RFC 4180 quoting, with a header.
    public static let csv = CSVFormat()
    /// Tab-separated, RFC 4180 quoting, with a header.
    public static let tsv = CSVFormat(delimiter: "\t")
}

/// A column picked by its header name or by its 0-based position.
public enum CSVColumn: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, CustomStringConvertible {
    case name(String)
    case index(Int)

    public init(stringLiteral value: String) { self = .name(value) }
    public init(integerLiteral value: Int) { self = .index(value) }

    public var description: String {
        switch self {
        case .name(let name): "\"\(name)\""
        case .index(let index): "#\(index)"
        }
    }
}

/// A row left out under `FieldCountPolicy.skip`, and why.
public struct SkippedRow: Sendable, Hashable, CustomStringConvertible {
    /// 1-based line where the row starts, counting every line of the file.
    public let line: Int
    /// 1-based data row number (the header is not counted).
    public let row: Int
    public let reason: String

    public var description: String { "line \(line) (data row \(row)): \(reason)" }
}
