import Common

/// A vocabulary file that cannot be used: missing, truncated, malformed, or inconsistent with
/// its companion file. The description names the file and, where it helps, the line.
public struct TokenizerFileError: InputError {
    public let file: String
    public let line: Int?
    public let reason: String

    public init(file: String, line: Int? = nil, _ reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String {
        if let line { return "\(file), line \(line): \(reason)" }
        return "\(file): \(reason)"
    }
}

/// An id that is not in the vocabulary, given to an exact decode.
public struct UnknownTokenID: InputError {
    public let id: Int
    public let vocabularySize: Int
    public var description: String { "token id \(id) is not in the vocabulary (ids are 0..<\(vocabularySize))" }
}
