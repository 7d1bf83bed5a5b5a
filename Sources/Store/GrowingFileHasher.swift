import Foundation

/// Hashes a file while another thread appends to it, reading behind the writer on its own
/// thread. A download hands it the byte count after each write: hashing overlaps the
/// transfer, memory stays bounded (the bytes are read back from the page cache rather than
/// queued), and bytes already on disk from an interrupted run are hashed the same way.
final class GrowingFileHasher: @unchecked Sendable {
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var available: Int64
    private var closed = false
    private var cancelled = false
    private var outcome: Result<SHA256Digest, StoreIOError>?

    private let fd: Int32
    private let path: String

    /// Starts hashing `file`, of which the first `available` bytes are already written.
    init(file: URL, available: Int64) throws {
        path = file.path
        fd = open(file.path, O_RDONLY)
        guard fd >= 0 else { throw StoreIOError(path: file.path, action: "open", errno: errno) }
        self.available = available
        let thread = Thread { [self] in work() }
        thread.start()
    }

    /// The writer has written `bytes` bytes in total.
    func advance(to bytes: Int64) {
        condition.withLock {
            available = bytes
            condition.broadcast()
        }
    }

    /// No more bytes will come: waits for the rest to be hashed and returns the digest.
    func finish() throws -> SHA256Digest {
        condition.lock()
        closed = true
        condition.broadcast()
        while outcome == nil { condition.wait() }
        let result = outcome!
        condition.unlock()
        return try result.get()
    }

    /// Stops hashing (the transfer failed); returns once the reader has let go of the file.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while outcome == nil { condition.wait() }
        condition.unlock()
    }

    private func work() {
        defer { close(fd) }
        var hasher = SHA256()
        var hashed: Int64 = 0
        let chunk = 4 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        func done(_ result: Result<SHA256Digest, StoreIOError>) {
            condition.withLock {
                outcome = result
                condition.broadcast()
            }
        }
        while true {
            condition.lock()
            while !cancelled && !closed && hashed == available { condition.wait() }
            let target = available, isClosed = closed, isCancelled = cancelled
            condition.unlock()
            if isCancelled { return done(.failure(StoreIOError(path: path, action: "hash", reason: "cancelled"))) }
            if hashed == target && isClosed { return done(.success(hasher.finalize())) }
            let n = pread(fd, buffer.baseAddress, Int(min(Int64(chunk), target - hashed)), off_t(hashed))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = n == 0 ? "the file ended at \(hashed) B, before \(target) B" : String(cString: strerror(errno))
                return done(.failure(StoreIOError(path: path, action: "hash", reason: reason)))
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0 ..< n]))
            hashed += Int64(n)
        }
    }
}
