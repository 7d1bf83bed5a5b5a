// The ranks of an `mpirun` job: who this process is, and the few collectives textclf needs
// (in-place sums, point-to-point bytes, a barrier), each with a timeout so a rank whose peer
// died stops with a message instead of waiting for ever. Open MPI is loaded only when the
// environment says mpirun started the process (`Communicator.launched`), so a plain run neither
// needs libmpi nor pays for initialising it.
import CMPI
import Common
import Foundation

public final class Communicator: Sendable {
    public let rank: Int
    public let size: Int
    /// Seconds a collective may wait for the other ranks (TEXTCLF_MPI_TIMEOUT, default 300).
    public let timeout: Double

    private init(rank: Int, size: Int, timeout: Double) {
        self.rank = rank
        self.size = size
        self.timeout = timeout
    }

    /// True when mpirun (or another PMIx launcher) started this process.
    public static var launched: Bool { cmpi_launched() != 0 }

    /// The job's communicator when launched by mpirun, else nil (and libmpi is not touched).
    /// Exits 1 at once on SIGTERM, which is how mpirun ends the remaining ranks when one fails.
    public static func join(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Communicator? {
        guard launched else { return nil }
        let timeout = try timeoutSetting(environment)
        var message = [CChar](repeating: 0, count: 512)
        guard cmpi_load(&message, message.count) == 0 else {
            throw MPIUnavailable(reason: "launched by mpirun, but " + text(message))
        }
        var rank: Int32 = 0, size: Int32 = 0
        let code = cmpi_init(&rank, &size)
        guard code == 0 else { throw CollectiveFailure(rank: 0, size: 1, operation: "MPI_Init_thread", code: code, timeout: timeout) }
        cmpi_exit_on_sigterm("textclf: rank \(rank): stopped by mpirun because another rank of the job failed (mpirun's message names it); exit 1")
        return Communicator(rank: Int(rank), size: Int(size), timeout: timeout)
    }

    /// Loads libmpi without initialising it and returns its version line (for `textclf doctor`
    /// outside mpirun: whether a job could start).
    public static func probeLibrary() throws -> String {
        var message = [CChar](repeating: 0, count: 512)
        guard cmpi_load(&message, message.count) == 0 else { throw MPIUnavailable(reason: text(message)) }
        return versionLine()
    }

    static func versionLine() -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        guard cmpi_library_version(&buffer, buffer.count) == 0 else { return "unknown" }
        return text(buffer).split(separator: "\n").first.map(String.init) ?? ""
    }

    static func timeoutSetting(_ environment: [String: String]) throws -> Double {
        guard let text = environment["TEXTCLF_MPI_TIMEOUT"], !text.isEmpty else { return 300 }
        guard let value = Double(text), value > 0, value.isFinite else {
            throw InvalidInput("TEXTCLF_MPI_TIMEOUT=\(text): not a positive number of seconds")
        }
        return value
    }

    private func check(_ code: Int32, _ operation: String) throws {
        guard code != 0 else { return }
        throw CollectiveFailure(rank: rank, size: size, operation: operation, code: code, timeout: timeout)
    }

    /// Element-wise sum over all ranks, in place.
    public func sum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        try check(cmpi_allreduce_sum(values.baseAddress, Int64(values.count), Int32(CMPI_FLOAT.rawValue), timeout), "MPI_Allreduce")
    }

    public func sum(_ values: inout [Float]) throws { try values.withUnsafeMutableBufferPointer { try sum($0) } }

    public func sum(_ values: inout [Double]) throws {
        try values.withUnsafeMutableBufferPointer {
            try check(cmpi_allreduce_sum($0.baseAddress, Int64($0.count), Int32(CMPI_DOUBLE.rawValue), timeout), "MPI_Allreduce")
        }
    }

    public func sum(_ values: inout [Int64]) throws {
        try values.withUnsafeMutableBufferPointer {
            try check(cmpi_allreduce_sum($0.baseAddress, Int64($0.count), Int32(CMPI_INT64.rawValue), timeout), "MPI_Allreduce")
        }
    }

    /// True on every rank when `flag` is true on any.
    public func any(_ flag: Bool) throws -> Bool {
        var value: [Int64] = [flag ? 1 : 0]
        try sum(&value)
        return value[0] > 0
    }

    /// One Int64 from each rank, in rank order, on every rank.
    public func gather(_ value: Int64) throws -> [Int64] {
        var slots = [Int64](repeating: 0, count: size)
        slots[rank] = value
        try sum(&slots)  // the other slots are 0, so the sum is each rank's value, exactly
        return slots
    }

    public func send(_ bytes: [UInt8], to destination: Int, tag: Int = 0) throws {
        try bytes.withUnsafeBytes {
            try check(cmpi_send($0.baseAddress, Int64($0.count), Int32(destination), Int32(tag), timeout), "MPI_Send to rank \(destination)")
        }
    }

    public func receive(count: Int, from source: Int, tag: Int = 0) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes {
            try check(cmpi_receive($0.baseAddress, Int64(count), Int32(source), Int32(tag), timeout), "MPI_Recv from rank \(source)")
        }
        return bytes
    }

    public func barrier() throws { try check(cmpi_barrier(timeout), "MPI_Barrier") }

    /// MPI_Finalize; the last call a rank makes.
    public func finish() throws { try check(cmpi_finalize(), "MPI_Finalize") }

    /// The library's own version line (e.g. "Open MPI v4.1.4, ...").
    public var libraryVersion: String { Self.versionLine() }

    /// Each rank's host name, in rank order, on every rank.
    public func hostNames() throws -> [String] {
        var buffer = [CChar](repeating: 0, count: 1024)
        _ = cmpi_processor_name(&buffer, buffer.count)
        // 256 bytes a rank as 32 Int64 slots: every slot but one's own is 0, so the sum is exact.
        let width = 32
        var slots = [Int64](repeating: 0, count: width * size)
        slots.withUnsafeMutableBytes { raw in
            let own = Array(text(buffer).utf8.prefix(width * 8 - 1))
            for (index, byte) in own.enumerated() { raw[rank * width * 8 + index] = byte }
        }
        try sum(&slots)
        return slots.withUnsafeBytes { raw in
            (0..<size).map { index in
                let bytes = raw[(index * width * 8)..<((index + 1) * width * 8)].prefix { $0 != 0 }
                return String(decoding: bytes, as: UTF8.self)
            }
        }
    }
}

/// mpirun started the process, but libmpi could not be loaded.
public struct MPIUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// A collective or message that failed or timed out. With two ranks the one that did not answer
/// is known; with more, any of the others may be the one.
public struct CollectiveFailure: Error, CustomStringConvertible {
    public let rank: Int
    public let size: Int
    public let operation: String
    public let code: Int32
    public let timeout: Double

    public var description: String {
        var buffer = [CChar](repeating: 0, count: 512)
        cmpi_error_string(code, &buffer, buffer.count)
        let peers = size == 2 ? "rank \(1 - rank)" : "one of ranks \((0..<size).filter { $0 != rank }.map(String.init).joined(separator: ","))"
        if code == CMPI_TIMEOUT.rawValue {
            return "rank \(rank): \(operation): \(peers) did not answer within \(Int(timeout)) s (TEXTCLF_MPI_TIMEOUT): it stopped or cannot be reached"
        }
        return "rank \(rank): \(operation) failed: \(text(buffer)) (\(peers) stopped or cannot be reached)"
    }
}

/// A NUL-terminated C string from a buffer.
func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
