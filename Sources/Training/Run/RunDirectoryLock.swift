// One writer per run directory. Two runs on one --output would otherwise interleave their
// config, reports and weights, and a --resume of a run still going would train from a state
// the other process is about to replace.
import Common
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on RUN/.lock, held until the object is released (or the process ends,
/// however it ends: the kernel drops the lock with the descriptor, so a killed run leaves no
/// stale lock). The file holds the holder's pid, for the message a second writer gets.
public final class RunDirectoryLock {
    public static let fileName = ".lock"
    public let directory: URL
    private let descriptor: Int32

    /// Creates `directory` if needed and locks it, or throws an `InvalidInput` naming the pid
    /// of the process that holds it.
    public init(_ directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(Self.fileName).path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw InvalidInput("\(path): cannot create the run's lock file: \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            close(fd)
            guard error == EWOULDBLOCK else { throw InvalidInput("\(path): cannot lock the run directory: \(String(cString: strerror(error)))") }
            throw InvalidInput("\(directory.path) is in use by another textclf process (pid \(Self.holder(path))); wait for it to end, or choose another --output")
        }
        ftruncate(fd, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        descriptor = fd
        self.directory = directory
    }

    deinit { close(descriptor) }

    /// The pid the holder wrote; it writes right after locking, so wait briefly for it.
    private static func holder(_ path: String) -> String {
        for _ in 0..<20 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), let pid = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return String(pid)
            }
            usleep(10_000)
        }
        return "unknown"
    }
}
