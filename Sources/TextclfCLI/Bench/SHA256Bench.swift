import ArgumentParser
import Foundation
import Store

/// `textclf bench sha256`: throughput of the Store's SHA-256, in memory and on a file, with
/// coreutils `sha256sum` on the same file as the anchor (when it is installed).
struct SHA256Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sha256",
        abstract: "Measure SHA-256 throughput (MB/s) against sha256sum.",
        discussion: """
        Example:
          textclf bench sha256 --file ../shared/mirror/models/all-MiniLM-L6-v2/model.safetensors
        """
    )

    @Option(help: "Size of the in-memory buffer to hash, in MiB.")
    var mib = 256

    @Option(help: "A file to hash as well (read through the page cache).")
    var file: String?

    @Option(help: "Runs per measurement; the median is reported.")
    var repeats = 5

    @OptionGroup var output: OutputOptions

    func run() throws {
        guard mib > 0, repeats > 0 else { throw ValidationError("--mib and --repeats must be positive") }
        var buffer = [UInt8](repeating: 0, count: mib << 20)
        var seed: UInt64 = 0x9E3779B97F4A7C15
        for i in buffer.indices { seed = seed &* 6364136223846793005 &+ 1442695040888963407; buffer[i] = UInt8(truncatingIfNeeded: seed >> 56) }
        let memory = BenchTiming.medianSeconds(runs: repeats, warmUp: 0) { _ = buffer.withUnsafeBytes { bytes in var h = SHA256(); h.update(bytes); return h.finalize() } }
        report(["case": "memory", "bytes": buffer.count, "seconds": memory, "mb_per_s": Double(buffer.count) / memory / 1e6])

        guard let file else { return }
        let url = URL(fileURLWithPath: file)
        let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
        _ = try SHA256.hash(fileAt: url)  // warm the page cache
        let ours = try BenchTiming.medianSeconds(runs: repeats, warmUp: 0) { _ = try SHA256.hash(fileAt: url) }
        var row: [String: Any] = ["case": "file", "file": file, "bytes": size, "seconds": ours, "mb_per_s": Double(size) / ours / 1e6]
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/sha256sum") {
            let anchor = try BenchTiming.medianSeconds(runs: repeats, warmUp: 0) {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
                p.arguments = [file]
                p.standardOutput = FileHandle.nullDevice
                try p.run()
                p.waitUntilExit()
            }
            row["sha256sum_seconds"] = anchor
            row["sha256sum_mb_per_s"] = Double(size) / anchor / 1e6
            row["ratio_vs_sha256sum"] = anchor / ours
        }
        report(row)
    }

    private func report(_ row: [String: Any]) {
        if output.json { JSONLines.emit(row); return }
        var line = "sha256 \(row["case"]!): \(String(format: "%.0f", row["mb_per_s"] as! Double)) MB/s (median of \(repeats))"
        if let anchor = row["sha256sum_mb_per_s"] as? Double, let ratio = row["ratio_vs_sha256sum"] as? Double {
            line += String(format: "; sha256sum %.0f MB/s; ratio %.2f", anchor, ratio)
        }
        print(line)
    }
}
