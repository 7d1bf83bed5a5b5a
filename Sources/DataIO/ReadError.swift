import Common
/// Where bytes come from: a file, and for archives the member inside it. Every error about
/// data names one of these so the user can find the culprit.
public struct DataLocation: Sendable, Hashable, CustomStringConvertible {
    public let file: String
    public let member: String?

    public init(file: String, member: String? = nil) {
        self.file = file
        self.member = member
    }

    public var description: String {
        if let member { return "\(file), member \(member)" }
        return file
    }
}

/// A problem with the data the user gave us: a file that is missing, not the archive it claims to
/// be, truncated or corrupt; a member that is absent or encrypted; a malformed row.
///
/// `line` and `row` are both 1-based and count as a user would: `line` is the physical line in the
/// file (or archive member) where the offending record starts, counting every line including the
/// header and blank lines, as an editor shows it; `row` is the number of the data record, not
/// counting the header. They differ when fields span lines.
public struct ReadError: InputError, Equatable {
    public enum Kind: String, Sendable {
        case fileNotFound, notReadable, notAnArchive, corruptArchive
        case missingMember, ambiguousMember, memberRequired, encryptedMember
        case emptyFile, invalidUTF8, wrongFieldCount, unterminatedQuote, unknownColumn
        /// A well-formed field whose value the caller rejects (e.g. an unknown label).
        case invalidValue
    }

    public let kind: Kind
    public let location: DataLocation
    public let line: Int?
    public let row: Int?
    /// What is wrong, without the location (which `description` prepends).
    public let detail: String

    public init(_ kind: Kind, _ location: DataLocation, line: Int? = nil, row: Int? = nil, _ detail: String) {
        self.kind = kind
        self.location = location
        self.line = line
        self.row = row
        self.detail = detail
    }

    public var description: String {
        var place = location.description
        if let line {
            place += ", line \(line)"
            if let row { place += " (data row \(row))" }
        } else if let row {
            place += ", data row \(row)"
        }
        return "\(place): \(detail)".escapingLineBreaks
    }
}
