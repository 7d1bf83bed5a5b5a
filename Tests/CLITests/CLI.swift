import Foundation
import XCTest

/// What one run of the binary did.
struct CLIResult {
    let arguments: [String]
    let status: Int32
    let reason: Process.TerminationReason
    let stdout: Data
    let stderr: String
    let timedOut: Bool

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// stderr's lines, without the final newline's empty one.
    var stderrLines: [Substring] {
        var lines = stderr.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
    /// stdout as JSON lines (non-objects left out).
    var jsonLines: [[String: Any]] {
        stdoutText.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
    func events(_ name: String) -> [[String: Any]] { jsonLines.filter { $0["event"] as? String == name } }

    var summary: String {
        "textclf \(arguments.joined(separator: " ")): \(reason == .exit ? "exit" : "signal") \(status)\(timedOut ? " (timed out)" : "")\nstderr: \(stderr)"
    }
}

/// The `textclf` binary built beside this test bundle, run as a child process with a private
/// TEXTCLF_HOME, offline and with no mirror, so no test reaches the network or the user's cache.
enum CLI {
    static let binary: URL = {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL { candidates.append(executable.deletingLastPathComponent()) }
        let bundle = Bundle(for: BundleMarker.self).bundleURL
        candidates += [bundle.deletingLastPathComponent(), bundle.deletingLastPathComponent().deletingLastPathComponent()]
        candidates.append(URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent())
        for directory in candidates {
            let url = directory.appendingPathComponent("textclf")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        fatalError("textclf binary not found beside the test bundle (looked in \(candidates.map(\.path)))")
    }()

    /// Tests/BackbonesTests/Fixtures, read in place.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("BackbonesTests/Fixtures")
    static let tinyBERT = fixtures.appendingPathComponent("tiny-bert")
    static let tinyGPT2 = fixtures.appendingPathComponent("tiny-gpt2/hf")
    static let tinyRoBERTa = fixtures.appendingPathComponent("tiny-roberta")
    static let tinyDistilBERT = fixtures.appendingPathComponent("tiny-distilbert")

    /// One private home for every run of the test process (nothing is ever fetched into it); it
    /// also holds the shared fixtures. XCTest has no end-of-process hook here, so the homes of
    /// test processes that are gone are removed instead.
    static let home: URL = {
        let fm = FileManager.default
        let prefix = "textclf-cli-home-"
        for name in (try? fm.contentsOfDirectory(atPath: fm.temporaryDirectory.path)) ?? [] where name.hasPrefix(prefix) {
            if let pid = Int32(name.dropFirst(prefix.count)), kill(pid, 0) != 0, errno == ESRCH {
                try? fm.removeItem(at: fm.temporaryDirectory.appendingPathComponent(name))
            }
        }
        let url = fm.temporaryDirectory.appendingPathComponent(prefix + String(getpid()))
        try? fm.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["TEXTCLF_HOME"] = home.path
        env["TEXTCLF_OFFLINE"] = "1"
        env.removeValue(forKey: "TEXTCLF_MIRROR")
        env.removeValue(forKey: "TEXTCLF_MANIFEST")
        return env
    }

    /// `environment` with one variable set.
    static func environment(_ name: String, _ value: String) -> [String: String] {
        var env = environment
        env[name] = value
        return env
    }

    /// Runs `textclf arguments` to the end (killed after `timeout` seconds).
    static func run(_ arguments: [String], stdin: Data? = nil, timeout: TimeInterval = 30,
                    environment: [String: String] = CLI.environment) throws -> CLIResult {
        try Running(arguments, stdin: stdin, environment: environment).finish(timeout: timeout)
    }


    private final class BundleMarker {}
}

/// A child process whose output is collected as it comes, so a test can act on a line
/// (signal the child after its Nth step) before the child ends.
final class Running: @unchecked Sendable {  // its buffers are guarded by `lock`
    let arguments: [String]
    let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private let readers = DispatchGroup()
    private let exited = DispatchSemaphore(value: 0)

    init(executable: URL = CLI.binary, _ arguments: [String], stdin: Data? = nil, environment: [String: String] = CLI.environment) throws {
        self.arguments = arguments
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let stdoutPipe = Pipe(), stderrPipe = Pipe(), stdinPipe = Pipe()
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.standardInput = stdin == nil ? FileHandle.nullDevice : stdinPipe
        process.terminationHandler = { [exited] _ in exited.signal() }
        try process.run()
        drain(stdoutPipe.fileHandleForReading, error: false)
        drain(stderrPipe.fileHandleForReading, error: true)
        if let stdin {
            DispatchQueue.global().async {
                try? stdinPipe.fileHandleForWriting.write(contentsOf: stdin)
                try? stdinPipe.fileHandleForWriting.close()
            }
        }
    }

    private func drain(_ handle: FileHandle, error: Bool) {
        readers.enter()
        DispatchQueue.global().async { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { if error { err.append(chunk) } else { out.append(chunk) } }
            }
            readers.leave()
        }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Waits until stdout holds a JSON line for which `matches` is true; false on timeout or
    /// when the child ends first.
    func waitForJSONLine(timeout: TimeInterval = 20, _ matches: ([String: Any]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var scanned = 0
        while Date() < deadline {
            let (text, done) = lock.withLock { (String(decoding: out, as: UTF8.self), !process.isRunning) }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()  // the last may be partial
            for line in lines.dropFirst(scanned) {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], matches(object) { return true }
            }
            scanned = lines.count
            if done { return false }
            usleep(2_000)
        }
        return false
    }

    /// Waits for the step event numbered `step` (finetune --json).
    func waitForStep(_ step: Int, timeout: TimeInterval = 20) -> Bool {
        waitForJSONLine(timeout: timeout) { $0["event"] as? String == "step" && $0["step"] as? Int == step }
    }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the end (SIGKILL after `timeout` seconds) and collects everything.
    func finish(timeout: TimeInterval = 30) -> CLIResult {
        let timedOut = exited.wait(timeout: .now() + timeout) == .timedOut
        if timedOut {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
        }
        readers.wait()
        return lock.withLock {
            CLIResult(arguments: arguments, status: process.terminationStatus, reason: process.terminationReason, stdout: out,
                      stderr: String(decoding: err, as: UTF8.self), timedOut: timedOut)
        }
    }

    /// Ends a child a failed test left behind (stopped or running).
    func killIfRunning() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGCONT)
        kill(process.processIdentifier, SIGKILL)
        _ = finish()
    }
}

/// Runs `script` with /bin/sh and `arguments` as $1, $2, ...: for bytes Foundation's Process
/// cannot pass (invalid UTF-8) and for system tools. $TEXTCLF is the binary.
func sh(_ script: String, _ arguments: String...) throws -> CLIResult {
    try Running(executable: URL(fileURLWithPath: "/bin/sh"), ["-c", "TEXTCLF=\"$0\"; " + script, CLI.binary.path] + arguments).finish()
}

/// A temporary directory removed when the test case ends.
func makeTemporaryDirectory(_ test: XCTestCase, _ name: String = "cli") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-\(name)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Assertions shared by the tests.
extension XCTestCase {
    /// Exit `status` (no signal, no timeout) and exactly one line on stderr containing each of `culprits`.
    func assertFails(_ result: CLIResult, status: Int32 = 2, naming culprits: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(result.timedOut, result.summary, file: file, line: line)
        XCTAssertEqual(result.reason, .exit, "ended by a signal: \(result.summary)", file: file, line: line)
        XCTAssertEqual(result.status, status, result.summary, file: file, line: line)
        XCTAssertEqual(result.stderrLines.count, 1, "stderr is not one line: \(result.summary)", file: file, line: line)
        for culprit in culprits {
            XCTAssertTrue(result.stderr.contains(culprit), "stderr does not name \(culprit): \(result.summary)", file: file, line: line)
        }
    }

    func assertSucceeds(_ result: CLIResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(result.timedOut, result.summary, file: file, line: line)
        XCTAssertEqual(result.reason, .exit, "ended by a signal: \(result.summary)", file: file, line: line)
        XCTAssertEqual(result.status, 0, result.summary, file: file, line: line)
    }
}
