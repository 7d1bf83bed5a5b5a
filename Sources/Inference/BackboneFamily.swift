// A family of backbones (GPT-2, BERT): the names it knows, the directories it reads, and how it
// builds pretrained or seeded random instances. `BackboneFamilies` holds the ones in use.
import Backbones
import Foundation
import Store

public protocol BackboneFamily: Sendable {
    /// For messages, e.g. "GPT-2".
    var displayName: String { get }
    /// The names to list when a name is unknown (`knows` may accept aliases too).
    var names: [String] { get }
    /// Names this family builds (e.g. gpt2, gpt2-medium, 124M).
    func knows(_ name: String) -> Bool
    /// Whether a model directory is in this family's format.
    func recognizes(directory: URL) -> Bool
    /// Released weights through the Store. Throws `WeightsUnavailable` when they cannot be had.
    func pretrained(_ name: String, store: Store, dropout: Float) throws -> any Backbone
    func directory(_ url: URL, store: Store, dropout: Float) throws -> any Backbone
    /// The named architecture with seeded random weights.
    func random(_ name: String, seed: UInt64, store: Store, dropout: Float) throws -> any Backbone
}

/// Pretrained weights that the Store could not find (offline, not cached, not mirrored).
public struct WeightsUnavailable: Error, CustomStringConvertible, CustomDebugStringConvertible {
    public let name: String
    /// The Store's error: one line, with the fix.
    public let error: any Error & CustomStringConvertible & CustomDebugStringConvertible
    /// One line: where the first missing file was looked for, e.g. "config.json: cache …: not
    /// there; mirror …: not there; download: offline".
    public let summary: String

    public init(name: String, error: any Error & CustomStringConvertible & CustomDebugStringConvertible, summary: String) {
        self.name = name
        self.error = error
        self.summary = summary
    }

    public var description: String { error.description }
    /// Every place tried, one per line.
    public var debugDescription: String { error.debugDescription }

    /// One line of a Store failure: the file, then each place tried and what happened there.
    static func summary(_ error: ResolutionError) -> String {
        "\(error.file): " + error.attempts.map { "\($0.place.rawValue) \($0.location): \($0.outcome)" }.joined(separator: "; ")
    }
}

/// config.json's "model_type", if the directory has a readable one.
func modelType(in directory: URL) -> String? {
    guard let data = try? Data(contentsOf: directory.appendingPathComponent("config.json")),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
    return object["model_type"] as? String
}
