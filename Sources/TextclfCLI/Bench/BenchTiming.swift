import Foundation

/// How every bench times its work: wall-clock seconds, reported as the median of several runs
/// (robust to one run disturbed by another process on a shared machine).
enum BenchTiming {
    static func seconds(since start: DispatchTime) -> Double { TextclfCLI.seconds(since: start) }

    /// The middle value (the mean of the two middle ones for an even count).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// Runs `body` `warmUp` times untimed, then `runs` times, and returns the median wall time in seconds.
    static func medianSeconds(runs: Int, warmUp: Int = 1, _ body: () throws -> Void) rethrows -> Double {
        for _ in 0 ..< warmUp { try body() }
        var times: [Double] = []
        for _ in 0 ..< runs {
            let start = DispatchTime.now()
            try body()
            times.append(seconds(since: start))
        }
        return median(times)
    }
}
