// What `--trainable lora[:RANK[:ALPHA]]` trains: low-rank adapters on the chosen dense layers
// (see `LoRAAdapter`), the head, and optionally the LayerNorms. Written as one piece of text
// so that config files, task files and classifier.json carry it whole:
//
//     lora:8                              rank 8, alpha 8 (peft's defaults), attention only
//     lora:8:16:attention,mlp:norms       alpha 16, every dense layer, the LayerNorms train too
//     lora:8:16:last-2-blocks             adapters on the last two blocks only
import Backbones
import Common

public struct LoRASettings: Hashable, Sendable {
    public var rank: Int
    /// The update is scaled by alpha / rank.
    public var alpha: Double
    public var targets: Set<LinearRole>
    /// Whether the LayerNorm gains and biases train too.
    public var trainNorms: Bool
    /// Adapters on the last `lastBlocks` blocks only (nil: every block). The blocks below have
    /// none, so with dropout 0 their output is cached once (the frozen-prefix cache).
    public var lastBlocks: Int?

    public init(rank: Int = 8, alpha: Double? = nil, targets: Set<LinearRole> = [.attention], trainNorms: Bool = false,
                lastBlocks: Int? = nil) {
        self.rank = rank
        self.alpha = alpha ?? Double(rank)
        self.targets = targets
        self.trainNorms = trainNorms
        self.lastBlocks = lastBlocks
    }

    static let syntax = "lora[:RANK[:ALPHA]][:attention|mlp|attention,mlp][:norms][:last-N-blocks]"

    /// The text after "lora" (empty, or ":8", ":8:16:attention,mlp", ...).
    init(parsingOptions text: Substring) throws {
        let parts = text.isEmpty ? [] : text.dropFirst().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func bad(_ why: String) -> InvalidInput { InvalidInput("trainable policy \"lora\(text)\": \(why) (\(Self.syntax))") }
        self.init()
        var rest = parts[...]
        if let first = rest.first, first.first?.isNumber == true {
            guard let rank = Int(first), rank >= 1 else { throw bad("the rank must be a whole number ≥ 1") }
            self.rank = rank
            alpha = Double(rank)
            rest = rest.dropFirst()
            if let second = rest.first, second.first?.isNumber == true || second.hasPrefix(".") {
                guard let alpha = Double(second), alpha.isFinite, alpha > 0 else { throw bad("alpha must be a positive number") }
                self.alpha = alpha
                rest = rest.dropFirst()
            }
        }
        for part in rest {
            if part == "norms" {
                trainNorms = true
            } else if part.hasPrefix("last-"), part.hasSuffix("-blocks"),
                      let n = Int(part.dropFirst("last-".count).dropLast("-blocks".count)), n >= 1 {
                lastBlocks = n
            } else {
                targets = try Self.targets(parsing: part)
            }
        }
    }

    /// "attention", "mlp" or "attention,mlp" (`--lora-targets`).
    public static func targets(parsing text: String) throws -> Set<LinearRole> {
        var roles = Set<LinearRole>()
        for name in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let role = LinearRole(rawValue: String(name)) else {
                throw InvalidInput("LoRA target \"\(name)\" is not one of: \(LinearRole.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            roles.insert(role)
        }
        return roles
    }

    /// "lora:8:16", with the targets, norms and blocks when they are not the defaults.
    var description: String {
        var text = "lora:\(rank):" + (alpha == alpha.rounded() && abs(alpha) < 1e15 ? String(Int(alpha)) : String(alpha))
        if targets != [.attention] { text += ":" + LinearRole.allCases.filter(targets.contains).map(\.rawValue).joined(separator: ",") }
        if trainNorms { text += ":norms" }
        if let lastBlocks { text += ":last-\(lastBlocks)-blocks" }
        return text
    }

    /// Whether block `index` of `blockCount` gets adapters.
    public func adapts(block index: Int, blockCount: Int) -> Bool {
        index >= blockCount - (lastBlocks ?? blockCount)
    }
}
