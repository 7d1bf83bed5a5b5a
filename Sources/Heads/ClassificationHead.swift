// A classification head maps one pooled vector per text to class logits. Heads sit behind a
// protocol so users can bring their own; the built-in ones are `LinearHead` and `MLPHead`.
import Common
import TensorEngine

public protocol ClassificationHead: AnyObject {
    /// What the head is, for the checkpoint's JSON config (and to rebuild it on loading).
    var spec: HeadSpec { get }
    /// Width of the pooled vectors it reads (the backbone's hidden size).
    var inputSize: Int { get }
    /// Number of classes (logits per text).
    var classCount: Int { get }
    /// Its parameters, each named with the `head.` prefix (e.g. `head.weight`), in a stable order.
    var parameters: [Parameter] { get }
    /// pooled [B, inputSize] → logits [B, classCount].
    func forward(_ pooled: Variable, tape: Tape?) throws -> Variable
    /// Its dense-layer weights and how each is stored (what `textclf quantize` saves in int8).
    var denseWeights: [(weight: Parameter, layout: WeightLayout)] { get }
}

extension ClassificationHead {
    /// None declared: int8 inference still quantises the head's products when they run.
    public var denseWeights: [(weight: Parameter, layout: WeightLayout)] { [] }
}

/// How a head is built: its kind and settings. Stored in checkpoints as JSON, e.g.
/// `{"kind": "linear"}` or `{"kind": "mlp", "hidden_size": 768, "activation": "gelu"}`.
public struct HeadSpec: Codable, Hashable, Sendable, CustomStringConvertible {
    /// "linear", "mlp", or the kind of a head registered in a `HeadRegistry`.
    public var kind: String
    /// MLP: width of the hidden layer (nil: the input size).
    public var hiddenSize: Int?
    /// MLP: the non-linearity between its two layers.
    public var activation: HeadActivation?

    public init(kind: String, hiddenSize: Int? = nil, activation: HeadActivation? = nil) {
        self.kind = kind
        self.hiddenSize = hiddenSize
        self.activation = activation
    }

    /// One `nn.Linear(hidden, N)`: the reference recipe's head.
    public static let linear = HeadSpec(kind: "linear")

    /// hidden → hiddenSize → N with an activation between (RoBERTa-style classification head).
    public static func mlp(hiddenSize: Int? = nil, activation: HeadActivation = .gelu) -> HeadSpec {
        HeadSpec(kind: "mlp", hiddenSize: hiddenSize, activation: activation)
    }

    /// "linear", "mlp", "mlp:256", "mlp:256:tanh" (the CLI's --head values).
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts[0] {
        case "linear" where parts.count == 1:
            self = .linear
        case "mlp" where parts.count <= 3:
            let size = parts.count > 1 && !parts[1].isEmpty ? Int(parts[1]) : nil
            if parts.count > 1 && !parts[1].isEmpty && (size == nil || size! < 1) {
                throw InvalidInput("head \"\(text)\": the hidden size \"\(parts[1])\" is not a positive integer")
            }
            var activation = HeadActivation.gelu
            if parts.count == 3 {
                guard let parsed = HeadActivation(rawValue: parts[2]) else {
                    throw InvalidInput("head \"\(text)\": unknown activation \"\(parts[2])\" (gelu, tanh)")
                }
                activation = parsed
            }
            self = .mlp(hiddenSize: size, activation: activation)
        default:
            throw InvalidInput("head \"\(text)\" is not one of: linear, mlp, mlp:SIZE, mlp:SIZE:gelu|tanh")
        }
    }

    public var description: String {
        guard kind == "mlp" else { return kind }
        return "mlp:\(hiddenSize.map(String.init) ?? ""):\((activation ?? .gelu).rawValue)"
    }

    enum CodingKeys: String, CodingKey {
        case kind, hiddenSize = "hidden_size", activation
    }
}

public enum HeadActivation: String, Codable, Hashable, Sendable, CaseIterable {
    /// tanh-approximated GELU (GPT-2's).
    case gelu
    /// BERT's pooler non-linearity.
    case tanh
}

/// Builds heads from their spec: the built-in kinds, plus any registered in code.
///
///     var heads = HeadRegistry.builtIn
///     heads.register("cosine") { spec, inputSize, classCount, seed in try CosineHead(inputSize, classCount, seed) }
public struct HeadRegistry: @unchecked Sendable {
    public typealias Factory = (_ spec: HeadSpec, _ inputSize: Int, _ classCount: Int, _ seed: UInt64) throws -> any ClassificationHead

    private var factories: [String: Factory]

    public static var builtIn: HeadRegistry {
        HeadRegistry(factories: [
            "linear": { _, inputSize, classCount, seed in try LinearHead(inputSize: inputSize, classCount: classCount, seed: seed) },
            "mlp": { spec, inputSize, classCount, seed in
                try MLPHead(inputSize: inputSize, hiddenSize: spec.hiddenSize ?? inputSize, classCount: classCount,
                            activation: spec.activation ?? .gelu, seed: seed)
            },
        ])
    }

    public mutating func register(_ kind: String, _ factory: @escaping Factory) {
        factories[kind] = factory
    }

    public func makeHead(_ spec: HeadSpec, inputSize: Int, classCount: Int, seed: UInt64) throws -> any ClassificationHead {
        guard let factory = factories[spec.kind] else {
            throw InvalidInput("unknown head kind \"\(spec.kind)\" (known: \(factories.keys.sorted().joined(separator: ", ")))")
        }
        let head = try factory(spec, inputSize, classCount, seed)
        guard head.inputSize == inputSize, head.classCount == classCount else {
            throw InvalidInput("head \"\(spec.kind)\" was built for \(head.inputSize) → \(head.classCount), expected \(inputSize) → \(classCount)")
        }
        return head
    }
}
