import Foundation
import XCTest

/// A run stopped by Ctrl-C or kill -9 and continued with --resume ends with the same bytes as a
/// run never stopped; one run directory has one writer at a time.
final class InterruptResumeTests: XCTestCase {
    /// 72 training texts in batches of 4 for 3 epochs: 54 steps, resumable after every one.
    private func options(output: URL, dropout: String, backbone: URL = CLI.tinyBERT) -> [String] {
        Fixtures.finetune(output: output, backbone: backbone, epochs: 3, batchSize: 4, ["--save-every", "1", "--dropout", dropout])
    }

    /// The step after which the child is stopped: well inside the first epoch.
    private let stopStep = 10

    /// model.safetensors of an uninterrupted run, one per backbone and dropout for the whole class.
    nonisolated(unsafe) private static var uninterrupted: [String: Data] = [:]

    private func uninterruptedWeights(dropout: String, backbone: URL) throws -> Data {
        let key = "\(backbone.path) \(dropout)"
        if let weights = Self.uninterrupted[key] { return weights }
        let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
        assertSucceeds(try CLI.run(options(output: run, dropout: dropout, backbone: backbone)))
        let weights = try Data(contentsOf: run.appendingPathComponent("model/model.safetensors"))
        Self.uninterrupted[key] = weights
        return weights
    }

    /// Starts a run, sends `signal` after step `stopStep`, and returns the stopped child's result.
    private func stoppedRun(_ run: URL, dropout: String, backbone: URL, signal: Int32) throws -> CLIResult {
        let child = try Running(options(output: run, dropout: dropout, backbone: backbone))
        defer { child.killIfRunning() }
        XCTAssertTrue(child.waitForStep(stopStep), "no step \(stopStep) event")
        child.signal(signal)
        let result = child.finish()
        XCTAssertFalse(result.timedOut, result.summary)
        XCTAssertLessThan(result.events("step").count, 54, "the run ended before it was stopped")
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent("resume").path), "no resume state after the stop")
        return result
    }

    /// Resumes `run` to the end and checks it continued (not restarted) and matches the uninterrupted run.
    private func assertResumesExactly(_ run: URL, dropout: String, backbone: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let resumed = try CLI.run(["finetune", "--json", "--resume", run.path])
        assertSucceeds(resumed, file: file, line: line)
        let start = resumed.events("prepared").first?["start_step"] as? Int ?? 0
        XCTAssertGreaterThan(start, 0, "the resumed run started over", file: file, line: line)
        let weights = try Data(contentsOf: run.appendingPathComponent("model/model.safetensors"))
        XCTAssertTrue(weights == (try uninterruptedWeights(dropout: dropout, backbone: backbone)),
                      "model.safetensors after resume differs from the uninterrupted run (dropout \(dropout))", file: file, line: line)
    }

    private func partials(in run: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.hasPrefix(".") && $0.contains("partial-") }
    }

    private func killThenResume(dropout: String, backbone: URL = CLI.tinyBERT) throws {
        let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let killed = try stoppedRun(run, dropout: dropout, backbone: backbone, signal: SIGKILL)
        XCTAssertEqual(killed.reason, .uncaughtSignal, killed.summary)
        try assertResumesExactly(run, dropout: dropout, backbone: backbone)
    }

    private func interruptThenResume(dropout: String) throws {
        let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let interrupted = try stoppedRun(run, dropout: dropout, backbone: CLI.tinyBERT, signal: SIGINT)
        XCTAssertEqual(interrupted.reason, .exit, interrupted.summary)
        XCTAssertEqual(interrupted.status, 1, interrupted.summary)
        XCTAssertTrue(interrupted.stderr.contains("textclf finetune --resume \(run.path)"), interrupted.summary)
        XCTAssertEqual(interrupted.events("interrupted").count, 1, interrupted.stdoutText)
        try assertResumesExactly(run, dropout: dropout, backbone: CLI.tinyBERT)
    }

    func testKillThenResumeIsExactWithoutDropout() throws { try killThenResume(dropout: "0") }

    func testKillThenResumeIsExactWithDropout() throws { try killThenResume(dropout: "0.1") }

    /// RoBERTa and DistilBERT draw their dropout masks in their own order (DistilBERT has none
    /// after the attention projection); resume replays them all the same.
    func testKillThenResumeIsExactOnRoBERTaWithDropout() throws { try killThenResume(dropout: "0.1", backbone: CLI.tinyRoBERTa) }

    func testKillThenResumeIsExactOnDistilBERTWithDropout() throws { try killThenResume(dropout: "0.1", backbone: CLI.tinyDistilBERT) }

    func testInterruptThenResumeIsExactWithoutDropout() throws { try interruptThenResume(dropout: "0") }

    func testInterruptThenResumeIsExactWithDropout() throws { try interruptThenResume(dropout: "0.1") }

    func testNoPartialDirectoryIsLeftAfterKillAndResume() throws {
        let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
        _ = try stoppedRun(run, dropout: "0", backbone: CLI.tinyBERT, signal: SIGKILL)
        // And one left by a writer long gone (no process has this pid).
        try FileManager.default.createDirectory(at: run.appendingPathComponent(".resume.partial-99999999-1"), withIntermediateDirectories: true)
        try assertResumesExactly(run, dropout: "0", backbone: CLI.tinyBERT)
        XCTAssertEqual(try partials(in: run), [], "partial directories left in the run directory")
    }

    /// Starts a run and stops it (SIGSTOP) after its second step: it holds the run directory.
    private func pausedWriter(_ run: URL) throws -> Running {
        let writer = try Running(options(output: run, dropout: "0"))
        XCTAssertTrue(writer.waitForStep(2), "no step 2 event")
        writer.signal(SIGSTOP)
        return writer
    }

    func testTwoWritersOnOneOutput() throws {
        let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let first = try pausedWriter(run)
        defer { first.killIfRunning() }
        let second = try CLI.run(options(output: run, dropout: "0"))
        assertFails(second, naming: ["pid", String(first.pid)])
        first.signal(SIGCONT)
        assertSucceeds(first.finish())
        XCTAssertTrue(try Data(contentsOf: run.appendingPathComponent("model/model.safetensors")) == (try uninterruptedWeights(dropout: "0", backbone: CLI.tinyBERT)),
                      "the second writer changed the first one's run")
    }

    func testResumeOfARunStillGoing() throws {
        let run = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let writer = try pausedWriter(run)
        defer { writer.killIfRunning() }
        let resume = try CLI.run(["finetune", "--json", "--resume", run.path])
        assertFails(resume, naming: ["pid", String(writer.pid)])
        writer.signal(SIGCONT)
        assertSucceeds(writer.finish())
    }
}
