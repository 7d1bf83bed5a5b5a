// What `textclf serve` is told: the models, where to listen, how to batch, and the limits.
import Foundation

/// A model to serve: the name in `/v1/models/{name}/classify` and the run (or model) directory.
public struct ModelSpec: Sendable, Equatable {
    public var name: String
    public var directory: URL

    public init(name: String, directory: URL) {
        self.name = name
        self.directory = directory
    }

    /// Names are path segments: letters, digits, `.`, `_` and `-`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name != "." && name != ".."
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    /// `NAME=DIR`, or `DIR` named after the run directory (the parent of a run's `model/`).
    public static func parse(_ argument: String) -> ModelSpec {
        if let equals = argument.firstIndex(of: "="), isValidName(String(argument[..<equals])) {
            return ModelSpec(name: String(argument[..<equals]), directory: URL(fileURLWithPath: String(argument[argument.index(after: equals)...])))
        }
        let url = URL(fileURLWithPath: argument).standardizedFileURL
        let last = url.lastPathComponent == "model" ? url.deletingLastPathComponent().lastPathComponent : url.lastPathComponent
        let name = String(last.unicodeScalars.map { isValidName(String($0)) ? Character($0) : "-" })
        return ModelSpec(name: name.isEmpty || name == "/" ? "model" : name, directory: url)
    }
}

/// Dynamic batching: a worker waits up to `maxWait` after the oldest waiting request for
/// `maxBatchSize` texts, then runs what is waiting in batches of similar length.
public struct BatchingSettings: Sendable, Equatable {
    public var maxBatchSize: Int
    public var maxWait: Duration

    public init(maxBatchSize: Int = 32, maxWait: Duration = .milliseconds(5)) {
        self.maxBatchSize = maxBatchSize
        self.maxWait = maxWait
    }
}

/// Caps that keep one request from taking the server: each is an error answer, never a crash.
public struct ServeLimits: Sendable, Equatable {
    /// Request body bytes (413 beyond).
    public var maxBodyBytes: Int
    /// Texts in one request (422 beyond).
    public var maxTextsPerRequest: Int
    /// Unicode code points in one text, as JSON Schema's `maxLength` counts (422 beyond).
    public var maxCharactersPerText: Int
    /// Texts waiting for a model's worker (503 with Retry-After beyond).
    public var maxQueuedTexts: Int
    /// From arrival to answer (503 with Retry-After beyond).
    public var timeout: Duration

    public init(maxBodyBytes: Int = 1 << 20, maxTextsPerRequest: Int = 128, maxCharactersPerText: Int = 10_000,
                maxQueuedTexts: Int = 1024, timeout: Duration = .seconds(30)) {
        self.maxBodyBytes = maxBodyBytes
        self.maxTextsPerRequest = maxTextsPerRequest
        self.maxCharactersPerText = maxCharactersPerText
        self.maxQueuedTexts = maxQueuedTexts
        self.timeout = timeout
    }
}

public struct ServeSettings: Sendable {
    /// The first is the default model (`/v1/classify`).
    public var models: [ModelSpec]
    public var host: String
    /// 0 picks a free port (the `listening` line says which).
    public var port: Int
    public var batching: BatchingSettings
    public var limits: ServeLimits
    /// Check each rebuilt backbone's frozen weights against the recorded SHA-256.
    public var verifyBackbone: Bool

    public init(models: [ModelSpec], host: String = "127.0.0.1", port: Int = 8080, batching: BatchingSettings = .init(),
                limits: ServeLimits = .init(), verifyBackbone: Bool = true) {
        self.models = models
        self.host = host
        self.port = port
        self.batching = batching
        self.limits = limits
        self.verifyBackbone = verifyBackbone
    }
}
