// Where an export goes: checked before any work, so a bad --output is one line and exit 2, and
// write failures name the path.
import Common
import Foundation

enum ExportDestination {
    /// A file path whose directory exists (or can be made) and is writable, and which is not a directory.
    static func checkFile(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw InvalidInput("\(url.path): is a directory; --output names the .onnx file to write")
        }
        try checkParent(of: url)
    }

    /// A directory path that does not exist, is empty, or holds a model an earlier export wrote
    /// (classifier.json): the directory is replaced whole, so nothing else may be in it.
    static func checkDirectory(_ url: URL) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw InvalidInput("\(url.path): is a file; --output names the directory to write") }
            let contents = (try? fm.contentsOfDirectory(atPath: url.path)) ?? []
            guard contents.isEmpty || contents.contains("classifier.json") else {
                throw InvalidInput("\(url.path): is a directory with other files in it; the export replaces its --output directory whole, so give a new or empty one")
            }
        }
        try checkParent(of: url)
    }

    /// The nearest existing ancestor of `url` must be a writable directory.
    private static func checkParent(of url: URL) throws {
        let fm = FileManager.default
        var ancestor = url.deletingLastPathComponent()
        while !fm.fileExists(atPath: ancestor.path), ancestor.path != "/" { ancestor = ancestor.deletingLastPathComponent() }
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: ancestor.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InvalidInput("\(url.path): cannot be written: \(ancestor.path) is not a directory")
        }
        guard access(ancestor.path, W_OK) == 0 else {
            throw InvalidInput("\(url.path): cannot be written: \(ancestor.path) is not writable (permission denied)")
        }
    }

    /// Runs `body`, turning a file-system failure into a one-line input error naming `url`.
    static func writing<T>(_ url: URL, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as InputError { throw error } catch {
            throw InvalidInput("\(url.path): cannot be written: \((error as NSError).localizedDescription.escapingLineBreaks)")
        }
    }
}
