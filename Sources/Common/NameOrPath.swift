// Datasets, tasks and backbones are each named either by a registered name or by a path (a
// spec or task file, a model directory). One rule decides which, everywhere, so the same
// argument means the same thing to every command.
import Foundation

/// A command-line or task-file reference to something registered by name or found on disk.
public enum NameOrPath: Equatable, Sendable {
    case name(String)
    case path(URL)

    /// A registered name wins (so a file that happens to share it does not shadow it); then a
    /// string that contains a `/`, ends in `.json`, or names an existing file or directory is a
    /// path; anything else is a name, which the caller reports as unknown if it is not one.
    public init(_ string: String, isRegisteredName: (String) -> Bool) {
        if isRegisteredName(string) {
            self = .name(string)
        } else if string.contains("/") || string.hasSuffix(".json") || FileManager.default.fileExists(atPath: string) {
            self = .path(URL(fileURLWithPath: string))
        } else {
            self = .name(string)
        }
    }
}
