import DataIO
import Foundation

/// Writes a directory of files all-or-nothing: the files go into a staging directory beside
/// the target, which then replaces the target by rename. A failure while writing (disk full,
/// an error) leaves the previous directory as it was.
enum DirectoryCommit {
    static func write(to directory: URL, _ body: (URL) throws -> Void) throws {
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
}

/// JSON with sorted keys and indentation, for files people read.
func prettyJSON<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    var data = try encoder.encode(value)
    data.append(0x0A)
    return data
}

func readJSON<T: Decodable>(_ type: T.Type, from url: URL, what: String) throws -> T {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw InvalidInput("\(url.path): cannot read the \(what): \(error.localizedDescription)")
    }
    do { return try JSONDecoder().decode(type, from: data) } catch {
        throw InvalidInput("\(url.path): not a valid \(what): \(describe(error))")
    }
}

/// "key 'head.kind': expected String" rather than Foundation's long dump.
func describe(_ error: Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return keys.isEmpty ? "the top level" : "key '\(keys.joined(separator: "."))'"
    }
    switch error {
    case .typeMismatch(let type, let context): return "\(path(context)): expected \(type)"
    case .valueNotFound(let type, let context): return "\(path(context)): missing \(type) value"
    case .keyNotFound(let key, let context): return "\(path(context)): key '\(key.stringValue)' is missing"
    case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
    @unknown default: return "\(error)"
    }
}
