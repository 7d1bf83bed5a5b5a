import DataIO
import Foundation

/// One place the Store looked for a file, and what it found there.
public struct ResolutionAttempt: Sendable, CustomStringConvertible {
    public enum Place: String, Sendable {
        case explicit = "explicit path"
        case cache
        case mirror
        case download
    }

    public let place: Place
    /// A path, a URL, or a short note such as "(TEXTCLF_MIRROR is not set)".
    public let location: String
    public let outcome: String

    public init(_ place: Place, _ location: String, _ outcome: String) {
        self.place = place
        self.location = location
        self.outcome = outcome
    }

    public var description: String { "\(place.rawValue) \(location): \(outcome)" }
}

/// No usable copy of a file was found anywhere. Lists every place tried, in order, and what
/// would fix it; exits with status 1 in the CLI (the environment, not the input, is at fault).
public struct ResolutionError: Error, CustomStringConvertible {
    public let ref: EntryRef
    public let file: String
    public let attempts: [ResolutionAttempt]
    public let fix: String

    public var description: String {
        (["cannot get \(ref) file \(file); tried:"] + attemptLines(indent: "  ") + ["fix: \(fix)"]).joined(separator: "\n")
    }

    /// One line per place tried, places aligned.
    public func attemptLines(indent: String) -> [String] {
        let width = attempts.map { $0.place.rawValue.count }.max() ?? 0
        return attempts.map { attempt in
            let place = attempt.place.rawValue.padding(toLength: width, withPad: " ", startingAt: 0)
            return "\(indent)\(place)  \(attempt.location): \(attempt.outcome)"
        }
    }
}

/// A path the user named explicitly is missing or fails its checksum. The user's file is
/// never moved or replaced; nothing else is tried in its place.
public struct ExplicitPathError: InputError {
    public let description: String
}

/// `fetch` could not get every file of an entry; the ones it got are in `fetched`.
public struct FetchError: Error, CustomStringConvertible {
    public let ref: EntryRef
    public let fetched: [ResolvedFile]
    public let failures: [ResolutionError]
    /// What would fix it, for the entry as a whole.
    public let fix: String

    public var description: String {
        var lines = ["cannot fetch \(ref) (got \(fetched.count) of \(fetched.count + failures.count) files); tried:"]
        for failure in failures {
            lines.append("  \(failure.file):")
            lines += failure.attemptLines(indent: "    ")
        }
        lines.append("fix: \(fix)")
        return lines.joined(separator: "\n")
    }
}
