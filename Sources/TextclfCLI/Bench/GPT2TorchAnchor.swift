import ArgumentParser
import Foundation

/// `--anchor FILE` and `--no-anchor` of the GPT-2 benches.
struct GPT2AnchorOptions: ParsableArguments {
    @Option(help: "The anchor script (default: scripts/bench_gpt2_torch.py of this checkout).")
    var anchor: String?

    @Flag(help: "Do not run the PyTorch anchor.")
    var noAnchor = false

    /// The anchor's passes by name, nil when it was not asked for; why it did not run is logged.
    func run(_ arguments: [String]) -> [String: [String: Any]]? {
        guard !noAnchor else { return nil }
        switch GPT2TorchAnchor.locate(explicit: anchor).flatMap({ $0.run(arguments) }) {
        case .success(let passes): return passes
        case .failure(let reason):
            Log.info("anchor not run: \(reason)")
            return nil
        }
    }
}

/// Runs scripts/bench_gpt2_torch.py (PyTorch + transformers, 2 threads) after our own
/// measurement, in the same invocation, and reads its JSON lines: the anchor of the GPT-2 benches.
struct GPT2TorchAnchor {
    static let scriptName = "scripts/bench_gpt2_torch.py"

    let script: String

    /// `explicit`, else the script in the current directory's or the executable's checkout.
    static func locate(explicit: String?) -> Result<GPT2TorchAnchor, BenchFailure> {
        var candidates: [String] = []
        if let explicit {
            candidates = [explicit]
        } else {
            candidates.append(FileManager.default.currentDirectoryPath + "/" + scriptName)
            // .build/<triple>/release/textclf → the package root is three levels up.
            var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<4 {
                dir.deleteLastPathComponent()
                candidates.append(dir.appendingPathComponent(scriptName).path)
            }
        }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            return .failure(BenchFailure("\(scriptName) not found (looked at \(candidates.joined(separator: ", "))); pass --anchor FILE"))
        }
        return .success(GPT2TorchAnchor(script: found))
    }

    /// The script's JSON lines by their "pass" key.
    func run(_ arguments: [String]) -> Result<[String: [String: Any]], BenchFailure> {
        Log.info("running the PyTorch anchor: python3 \(script) \(arguments.joined(separator: " ")) ...")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        do { try process.run() } catch { return .failure(BenchFailure("cannot start python3: \(error)")) }
        // Read stderr concurrently so a chatty script cannot fill the pipe and stall.
        nonisolated(unsafe) var errors = Data()
        let reader = Thread { errors = stderr.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let text = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        guard process.terminationStatus == 0 else {
            let last = String(decoding: errors, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            return .failure(BenchFailure("anchor exited with \(process.terminationStatus): \(last)"))
        }
        var passes: [String: [String: Any]] = [:]
        for line in text.split(separator: "\n") {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let pass = object["pass"] as? String {
                passes[pass] = object
            }
        }
        return passes.isEmpty ? .failure(BenchFailure("unexpected anchor output: \(text)")) : .success(passes)
    }
}
