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
        var lines = ["cannot get \(ref) file \(file); tried:"]
        let width = attempts.map { $0.place.rawValue.count }.max() ?? 0
        for attempt in attempts {
            let place = attempt.place.rawValue.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append("  \(place)  \(attempt.location): \(attempt.outcome)")
        }
        lines.append("fix: \(fix)")
        return lines.joined(separator: "\n")
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

    public var description: String {
        let got = fetched.isEmpty ? "" : " (got \(fetched.count) of \(fetched.count + failures.count) files)"
        return (["cannot fetch \(ref)\(got):"] + failures.map(\.description)).joined(separator: "\n")
    }
}
