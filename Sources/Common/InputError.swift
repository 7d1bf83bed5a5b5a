import Foundation

/// Errors caused by what the user gave us (a file, a row, a flag), as opposed to a failure
/// of the run itself. The CLI exits with status 2 for these and 1 for anything else, and
/// prints `description`, which must name the file, member, row or tensor at fault.
public protocol InputError: Error, CustomStringConvertible {}

/// A bad-input error with a ready-made message, for places that need no richer type.
public struct InvalidInput: InputError {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Why a file the user named could not be read, in words: Foundation on Linux reports a
/// directory or a missing file as "The operation could not be completed. (NSCocoaErrorDomain
/// error 256.)".
public func unreadableFileReason(_ url: URL, _ error: Error) -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return "no such file" }
    if isDirectory.boolValue { return "is a directory, not a file" }
    if !FileManager.default.isReadableFile(atPath: url.path) { return "permission denied" }
    return error.localizedDescription
}

extension String {
    /// The text with each line break shown as an escape (`\n`, `\r`, `\u{2028}`, ...), so that a
    /// message quoting the user's data (a JSON key, a member name, a field) stays one line.
    public var escapingLineBreaks: String {
        guard unicodeScalars.contains(where: Self.isLineBreak) else { return self }
        var result = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case _ where Self.isLineBreak(scalar): result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// LF, CR, vertical tab, form feed, NEL and the Unicode line and paragraph separators.
    private static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029: true
        default: false
        }
    }
}
