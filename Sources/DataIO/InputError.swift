/// Errors caused by what the user gave us (a file, a row, a flag), as opposed to a failure
/// of the run itself. The CLI exits with status 2 for these and 1 for anything else, and
/// prints `description`, which must name the file, member, row or tensor at fault.
public protocol InputError: Error, CustomStringConvertible {}

/// A bad-input error with a ready-made message, for places that need no richer type.
public struct InvalidInput: InputError {
    public let description: String
    public init(_ description: String) { self.description = description }
}
