import Foundation

/// Where a backbone's weights come from, so a checkpoint can rebuild it.
public struct BackboneSource: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Weights: String, Codable, Hashable, Sendable {
        /// Released weights found by name through the Store (cache, mirror, download).
        case pretrained
        /// Weights read from `path` (a model directory).
        case directory
        /// A seeded random initialisation (`seed`) of the named architecture.
        case random
    }

    /// The backbone's name, e.g. "gpt2" (for `random`, the architecture/size).
    public var name: String
    public var weights: Weights
    public var seed: UInt64?
    public var path: String?

    public init(name: String, weights: Weights, seed: UInt64? = nil, path: String? = nil) {
        self.name = name
        self.weights = weights
        self.seed = seed
        self.path = path
    }

    public var description: String {
        switch weights {
        case .pretrained: "\(name) (pretrained)"
        case .directory: "\(name) (weights from \(path ?? "?"))"
        case .random: "\(name) (random weights, seed \(seed.map(String.init) ?? "?"))"
        }
    }
}
