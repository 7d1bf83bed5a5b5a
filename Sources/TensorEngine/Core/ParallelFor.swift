// Both cores for our own kernels: a tiny parallel-for over the kernel workers (CKernels'
// pool.c), with Dispatch's concurrentPerform when those are taken.
//
// Threading policy: our kernels and library calls alternate on the calling thread. oneDNN's
// products run on the same workers, split by us (see OneDNN.gemm); OpenBLAS's multi-threaded
// calls park the workers first, and the loader sets OPENBLAS_THREAD_TIMEOUT so OpenBLAS's own
// idle threads sleep almost at once (measured in `textclf bench gemm --contention`).
import CKernels
import Dispatch
import Foundation

public enum Parallel {
    /// Workers for our own kernels: one per core this process may run on (2 on the reference
    /// machine; 1 under `taskset -c 0` or an mpirun that binds each rank to a core).
    public static let workerCount: Int = {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let allowed = Int(tc_cpus_allowed())
        return max(1, allowed > 0 ? min(cores, allowed) : cores)
    }()

    /// Runs `body` on disjoint ranges that together cover 0..<count, in parallel when the
    /// work is big enough. `grain` is the least count worth a thread of its own (roughly
    /// 10–50 µs of work); `chunksPerWorker` > 1 balances uneven work (e.g. causal rows).
    ///
    /// `body` runs concurrently with itself: it must only write memory its range owns.
    /// That contract is why the non-Sendable closure may cross threads here.
    public static func forRanges(_ count: Int, grain: Int = 1, chunksPerWorker: Int = 1,
                                 _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let maxChunks = workerCount * max(1, chunksPerWorker)
        let chunks = min(maxChunks, max(1, count / max(1, grain)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        run(chunks) { chunk in body((count * chunk / chunks)..<(count * (chunk + 1) / chunks)) }
    }

    /// Runs `body(chunk)` for every chunk in 0..<chunks, on the calling thread and the kernel
    /// workers; on Dispatch's threads instead when the workers are busy with another caller's
    /// job or this is a job's chunk itself.
    public static func run(_ chunks: Int, _ body: (Int) -> Void) {
        if chunks <= 1 {
            if chunks == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            var job = body
            let ran = withUnsafeMutablePointer(to: &job) { pointer in
                tc_pool_run(chunks, { context, chunk in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(chunk)
                }, pointer, Int32(workerCount - 1))
            }
            guard ran != 0 else { return }
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: chunks) { body($0) }
        }
    }

    /// How many chunks `forChunks` will use for this much work.
    public static func chunkCount(_ count: Int, grain: Int = 1) -> Int {
        max(1, min(workerCount, count / max(1, grain)))
    }

    /// Like `forRanges` with exactly `chunkCount(count, grain:)` chunks, passing the chunk
    /// index too, so each chunk can accumulate into its own partial buffer (e.g. a bias
    /// gradient summed over rows), reduced afterwards by the caller.
    public static func forChunks(_ count: Int, grain: Int = 1, _ body: (_ chunk: Int, Range<Int>) -> Void) {
        let chunks = chunkCount(count, grain: grain)
        if chunks <= 1 {
            body(0, 0..<count)
            return
        }
        run(chunks) { chunk in body(chunk, (count * chunk / chunks)..<(count * (chunk + 1) / chunks)) }
    }

    /// Element-wise form of `forRanges`.
    @inline(__always)
    public static func forEach(_ count: Int, grain: Int = 1, chunksPerWorker: Int = 1,
                               _ body: (Int) -> Void) {
        forRanges(count, grain: grain, chunksPerWorker: chunksPerWorker) { range in
            for i in range { body(i) }
        }
    }
}
