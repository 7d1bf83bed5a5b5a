// Tensor memory. Small buffers come from malloc. Large ones (activations, gradients, caches)
// are mapped pages kept in a pool by size class and reused, for two reasons measured on the
// fine-tuning runs:
// - glibc raises its mmap threshold after every large free (up to 32 MiB), so such buffers
//   then come from its heap arenas (one per allocating thread), which keep freed memory: a
//   GPT-2 run whose live memory peaked under 1 GB reached 4 GB of RSS.
// - Mapping fresh pages for every step's activations instead costs a page fault per 4 KiB.
// A request takes a free buffer of its size class or of a class up to twice as large (batches of
// varying length ask for sizes that drift up and down). The pool keeps free buffers up to the
// most pooled memory the process has had in use at once (at least `minimumCache`), so a
// workload's buffers are mapped once, yet RSS stays within twice its peak. Beyond that, the
// free buffers of the class used least recently go back to the system. (A fixed 512 MiB cap
// that dropped the buffer being released made batches of 32 × 128 tokens map and unmap their
// buffers every step: 30% slower.)
import Foundation

final class BufferPool: @unchecked Sendable {  // @unchecked: every mutable field is under `lock`
    static let shared = BufferPool()

    /// Buffers of at least this many bytes are pooled pages; smaller ones are malloc'd.
    static let largeThreshold = 256 << 10
    /// Free buffers kept for reuse, at most max(this, `peakInUse`) bytes.
    let minimumCache: Int

    private let lock = NSLock()
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    /// When each class was last asked for or given back (a counter), for eviction.
    private var lastUse: [Int: Int] = [:]
    private var clock = 0
    private(set) var cachedBytes = 0
    /// Pooled bytes handed out and not yet released, and their maximum so far.
    private(set) var inUse = 0, peakInUse = 0

    init(minimumCache: Int = 256 << 20) {
        self.minimumCache = minimumCache
    }

    /// Four size classes per power of two (at most 25% more than asked), page-rounded.
    static func sizeClass(_ bytes: Int) -> Int {
        let page = 4096
        let top = Int.bitWidth - 1 - bytes.leadingZeroBitCount   // floor(log2(bytes))
        let step = max(page, 1 << max(0, top - 2))
        return (bytes + step - 1) / step * step
    }

    /// A pooled buffer is a mapping whose first `header` bytes hold its size (its class, which
    /// can be larger than the request's); the caller's memory starts after them.
    static let header = 64

    /// At least `bytes` bytes, 64-byte aligned.
    func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
        guard bytes >= Self.largeThreshold else {
            var raw: UnsafeMutableRawPointer?
            // 64 bytes: one cache line, and the widest vector load.
            guard posix_memalign(&raw, 64, max(1, bytes)) == 0, let raw else { fatalError("out of memory allocating \(bytes) bytes") }
            return raw
        }
        let size = Self.sizeClass(bytes + Self.header)
        lock.lock()
        touch(size)
        var candidate = size
        while candidate <= 2 * size {
            if let mapping = free[candidate]?.popLast() {
                cachedBytes -= candidate
                touch(candidate)
                noteInUse(candidate)
                lock.unlock()
                return mapping + Self.header
            }
            candidate = Self.sizeClass(candidate + 1)
        }
        noteInUse(size)
        lock.unlock()
        guard let mapping = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapping != MAP_FAILED else {
            fatalError("out of memory mapping \(size) bytes")
        }
        mapping.storeBytes(of: size, as: Int.self)
        return mapping + Self.header
    }

    /// Gives back a buffer `allocate(bytes)` returned.
    func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        guard bytes >= Self.largeThreshold else { return Foundation.free(pointer) }
        let mapping = pointer - Self.header
        let size = mapping.load(as: Int.self)
        lock.lock()
        inUse -= size
        touch(size)
        free[size, default: []].append(mapping)
        cachedBytes += size
        var evicted: [(UnsafeMutableRawPointer, Int)] = []
        let limit = max(minimumCache, peakInUse)
        while cachedBytes > limit {
            // The class with free buffers used least recently (this one last of all: it was just touched).
            guard let stale = free.lazy.filter({ !$0.value.isEmpty }).min(by: { lastUse[$0.key, default: 0] < lastUse[$1.key, default: 0] })?.key,
                  let victim = free[stale]?.popLast() else { break }
            cachedBytes -= stale
            evicted.append((victim, stale))
        }
        lock.unlock()
        for (victim, victimSize) in evicted { munmap(victim, victimSize) }
    }

    /// Under `lock`.
    private func touch(_ size: Int) {
        clock += 1
        lastUse[size] = clock
    }

    /// Under `lock`.
    private func noteInUse(_ size: Int) {
        inUse += size
        peakInUse = max(peakInUse, inUse)
    }

    /// `peakInUse`, read under the lock (other threads may be allocating).
    var peakBytesInUse: Int {
        lock.lock()
        defer { lock.unlock() }
        return peakInUse
    }

    /// Returns every free buffer to the system.
    func trim() {
        lock.lock()
        let all = free
        free = [:]
        cachedBytes = 0
        lock.unlock()
        for (size, pointers) in all { for pointer in pointers { munmap(pointer, size) } }
    }
}

/// What the process's tensors take: for reports and benchmarks.
public enum TensorMemory {
    /// The most bytes of large tensors (activations, gradients, caches: the pooled ones) alive
    /// at once so far. The pool may keep up to as much again free for reuse, which RSS includes.
    public static var peakBytes: Int { BufferPool.shared.peakBytesInUse }

    /// The process's peak resident set size so far, in bytes (getrusage).
    public static var peakResidentBytes: Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}
