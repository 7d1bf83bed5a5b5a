import Common
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

/// No usable copy of a file was found anywhere; exits with status 1 in the CLI (the
/// environment, not the input, is at fault). `description` is one line: the file, what each
/// kind of place said, and what would fix it; `debugDescription` (the CLI's --verbose) lists
/// every place tried, one per line.
public struct ResolutionError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    public let ref: EntryRef
    public let file: String
    public let attempts: [ResolutionAttempt]
    public let fix: String

    public init(ref: EntryRef, file: String, attempts: [ResolutionAttempt], fix: String) {
        self.ref = ref
        self.file = file
        self.attempts = attempts
        self.fix = fix
    }

    public var description: String { "cannot get \(ref) file \(file) (\(outcomes)); fix: \(fix)" }

    public var debugDescription: String {
        (["cannot get \(ref) file \(file); tried:"] + attemptLines(indent: "  ") + ["fix: \(fix)"]).joined(separator: "\n")
    }

    /// "cache: not found; mirror: TEXTCLF_MIRROR is not set; download: not tried: offline (...)".
    /// Places that said the same (two download URLs, both offline) are named once.
    public var outcomes: String {
        var seen = Set<String>()
        return attempts.map { "\($0.place.rawValue): \($0.outcome)" }.filter { seen.insert($0).inserted }.joined(separator: "; ")
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

/// `fetch` could not get every file of an entry; the ones it got are in `fetched`. One line
/// (the first missing file and what each place said); `debugDescription` lists them all.
public struct FetchError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    public let ref: EntryRef
    public let fetched: [ResolvedFile]
    public let failures: [ResolutionError]
    /// What would fix it, for the entry as a whole.
    public let fix: String

    public var description: String {
        let first = failures.first.map { "; \($0.file): \($0.outcomes)" } ?? ""
        return "cannot fetch \(ref) (got \(fetched.count) of \(fetched.count + failures.count) files\(first)); fix: \(fix)"
    }

    public var debugDescription: String {
        var lines = ["cannot fetch \(ref) (got \(fetched.count) of \(fetched.count + failures.count) files); tried:"]
        for failure in failures {
            lines.append("  \(failure.file):")
            lines += failure.attemptLines(indent: "    ")
        }
        lines.append("fix: \(fix)")
        return lines.joined(separator: "\n")
    }
}
