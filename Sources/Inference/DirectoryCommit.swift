import Common
import Foundation

/// Writes a directory of files all-or-nothing: the files go into a staging directory beside
/// the target, which then replaces the target by rename. A failure while writing (disk full,
/// an error) leaves the previous directory as it was.
public enum DirectoryCommit {
    public static func write(to directory: URL, _ body: (URL) throws -> Void) throws {
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let tag = "\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let staging = parent.appendingPathComponent(".\(directory.lastPathComponent).partial-\(tag)")
        try fm.createDirectory(at: staging, withIntermediateDirectories: false)
        do {
            try body(staging)
        } catch {
            try? fm.removeItem(at: staging)
            throw error
        }
        let old = parent.appendingPathComponent(".\(directory.lastPathComponent).old-\(tag)")
        let hadOld = fm.fileExists(atPath: directory.path)
        if hadOld {
            guard rename(directory.path, old.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? fm.removeItem(at: staging)
                throw InvalidInput("cannot replace \(directory.path): \(reason)")
            }
        }
        guard rename(staging.path, directory.path) == 0 else {
            let reason = String(cString: strerror(errno))
            if hadOld { _ = rename(old.path, directory.path) }
            try? fm.removeItem(at: staging)
            throw InvalidInput("cannot move the new \(directory.lastPathComponent) into place at \(directory.path): \(reason)")
        }
        if hadOld { try? fm.removeItem(at: old) }
    }

    /// Tidies what a process killed mid-write left in `parent` (a run directory): staging
    /// directories (`.NAME.partial-*`) and temporary files (`.NAME.tmp-*`, from `AtomicFile`)
    /// are never read, so they go; a previous directory moved aside (`.NAME.old-*`) goes back
    /// to NAME if the kill came before its replacement took its place, and goes otherwise.
    /// Call it only while holding the run's lock: another writer's staging looks the same.
    public static func recoverInterruptedWrites(in parent: URL) throws {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: parent.path) else { return }
        for name in names where name.hasPrefix(".") {
            let url = parent.appendingPathComponent(name)
            if let marker = name.range(of: ".old-") {
                let target = parent.appendingPathComponent(String(name[name.index(after: name.startIndex)..<marker.lowerBound]))
                if !fm.fileExists(atPath: target.path), rename(url.path, target.path) == 0 { continue }
                try fm.removeItem(at: url)
            } else if name.contains(".partial-") || name.contains(".tmp-") {
                try fm.removeItem(at: url)
            }
        }
    }
}
