import Foundation

/// Where the Store looks and what it may do. `fromEnvironment()` reads the documented
/// variables; tests and programs build or adjust one in code instead.
///
/// - `TEXTCLF_HOME`: the cache directory (else `$XDG_CACHE_HOME/textclf`, else `~/.cache/textclf`).
/// - `TEXTCLF_MIRROR`: colon-separated read-only mirror directories, laid out `KIND/NAME/FILE`.
/// - `TEXTCLF_OFFLINE=1`: never touch the network.
/// - `TEXTCLF_MANIFEST`: colon-separated extra manifest files (after `$TEXTCLF_HOME/manifest.json`).
public struct StoreConfiguration: Sendable {
    /// Downloads and copies land here, laid out `KIND/NAME/FILE` (`datasets/sms-spam/...`).
    public var cacheDirectory: URL
    /// Searched in order after the cache; files there are used in place, never written.
    public var mirrors: [URL]
    /// When true, resolution never downloads; a miss lists what was tried instead.
    public var offline: Bool
    /// Extra manifests merged over the built-in one, in order (later entries replace earlier
    /// entries of the same kind and name). `$TEXTCLF_HOME/manifest.json` is read if it exists.
    public var manifestFiles: [URL]
    public var retry: RetryPolicy
    /// Seconds without any bytes before a request is abandoned (and retried).
    public var idleTimeout: TimeInterval
    /// Draw a progress line on stderr during downloads and long hashes.
    public var showProgress: Bool
    /// Receives one-line notices (downloading, retrying, moved aside). Default: stderr.
    public var log: @Sendable (String) -> Void

    public init(cacheDirectory: URL, mirrors: [URL] = [], offline: Bool = false, manifestFiles: [URL] = [],
                retry: RetryPolicy = RetryPolicy(), idleTimeout: TimeInterval = 60,
                showProgress: Bool = isatty(STDERR_FILENO) == 1,
                log: @escaping @Sendable (String) -> Void = StoreConfiguration.logToStandardError) {
        self.cacheDirectory = cacheDirectory
        self.mirrors = mirrors
        self.offline = offline
        self.manifestFiles = manifestFiles
        self.retry = retry
        self.idleTimeout = idleTimeout
        self.showProgress = showProgress
        self.log = log
    }

    /// Reads the configuration from `environment` (the process environment by default).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> StoreConfiguration {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        func directory(_ path: String) -> URL { URL(fileURLWithPath: path, isDirectory: true, relativeTo: cwd).standardizedFileURL }
        func list(_ name: String) -> [URL] {
            (environment[name] ?? "").split(separator: ":").map { directory(String($0)) }
        }

        let cache: URL
        if let home = environment["TEXTCLF_HOME"], !home.isEmpty {
            cache = directory(home)
        } else if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            cache = directory(xdg).appendingPathComponent("textclf", isDirectory: true)
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            cache = directory(home).appendingPathComponent(".cache/textclf", isDirectory: true)
        }
        let offlineValue = (environment["TEXTCLF_OFFLINE"] ?? "").lowercased()
        return StoreConfiguration(
            cacheDirectory: cache,
            mirrors: list("TEXTCLF_MIRROR"),
            offline: ["1", "true", "yes", "on"].contains(offlineValue),
            manifestFiles: list("TEXTCLF_MANIFEST").map { URL(fileURLWithPath: $0.path, isDirectory: false) }
        )
    }

    /// The optional user manifest inside the cache directory.
    public var userManifestFile: URL { cacheDirectory.appendingPathComponent("manifest.json", isDirectory: false) }

    public static let logToStandardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(("textclf: " + line + "\n").utf8))
    }
}

/// Bounded exponential backoff: attempt n (1-based) waits `initialDelay * 2^(n-1)`, capped at
/// `maxDelay`, and there are at most `attempts` tries per URL.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var initialDelay: TimeInterval
    public var maxDelay: TimeInterval

    public init(attempts: Int = 4, initialDelay: TimeInterval = 1, maxDelay: TimeInterval = 16) {
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
    }

    /// The wait before retry number `retry` (1 = the first retry).
    public func delay(beforeRetry retry: Int) -> TimeInterval {
        min(maxDelay, initialDelay * pow(2, Double(max(0, retry - 1))))
    }
}
