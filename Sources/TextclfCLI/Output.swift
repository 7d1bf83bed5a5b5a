import Foundation

/// Human-facing messages go to stderr so stdout carries only results.
enum Log {
    static func info(_ line: String) { write(line) }
    static func error(_ line: String) { write(line) }
    private static func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// One JSON object per line on stdout, keys sorted so the output is stable.
enum JSONLines {
    static func emit(_ object: [String: Any]) {
        if let line = line(object) { FileHandle.standardOutput.write(line) }
    }

    /// The line `emit` writes, newline included.
    static func line(_ object: [String: Any]) -> Data? {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            Log.error("internal error: result is not JSON-serialisable: \(object)")
            return nil
        }
        var line = data
        line.append(0x0A)
        return line
    }
}

/// A run that could not do its job (exit 1, as opposed to bad input's exit 2).
struct RunFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Wall-clock seconds since `start` (for the timings commands report).
func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}
