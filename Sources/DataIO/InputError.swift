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
