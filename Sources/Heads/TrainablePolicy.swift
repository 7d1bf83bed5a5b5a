// Which parameters fine-tuning updates, stated in the backbone's units (embeddings, blocks,
// final norm) so every policy means the same for every backbone. The head always trains.
import Backbones
import Common
import TensorEngine

public enum TrainablePolicy: Hashable, Sendable, TextCodable {
    /// Only the head; the whole backbone is frozen.
    case head
    /// The last `n` blocks, the final norm and the head (`last-block` is n = 1: the reference
    /// recipe's default; `last-0-blocks` is the final norm and the head, where gradual
    /// unfreezing starts).
    case lastBlocks(Int)
    /// Everything (the reference's random-weights experiment).
    case all
    /// Low-rank adapters on the backbone's dense layers (frozen themselves), the head, and
    /// optionally the LayerNorms (`LoRASettings`).
    case lora(LoRASettings)

    public static let lastBlock = TrainablePolicy.lastBlocks(1)

    /// "head", "last-block", "last-N-blocks" (e.g. "last-2-blocks", N ≥ 0), "all",
    /// "lora[:RANK[:ALPHA]]..." (`LoRASettings`).
    public init(parsing text: String) throws {
        switch text {
        case "head": self = .head
        case "last-block": self = .lastBlocks(1)
        case "all": self = .all
        default:
            if text == "lora" || text.hasPrefix("lora:") {
                self = .lora(try LoRASettings(parsingOptions: text.dropFirst("lora".count)))
            } else if text.hasPrefix("last-"), text.hasSuffix("-blocks"),
               let n = Int(text.dropFirst("last-".count).dropLast("-blocks".count)), n >= 0 {
                self = .lastBlocks(n)
            } else {
                throw InvalidInput("trainable policy \"\(text)\" is not one of: head, last-block, last-N-blocks (e.g. last-2-blocks), all, \(LoRASettings.syntax)")
            }
        }
    }

    public var description: String {
        switch self {
        case .head: "head"
        case .lastBlocks(1): "last-block"
        case .lastBlocks(let n): "last-\(n)-blocks"
        case .all: "all"
        case .lora(let settings): settings.description
        }
    }

    /// The LoRA settings of a `lora` policy, nil for the others.
    public var loraSettings: LoRASettings? {
        if case .lora(let settings) = self { return settings }
        return nil
    }

    /// What is wrong with this policy for a backbone `model` of `blockCount` blocks, or nil if it fits:
    /// last-N-blocks with N above the block count would claim more than the model has.
    public func mismatch(blockCount: Int, model: String) -> String? {
        if case .lora(let settings) = self, let n = settings.lastBlocks, n > blockCount {
            return "puts adapters on the last \(n) blocks, but the model '\(model)' has \(blockCount)"
        }
        guard case .lastBlocks(let n) = self, n > blockCount else { return nil }
        return "asks for the last \(n) blocks, but the model '\(model)' has \(blockCount) (use \(TrainablePolicy.lastBlocks(max(blockCount, 1))) or all)"
    }

    /// Whether a whole unit of a backbone with `blockCount` blocks trains under this policy
    /// (under LoRA none does: only its adapters and norms, see `Classifier.apply`).
    public func trains(_ kind: BackboneUnit.Kind, blockCount: Int) -> Bool {
        switch (self, kind) {
        case (.all, _): true
        case (.head, _), (.lora, _): false
        case (.lastBlocks, .embeddings): false
        case (.lastBlocks, .finalNorm): true
        case (.lastBlocks(let n), .block(let index)): index >= blockCount - n
        }
    }

}

/// A setting written in config files as the text its command-line option takes
/// ("last-2-blocks", "gradual:2"): decoded by `init(parsing:)`, encoded as `description`; text
/// that does not parse is a decoding error with the parser's message.
public protocol TextCodable: Codable, CustomStringConvertible {
    init(parsing text: String) throws
}

extension TextCodable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        do { try self.init(parsing: container.decode(String.self)) } catch let error as InvalidInput {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// What a policy left trainable.
public struct TrainableSummary: Sendable, Equatable {
    public let policy: TrainablePolicy
    /// Elements in trainable tensors (backbone part + head).
    public let parameterCount: Int
    public let tensorCount: Int
    /// All parameters (trainable or not).
    public let totalParameterCount: Int
    /// How many leading blocks (with the embeddings) are frozen: their output can be computed
    /// once per text and cached. 0 when the embeddings train.
    public let frozenPrefixBlocks: Int

    /// "7,090,946 of 124,441,346 parameters trainable (5.70%): last-block"
    public var description: String {
        let share = totalParameterCount == 0 ? 0 : 100 * Double(parameterCount) / Double(totalParameterCount)
        return "\(groupedDigits(parameterCount)) of \(groupedDigits(totalParameterCount)) parameters trainable (\(String(format: "%.2f", share))%), policy \(policy)"
    }
}

/// 7090946 → "7,090,946".
public func groupedDigits(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}
