// Tensor memory. Small buffers come from malloc. Large ones (activations, gradients, caches)
// are mapped pages kept in a pool by size class and reused, for two reasons measured on the
// fine-tuning runs:
// - glibc raises its mmap threshold after every large free (up to 32 MiB), so such buffers
//   then come from its heap arenas (one per allocating thread), which keep freed memory: a
//   GPT-2 run whose live memory peaked under 1 GB reached 4 GB of RSS.
// - Mapping fresh pages for every step's activations instead costs a page fault per 4 KiB.
// The pool holds at most `cacheLimit` bytes of free buffers; the rest go back to the system.
import Foundation

final class BufferPool: @unchecked Sendable {  // @unchecked: every mutable field is under `lock`
    static let shared = BufferPool()

    /// Buffers of at least this many bytes are pooled pages; smaller ones are malloc'd.
    static let largeThreshold = 256 << 10
    /// Free buffers kept for reuse, at most (bytes).
    let cacheLimit: Int

    private let lock = NSLock()
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private(set) var cachedBytes = 0

    init(cacheLimit: Int = 256 << 20) {
        self.cacheLimit = cacheLimit
    }

    /// Four size classes per power of two (at most 25% more than asked), page-rounded.
    static func sizeClass(_ bytes: Int) -> Int {
        let page = 4096
        let top = Int.bitWidth - 1 - bytes.leadingZeroBitCount   // floor(log2(bytes))
        let step = max(page, 1 << max(0, top - 2))
        return (bytes + step - 1) / step * step
    }

    /// At least `bytes` bytes, 64-byte aligned (pooled buffers are page aligned).
    func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
        guard bytes >= Self.largeThreshold else {
            var raw: UnsafeMutableRawPointer?
            // 64 bytes: one cache line, and the widest vector load.
            guard posix_memalign(&raw, 64, max(1, bytes)) == 0, let raw else { fatalError("out of memory allocating \(bytes) bytes") }
            return raw
        }
        let size = Self.sizeClass(bytes)
        lock.lock()
        if let reused = free[size]?.popLast() {
            cachedBytes -= size
            lock.unlock()
            return reused
        }
        lock.unlock()
        guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED else {
            fatalError("out of memory mapping \(size) bytes")
        }
        return mapped
    }

    /// Gives back a buffer `allocate(bytes)` returned.
    func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        guard bytes >= Self.largeThreshold else { return Foundation.free(pointer) }
        let size = Self.sizeClass(bytes)
        lock.lock()
        if cachedBytes + size <= cacheLimit {
            free[size, default: []].append(pointer)
            cachedBytes += size
            lock.unlock()
            return
        }
        lock.unlock()
        munmap(pointer, size)
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
