import Common
import DataIO
import Foundation

/// A broken property: printed, then the process traps so libFuzzer saves the input.
public func violated(_ what: String, file: StaticString = #file, line: UInt = #line) -> Never {
    fatalError("fuzz property violated: \(what)", file: file, line: line)
}

public func require(_ condition: @autoclosure () -> Bool, _ what: @autoclosure () -> String,
                    file: StaticString = #file, line: UInt = #line) {
    if !condition() { violated(what(), file: file, line: line) }
}

/// Bad input must surface as an `InputError` whose one-line message names `place` (the file the
/// parser was given), never as some other error.
public func checkInputError(_ error: any Error, naming place: String, file: StaticString = #file, line: UInt = #line) {
    guard let input = error as? any InputError else {
        violated("not an InputError: \(type(of: error)): \(error)", file: file, line: line)
    }
    let message = input.description
    require(message.contains(place), "the message does not name \(place): \(message)", file: file, line: line)
    require(!message.contains("\n") && !message.contains("\r"), "the message is not one line: \(message.debugDescription)",
            file: file, line: line)
}

/// Runs `body`; a thrown error must pass `checkInputError`. Returns nil when it threw.
@discardableResult
public func expectingInputError<R>(naming place: String, file: StaticString = #file, line: UInt = #line,
                                   _ body: () throws -> R) -> R? {
    do { return try body() } catch {
        checkInputError(error, naming: place, file: file, line: line)
        return nil
    }
}

/// A directory of this process's own in /dev/shm (or the temp directory), for parsers that only
/// read from a path. Fuzz/run.sh removes it when the target ends (an atexit handler did not run
/// when libFuzzer finished).
public let scratchDirectory: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let path = "\(base)/textclf-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}()

/// Writes `bytes` to `name` in the scratch directory and returns its path.
public func writeScratchFile(_ name: String, _ bytes: UnsafeBufferPointer<UInt8>) -> String {
    let path = "\(scratchDirectory)/\(name)"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    require(fd >= 0, "cannot create \(path)")
    var done = 0
    while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        require(n > 0, "cannot write \(path)")
        done += n
    }
    close(fd)
    return path
}

/// The repository's root, found from this source file's place (Fuzz/Sources/FuzzSupport/).
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Reads `stream` to its end or to `limit` bytes, whichever comes first, in reads of `step`.
public func drain(_ stream: ByteStream, limit: Int = 1 << 22, step: Int = 1 << 16) throws -> Int {
    var buffer = [UInt8](repeating: 0, count: step)
    var total = 0
    while total < limit {
        let n = try buffer.withUnsafeMutableBytes { try stream.read(into: $0) }
        if n == 0 { break }
        require(n <= step, "read returned \(n) bytes into a buffer of \(step)")
        total += n
    }
    return total
}
