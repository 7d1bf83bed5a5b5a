import Foundation

/// A one-line progress display on stderr for downloads and long hashes. Only drawn when the
/// configuration says so (by default: stderr is a terminal), redrawn at most 5 times a second.
final class ProgressReporter: @unchecked Sendable {
    private let enabled: Bool
    // Touched from the URLSession delegate queue only while one transfer runs.
    private var lastDraw: UInt64 = 0

    init(enabled: Bool) { self.enabled = enabled }

    /// One transfer (download or copy) of `name`; `total` is nil when the size is unknown.
    final class Line {
        private let owner: ProgressReporter
        private let label: String
        private let total: Int64?
        private let start = DispatchTime.now().uptimeNanoseconds
        private let startBytes: Int64
        private var bytes: Int64

        fileprivate init(owner: ProgressReporter, label: String, total: Int64?, startBytes: Int64) {
            self.owner = owner
            self.label = label
            self.total = total
            self.startBytes = startBytes
            self.bytes = startBytes
        }

        func update(_ bytesSoFar: Int64) {
            bytes = bytesSoFar
            owner.draw(self, final: false)
        }

        func finish() { owner.draw(self, final: true) }

        fileprivate var text: String {
            let seconds = max(1e-3, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            let rate = Double(bytes - startBytes) / seconds
            var parts = ["  \(label)", ByteCount.format(bytes)]
            if let total, total > 0 {
                parts[1] += " / \(ByteCount.format(total))"
                parts.append(String(format: "%3.0f%%", 100 * Double(bytes) / Double(total)))
                if rate > 0, bytes < total {
                    let eta = Int(Double(total - bytes) / rate)
                    parts.append(String(format: "ETA %d:%02d", eta / 60, eta % 60))
                }
            }
            parts.append("\(ByteCount.format(Int64(rate)))/s")
            return parts.joined(separator: "  ")
        }
    }

    func line(_ label: String, total: Int64?, startingAt start: Int64 = 0) -> Line {
        Line(owner: self, label: label, total: total, startBytes: start)
    }

    /// Runs `body` (a hash of a file of `size` bytes), showing progress for big files only.
    func hashing<T>(_ name: String, size: Int64, _ body: ((Int64) -> Void) throws -> T) rethrows -> T {
        guard enabled, size >= 64 << 20 else { return try body { _ in } }
        let line = line("verifying \(name)", total: size)
        defer { line.finish() }
        return try body { line.update($0) }
    }

    private func draw(_ line: Line, final: Bool) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard final || now - lastDraw > 200_000_000 else { return }
        lastDraw = now
        // \r and "erase line" redraw in place; the final draw ends the line.
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line.text + (final ? "\n" : "")).utf8))
    }
}

/// Human byte counts for messages and `cache ls` (decimal units, like download sites).
public enum ByteCount {
    public static func format(_ bytes: Int64) -> String {
        let value = Double(bytes)
        switch bytes {
        case ..<1_000: return "\(bytes) B"
        case ..<1_000_000: return String(format: "%.1f kB", value / 1e3)
        case ..<1_000_000_000: return String(format: "%.1f MB", value / 1e6)
        default: return String(format: "%.2f GB", value / 1e9)
        }
    }
}
