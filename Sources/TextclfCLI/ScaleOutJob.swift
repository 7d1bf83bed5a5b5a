// The mpirun job this process belongs to, if any: joined once, by the commands that scale out
// (finetune, predict, evaluate, doctor), and finished after the command succeeds (mpirun
// counts a rank that exits without MPI_Finalize as failed). A process not started by mpirun
// never loads libmpi.
import Foundation
import ScaleOut
import Training

extension Communicator: DataParallelGroup {}

enum ScaleOutJob {
    nonisolated(unsafe) private static var joined: Communicator??

    /// The job's communicator, or nil when not started by mpirun.
    static func join() throws -> Communicator? {
        if let joined { return joined }
        let communicator = try Communicator.join()
        joined = .some(communicator)
        return communicator
    }

    /// MPI_Finalize, when the process joined a job.
    static func finish() throws {
        if case .some(.some(let communicator)) = joined { try communicator.finish() }
    }

    /// The doctor's lines: the library, the ranks and where they run, and the transport.
    static func doctorReport() -> (lines: [String], json: [String: Any]) {
        do {
            guard let job = try join() else {
                let library: String
                do { library = try Communicator.probeLibrary() } catch { library = "unavailable: \(error)" }
                return (["MPI        \(library)", "  ranks    1: not started by mpirun (mpirun -np N textclf ... scales out; README, Scale-out)"],
                        ["mpi_library": library, "mpi_ranks": 1])
            }
            let hosts = try job.hostNames()
            let distinct = Set(hosts).count
            let restriction = ProcessInfo.processInfo.environment["OMPI_MCA_btl"].map { " (OMPI_MCA_btl=\($0))" } ?? ""
            let transport = (distinct == 1 ? "shared memory (vader) between ranks on this host"
                                           : "TCP between the \(distinct) hosts, shared memory (vader) within each") + restriction
            return (["MPI        \(job.libraryVersion)",
                     "  ranks    \(job.size) on \(distinct) host\(distinct == 1 ? "" : "s"): \(hosts.joined(separator: " "))",
                     "  transport \(transport)"],
                    ["mpi_library": job.libraryVersion, "mpi_ranks": job.size, "mpi_hosts": hosts, "mpi_transport": transport])
        } catch {
            return (["MPI        error: \(error)"], ["mpi_error": "\(error)"])
        }
    }
}
