// Classifier = backbone + pooling + head. The backbone never learns which head sits on it, and
// the head never learns which backbone feeds it: both meet at pooled vectors of `hiddenSize`.
import Backbones
import Common
import TensorEngine
import Tokenizers

public final class Classifier {
    public let backbone: any Backbone
    public let head: any ClassificationHead
    public let pooling: Pooling
    /// Class names in class-id order.
    public let labels: [String]
    /// Texts are cut to this many tokens (at most the backbone's context).
    public let maxLength: Int
    /// How logits become probabilities and labels (softmax and the argmax unless set).
    public var decision = DecisionRule()
    /// How a text longer than `maxLength` is read (`useLongText` changes it).
    public private(set) var longText: LongTextReader

    /// Checks that the head fits the backbone and the labels, and that parameter names are unique.
    public init(backbone: any Backbone, head: any ClassificationHead, labels: [String], pooling: Pooling? = nil,
                maxLength: Int? = nil) throws {
        guard labels.count >= 2, Set(labels).count == labels.count else {
            throw InvalidInput("a classifier needs at least two distinct labels, got \(labels)")
        }
        guard head.inputSize == backbone.hiddenSize else {
            throw TensorShapeError("head reads vectors of \(head.inputSize), but backbone \(backbone.name) produces \(backbone.hiddenSize)")
        }
        guard head.classCount == labels.count else {
            throw TensorShapeError("head has \(head.classCount) outputs for \(labels.count) labels")
        }
        let limit = maxLength ?? backbone.maxSequenceLength
        guard limit >= 1, limit <= backbone.maxSequenceLength else {
            throw InvalidInput("max length \(limit) is outside 1...\(backbone.maxSequenceLength) (backbone \(backbone.name)'s context)")
        }
        self.backbone = backbone
        self.head = head
        self.labels = labels
        self.pooling = pooling ?? backbone.defaultPooling
        self.maxLength = limit
        longText = try LongTextReader(.truncate, frame: backbone.tokenizer.specialTokenFrame, maxLength: limit)
        var seen = Set<String>()
        for (name, _) in namedParameters where !seen.insert(name).inserted {
            throw InvalidInput("parameter name \"\(name)\" occurs twice in the classifier (backbone and head must not share names)")
        }
    }

    /// A classifier with a new head of `spec` (seeded initialisation).
    public convenience init(backbone: any Backbone, labels: [String], head spec: HeadSpec = .linear, pooling: Pooling? = nil,
                            maxLength: Int? = nil, seed: UInt64 = 123, heads: HeadRegistry = .builtIn) throws {
        let head = try heads.makeHead(spec, inputSize: backbone.hiddenSize, classCount: labels.count, seed: seed)
        try self.init(backbone: backbone, head: head, labels: labels, pooling: pooling, maxLength: maxLength)
    }

    public var tokenizer: any Tokenizer { backbone.tokenizer }

    /// Reads long texts with `policy` from now on; refuses one that cannot work at `maxLength`.
    public func useLongText(_ policy: LongTextPolicy) throws {
        longText = try LongTextReader(policy, frame: tokenizer.specialTokenFrame, maxLength: maxLength)
    }

    /// Backbone parameters under their own names (HF names without a model prefix), then the
    /// head's (`head.*`).
    public var namedParameters: [(name: String, parameter: Parameter)] {
        backbone.namedParameters + head.parameters.map { ($0.name, $0) }
    }

    /// Every dense layer's weight, named, with how it is stored: the backbone's (adapters aside),
    /// then the head's. int8 inference runs these products in int8.
    public var denseWeights: [(name: String, weight: Parameter, layout: WeightLayout)] {
        let names = Dictionary(namedParameters.map { (ObjectIdentifier($0.parameter), $0.name) }, uniquingKeysWith: { a, _ in a })
        let layers = backbone.units.flatMap(\.linears).map { ($0.linear.weight, $0.linear.layout) } + head.denseWeights
        return layers.compactMap { weight, layout in names[ObjectIdentifier(weight)].map { ($0, weight, layout) } }
    }

    public var trainableParameters: [Parameter] {
        namedParameters.map(\.parameter).filter(\.requiresGrad)
    }

    // MARK: Freezing

    /// Freezes everything the policy does not train, unfreezes the rest (the head always trains).
    /// Under LoRA it first gives the targeted dense layers adapters (A drawn from `seed`; a layer
    /// that has one of the same rank and alpha keeps it) and removes adapters from the others;
    /// under any other policy it removes every adapter (merge them first to keep them:
    /// `mergeAdapters`).
    @discardableResult
    public func apply(_ policy: TrainablePolicy, seed: UInt64 = 0) -> TrainableSummary {
        let blockCount = backbone.blockCount
        let lora = policy.loraSettings
        var layerIndex: UInt64 = 0
        for unit in backbone.units {
            for slot in unit.linears {
                defer { layerIndex += 1 }
                if let lora, case .block(let block) = unit.kind, lora.targets.contains(slot.role),
                   lora.adapts(block: block, blockCount: blockCount) {
                    slot.linear.installLoRA(rank: lora.rank, alpha: lora.alpha, seed: SplitMix64.mix(seed &+ layerIndex))
                } else {
                    slot.linear.adapter = nil
                }
            }
        }
        // Parameters outside every unit (if a backbone has any) train only under `all`.
        for (_, parameter) in backbone.namedParameters { parameter.setRequiresGrad(policy == .all) }
        for unit in backbone.units {
            let trains = policy.trains(unit.kind, blockCount: blockCount)
            for parameter in unit.parameters { parameter.setRequiresGrad(trains) }
            guard let lora else { continue }
            for slot in unit.linears { for parameter in slot.linear.adapter?.parameters ?? [] { parameter.setRequiresGrad(true) } }
            if lora.trainNorms { for parameter in unit.norms { parameter.setRequiresGrad(true) } }
        }
        for parameter in head.parameters { parameter.setRequiresGrad(true) }
        return trainableSummary(policy: policy)
    }

    /// Folds every adapter into its layer's weight (`Linear.mergeAdapter`): the same function,
    /// with the backbone's own parameter names and shapes. Returns how many were merged.
    @discardableResult
    public func mergeAdapters() -> Int {
        let adapted = backbone.units.flatMap(\.linears).map(\.linear).filter { $0.adapter != nil }
        for linear in adapted { linear.mergeAdapter() }
        return adapted.count
    }

    /// Whether any dense layer of the backbone has an adapter.
    public var hasAdapters: Bool { backbone.units.contains { $0.linears.contains { $0.linear.adapter != nil } } }

    /// The counts for the current requiresGrad flags.
    public func trainableSummary(policy: TrainablePolicy) -> TrainableSummary {
        let trainable = trainableParameters
        return TrainableSummary(policy: policy, parameterCount: trainable.reduce(0) { $0 + $1.value.count },
                                tensorCount: trainable.count,
                                totalParameterCount: namedParameters.reduce(0) { $0 + $1.parameter.value.count },
                                frozenPrefixBlocks: frozenPrefixBlocks)
    }

    /// Leading blocks whose output does not depend on anything trainable: 0 if any embedding
    /// parameter trains, else the number of blocks before the first one with a trainable
    /// parameter (`blockCount` when only the final norm and head train).
    public var frozenPrefixBlocks: Int {
        var count = 0
        for unit in backbone.units {
            let frozen = unit.parameters.allSatisfy { !$0.requiresGrad }
            switch unit.kind {
            case .embeddings: if !frozen { return 0 }
            case .block: if frozen { count += 1 } else { return count }
            case .finalNorm: return count
            }
        }
        return count
    }

    // MARK: Forward

    /// Token ids → logits [B, classes].
    public func logits(_ input: BackboneInput, tape: Tape?) throws -> Variable {
        try logits(hidden: backbone.embed(input, tape: tape), fromBlock: 0, batch: input.batch, tape: tape)
    }

    /// Hidden states that went through the embeddings and blocks 0..<`firstBlock` (e.g. from
    /// the frozen-prefix cache) → logits, running blocks firstBlock..<blockCount, the final
    /// norm, pooling and the head.
    ///
    /// When the pooling reads one real position per text (`last`, `first`), the last block
    /// computes only those rows (`Backbone.block(_:_:batch:outputRows:tape:)`) and the final
    /// norm and head see B rows: the same logits as the full path, for much less work.
    public func logits(hidden: Variable, fromBlock firstBlock: Int, batch: PaddedBatch, tape: Tape?) throws -> Variable {
        let blockCount = backbone.blockCount
        guard (0...blockCount).contains(firstBlock) else {
            throw InvalidInput("block \(firstBlock) is outside 0...\(blockCount)")
        }
        if let rows = pooling.readsPadding ? nil : pooling.rows(batch) {
            var x = hidden
            if firstBlock < blockCount {
                for index in firstBlock..<(blockCount - 1) { x = try backbone.block(index, x, batch: batch, tape: tape) }
                x = try backbone.block(blockCount - 1, x, batch: batch, outputRows: rows, tape: tape)
            } else {
                x = try Ops.gatherRows(x, rows: rows, tape: tape)
            }
            return try head.forward(backbone.finalNorm(x, tape: tape), tape: tape)
        }
        let final = try backbone.run(blocks: firstBlock..<blockCount, on: hidden, batch: batch, tape: tape)
        return try head.forward(pooling.pool(final, batch: batch, tape: tape), tape: tape)
    }

    // MARK: Tokens

    /// A text's ids as the classifier reads them: the tokenizer's model encoding cut to
    /// `maxLength` (under `head+tail`, its first and last tokens; under `chunks`, its first
    /// window: `encodeWindows` gives them all). An empty encoding (an empty text, for GPT-2)
    /// becomes the pad token alone, so every text has at least one position to pool.
    public func encode(_ text: String) -> (ids: [Int32], truncated: Bool) {
        encode([text])[0]
    }

    /// `encode` for many texts, on all cores.
    public func encode(_ texts: [String]) -> [(ids: [Int32], truncated: Bool)] {
        if longText.policy == .truncate {
            return tokenizer.encodeBatchForModel(texts, maxLength: maxLength).map { (Self.nonEmpty($0.ids, padID: tokenizer.padTokenID), $0.truncated) }
        }
        return encodeWindows(texts).map { ($0.windows[0], $0.truncated) }
    }

    /// Every model input of each text under the long-text policy: one, or under `chunks` one
    /// per window (each non-empty, as `encode`).
    public func encodeWindows(_ texts: [String]) -> [(windows: [[Int32]], truncated: Bool)] {
        if longText.policy == .truncate { return encode(texts).map { ([$0.ids], $0.truncated) } }
        let reader = longText, padID = tokenizer.padTokenID
        return tokenizer.encodeBatch(texts).map { ids in
            let (windows, truncated) = reader.inputs(ids)
            return (windows.map { Self.nonEmpty($0, padID: padID) }, truncated)
        }
    }

    static func nonEmpty(_ ids: [Int], padID: Int) -> [Int32] {
        ids.isEmpty ? [Int32(truncatingIfNeeded: padID)] : ids.map { Int32(truncatingIfNeeded: $0) }
    }

    /// Pads token lists to the longest of them.
    public func input(_ sequences: [[Int32]]) throws -> BackboneInput {
        let time = max(1, sequences.map(\.count).max() ?? 1)
        var ids = [Int32](repeating: Int32(truncatingIfNeeded: tokenizer.padTokenID), count: sequences.count * time)
        for (b, sequence) in sequences.enumerated() {
            for (t, id) in sequence.enumerated() { ids[b * time + t] = id }
        }
        return try BackboneInput(tokenIDs: ids, batch: PaddedBatch(batchSize: sequences.count, time: time, lengths: sequences.map(\.count)))
    }
}
