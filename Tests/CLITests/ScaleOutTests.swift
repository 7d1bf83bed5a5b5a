import Foundation
import TestRequirements
import XCTest

/// `mpirun -np N textclf ...` on this machine (loopback, shared memory): data-parallel
/// fine-tuning equals one process on the global batch, sharded evaluation and prediction equal
/// one process exactly, and a rank that dies or hangs ends the job with a message naming it.
final class ScaleOutTests: XCTestCase {
    /// 72 training texts in global batches of 8: 9 SGD steps an epoch, 2 epochs. SGD (no
    /// momentum) keeps the comparison linear: the weights' difference is the learning rate times
    /// the gradients' differences, which come only from the order of float32 sums.
    static func training(_ output: URL, batchSize: Int = 8, learningRate: String = "0.5") -> [String] {
        Fixtures.finetune(output: output, epochs: 2, batchSize: batchSize,
                          ["--dropout", "0", "--optimizer", "sgd", "--lr", learningRate, "--weight-decay", "0"])
    }

    func testTwoRanksTrainAsOneProcessOnTheGlobalBatch() throws {
        try assertTrainsAsOneProcess { try MPIJob.run(2, ScaleOutTests.training($0)) }
    }

    /// The same with the two ranks in two network namespaces joined by a veth pair: MPI over a
    /// real TCP link (no shared memory), between two addresses the script makes and removes.
    func testTwoRanksAcrossNetworkNamespacesTrainAsOneProcess() throws {
        guard getuid() == 0 else { throw missingPrerequisite("root, to make network namespaces") }
        guard (try? sh("ip netns list"))?.status == 0 else { throw missingPrerequisite("ip netns (Debian iproute2)") }
        _ = try MPIJob.mpirun()
        let script = CLI.fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/netns_mpirun.sh")
        try assertTrainsAsOneProcess { output in
            try Running(executable: script, MPIJob.unbound + ["--", CLI.binary.path] + ScaleOutTests.training(output),
                        environment: CLI.environment)
                .finish(timeout: 120)
        }
    }

    /// `job` (two ranks, global batch 8, writing to the URL) against one process.
    private func assertTrainsAsOneProcess(_ job: (URL) throws -> CLIResult, file: StaticString = #filePath, line: UInt = #line) throws {
        let root = try makeTemporaryDirectory(self)
        let one = root.appendingPathComponent("one"), two = root.appendingPathComponent("two")
        let smaller = root.appendingPathComponent("smaller"), start = root.appendingPathComponent("start")
        let alone = try CLI.run(Self.training(one))
        assertSucceeds(alone, file: file, line: line)
        let job = try job(two)
        assertSucceeds(job, file: file, line: line)
        // The starting weights: a learning rate far below every weight's ulp leaves them as drawn.
        assertSucceeds(try CLI.run(Self.training(start, learningRate: "1e-30")), file: file, line: line)
        // The negative control: another global batch (4) is another run.
        assertSucceeds(try CLI.run(Self.training(smaller, batchSize: 4)), file: file, line: line)

        let initial = try SafeTensors.read(start.appendingPathComponent("model/model.safetensors"))
        let reference = try SafeTensors.read(one.appendingPathComponent("model/model.safetensors"))
        let parallel = try SafeTensors.read(two.appendingPathComponent("model/model.safetensors"))
        let other = try SafeTensors.read(smaller.appendingPathComponent("model/model.safetensors"))
        XCTAssertEqual(Set(parallel.keys), Set(reference.keys))
        let update = SafeTensors.distance(reference, initial)
        XCTAssertGreaterThan(update, 0, "training did not move the weights")
        // Tolerance, norm-wise relative to the whole update: each step's gradient is the same
        // sum of per-example terms, grouped differently (two ranks' halves, each padded to its
        // own longest text, so the BLAS blocking differs too). A float32 sum of n terms moves by
        // at most n·2^-24 of the sum of their magnitudes; with n ≤ 8 examples × 16 positions ×
        // 64 features ≈ 10^4 per element that is ≤ 6·10^-4 of the terms' magnitude, and the 18
        // SGD steps add such differences linearly. 10^-3 of the update allows that with cancellation
        // between terms up to a factor of ~2, and stays 10× below the difference another batch
        // size makes (checked below), so the test can fail.
        let tolerance = 1e-3 * update
        let difference = SafeTensors.distance(parallel, reference)
        XCTAssertLessThanOrEqual(difference, tolerance, "2 ranks × 4 differ from 1 process × 8 by \(difference) (update \(update))")
        XCTAssertGreaterThan(SafeTensors.distance(other, reference), 10 * tolerance, "the control run is too close to tell")

        // Sharded evaluation on identical weights (the baseline, before any step): exactly equal.
        let baseline = { (result: CLIResult) in result.events("baseline").first.map { NSDictionary(dictionary: $0) } }
        XCTAssertNotNil(baseline(job))
        XCTAssertEqual(baseline(job), baseline(alone), "the sharded baseline evaluation differs from one process's")
        // Rank 0 alone wrote the run: one result line, one set of files.
        XCTAssertEqual(job.events("result").count, 1, job.stdoutText)
        // The result says how much of training the gradient reduction took (one process: absent).
        let scaleOut = job.events("result").first?["data_parallel"] as? [String: Any]
        XCTAssertEqual(scaleOut?["ranks"] as? Int, 2, job.stdoutText)
        let reduction = try XCTUnwrap(scaleOut?["allreduce_seconds"] as? Double, job.stdoutText)
        XCTAssertTrue(reduction > 0 && reduction <= (scaleOut?["train_seconds"] as? Double ?? 0), "\(scaleOut ?? [:])")
        XCTAssertNil(alone.events("result").first?["data_parallel"], alone.stdoutText)
        XCTAssertEqual(job.events("step").count, alone.events("step").count, file: file, line: line)
    }

    func testShardedEvaluateEqualsOneProcess() throws {
        let options = ["evaluate", "--json", "--model", Fixtures.run.path, "--split", "all", "--batch-size", "5"]
        let alone = try CLI.run(options)
        assertSucceeds(alone)
        for ranks in [2, 3] {
            let job = try MPIJob.run(ranks, options)
            assertSucceeds(job)
            XCTAssertEqual(job.stdoutText, alone.stdoutText, "\(ranks) ranks")
        }
    }

    func testShardedPredictWritesTheBytesOfOneProcess() throws {
        let root = try makeTemporaryDirectory(self)
        // Lines of very different lengths (so byte ranges cut unevenly), an empty line, ids kept.
        var lines: [String] = []
        for i in 0..<61 {
            let words = String(repeating: i % 2 == 0 ? "great good " : "awful sad ", count: 1 + (i * 7) % 13)
            lines.append(i == 30 ? "" : "{\"id\": \(i), \"text\": \"\(words)day\"}")
        }
        let input = root.appendingPathComponent("in.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input)
        let plain = root.appendingPathComponent("in.txt")
        try Data(lines.filter { !$0.isEmpty }.map { "text number \($0.count)" }.joined(separator: "\n").utf8).write(to: plain)
        // Byte for byte with one text a batch: a text's logits depend on the shape of the batch it
        // is padded into (the kernels' blocking follows it), and the ranks batch their own lines.
        // With the default batch, the same labels in the same order.
        for file in [input, plain] {
            for batch in ["1", "16"] {
                let expected = root.appendingPathComponent("expected")
                let options = ["predict", "--model", Fixtures.run.path, "--file", file.path, "--batch-size", batch, "--json"]
                assertSucceeds(try CLI.run(options + ["--output", expected.path]))
                for ranks in [2, 3] {
                    let output = root.appendingPathComponent("out-\(ranks)")
                    assertSucceeds(try MPIJob.run(ranks, options + ["--output", output.path]))
                    let (got, want) = (try Data(contentsOf: output), try Data(contentsOf: expected))
                    if batch == "1" {
                        XCTAssertEqual(got, want, "\(file.lastPathComponent), \(ranks) ranks")
                    } else {
                        let labels = { (data: Data) in String(decoding: data, as: UTF8.self).split(separator: "\n").map {
                            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["label"] as? String ?? "?"
                        } }
                        XCTAssertEqual(labels(got), labels(want), "\(file.lastPathComponent), \(ranks) ranks, batch \(batch)")
                    }
                }
            }
        }
    }

    /// A killed rank: mpirun ends the others (they say why and exit 1) and names the rank.
    func testKilledRankEndsTheJobNamingIt() throws {
        let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let job = try MPIJob.start(2, Fixtures.finetune(output: run, epochs: 200, batchSize: 8), environment: ["TEXTCLF_MPI_TIMEOUT": "20"])
        defer { job.killIfRunning() }
        XCTAssertTrue(job.waitForStep(3), "no step 3")
        let rank1 = try XCTUnwrap(MPIJob.rankProcess(1, of: job.pid))
        let killed = Date()
        kill(rank1, SIGKILL)
        let result = job.finish(timeout: 20)
        XCTAssertFalse(result.timedOut, result.summary)
        XCTAssertLessThan(Date().timeIntervalSince(killed), 20)
        XCTAssertNotEqual(result.status, 0, result.summary)
        XCTAssertTrue(result.stderr.contains("process rank 1"), "mpirun did not name rank 1: \(result.summary)")
        XCTAssertTrue(result.stderr.contains("textclf: rank 0: stopped by mpirun because another rank of the job failed"), result.summary)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("report.json").path))
    }

    /// A rank that stops answering (SIGSTOP: alive, silent): the others give up after
    /// TEXTCLF_MPI_TIMEOUT, exit 1 and name it.
    func testSilentRankTimesOutNamingIt() throws {
        let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let job = try MPIJob.start(2, Fixtures.finetune(output: run, epochs: 200, batchSize: 8), environment: ["TEXTCLF_MPI_TIMEOUT": "3"])
        defer { job.killIfRunning() }
        XCTAssertTrue(job.waitForStep(3), "no step 3")
        let rank1 = try XCTUnwrap(MPIJob.rankProcess(1, of: job.pid))
        defer { kill(rank1, SIGKILL) }
        kill(rank1, SIGSTOP)
        let result = job.finish(timeout: 30)
        XCTAssertFalse(result.timedOut, result.summary)
        XCTAssertEqual(result.status, 1, result.summary)
        XCTAssertTrue(result.stderr.contains("rank 0: MPI_Allreduce: rank 1 did not answer within 3 s"), result.summary)
    }

    func testDoctorReportsTheJob() throws {
        let job = try MPIJob.run(2, ["doctor", "--json"])
        assertSucceeds(job)
        XCTAssertEqual(job.jsonLines.count, 1, job.stdoutText)
        XCTAssertEqual(job.jsonLines.first?["mpi_ranks"] as? Int, 2)
        XCTAssertTrue((job.jsonLines.first?["mpi_library"] as? String ?? "").contains("Open MPI"), job.stdoutText)
        let alone = try CLI.run(["doctor", "--json"])
        XCTAssertEqual(alone.jsonLines.first?["mpi_ranks"] as? Int, 1)
    }
}

/// mpirun, as root on loopback, running the textclf binary beside the tests.
enum MPIJob {
    static func mpirun() throws -> URL {
        guard let path = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw missingPrerequisite("mpirun (Debian openmpi-bin; make setup installs it)")
        }
        return URL(fileURLWithPath: path)
    }

    /// mpirun binds each rank to a core, so a rank's kernels would split their work over one
    /// worker where one process splits it over every core, and round differently: unbound, every
    /// rank sees the cores one process sees, and the same batch gives the same logits bit for bit.
    static let unbound = ["--bind-to", "none"]

    /// `mpirun -np ranks textclf arguments`, with mpirun's own `options` first.
    static func start(_ ranks: Int, _ arguments: [String], options: [String] = [], environment: [String: String] = [:],
                      launcher: [String] = []) throws -> Running {
        var env = CLI.environment
        env.merge(environment) { $1 }
        let command = launcher + [try mpirun().path, "--allow-run-as-root", "--oversubscribe", "-np", String(ranks)] + unbound + options
            + [CLI.binary.path] + arguments
        return try Running(executable: URL(fileURLWithPath: command[0]), Array(command.dropFirst()), environment: env)
    }

    static func run(_ ranks: Int, _ arguments: [String], options: [String] = [], environment: [String: String] = [:],
                    launcher: [String] = [], timeout: TimeInterval = 60) throws -> CLIResult {
        try start(ranks, arguments, options: options, environment: environment, launcher: launcher).finish(timeout: timeout)
    }

    /// The pid of rank `rank` among the descendants of `root` (OMPI_COMM_WORLD_RANK in its environment).
    static func rankProcess(_ rank: Int, of root: Int32) throws -> Int32? {
        var children: [Int32: [Int32]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: "/proc") {
            guard let pid = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { children[parent, default: []].append(pid) }
        }
        var queue = children[root] ?? []
        while let pid = queue.popLast() {
            queue += children[pid] ?? []
            guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            if environ.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == "OMPI_COMM_WORLD_RANK=\(rank)" }),
               (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix("textclf") == true {
                return pid
            }
        }
        return nil
    }
}

/// The float32 tensors of a .safetensors file, by name (enough of the format for these tests).
enum SafeTensors {
    static func read(_ url: URL) throws -> [String: [Float]] {
        let data = try Data(contentsOf: url)
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        var tensors: [String: [Float]] = [:]
        for (name, entry) in header where name != "__metadata__" {
            let info = try XCTUnwrap(entry as? [String: Any])
            XCTAssertEqual(info["dtype"] as? String, "F32", name)
            let offsets = try XCTUnwrap(info["data_offsets"] as? [Int])
            let bytes = data.subdata(in: (8 + headerLength + offsets[0])..<(8 + headerLength + offsets[1]))
            tensors[name] = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        return tensors
    }

    /// The Euclidean distance between two sets of tensors (over the names of `a`).
    static func distance(_ a: [String: [Float]], _ b: [String: [Float]]) -> Double {
        var sum = 0.0
        for (name, values) in a {
            guard let other = b[name], other.count == values.count else { return .infinity }
            for (x, y) in zip(values, other) { sum += (Double(x) - Double(y)) * (Double(x) - Double(y)) }
        }
        return sum.squareRoot()
    }
}
