/// A batch as a model consumes it: every row padded to one length, with the attention mask
/// (1 for a real token, 0 for padding), as Hugging Face's
/// `tokenizer(texts, padding=..., truncation=True, max_length=...)` returns `input_ids` and
/// `attention_mask`. Padding goes on the right.
public struct ModelInputs: Sendable, Equatable {
    public var inputIDs: [[Int]]
    public var attentionMask: [[Int]]
    /// Whether each text was cut to fit `maxLength`.
    public var truncated: [Bool]

    public init(inputIDs: [[Int]], attentionMask: [[Int]], truncated: [Bool]) {
        self.inputIDs = inputIDs
        self.attentionMask = attentionMask
        self.truncated = truncated
    }

    /// The common row length.
    public var length: Int { inputIDs.first?.count ?? 0 }
    /// Real (unpadded) tokens per row.
    public var lengths: [Int] { attentionMask.map { $0.reduce(0, +) } }
}

/// How far `modelInputs` pads.
public enum PaddingStrategy: Sendable {
    /// To the longest row of the batch (Hugging Face's `padding=True`).
    case longest
    /// To `maxLength` (Hugging Face's `padding="max_length"`).
    case maxLength
}

extension Tokenizer {
    /// `encodeForModel` for each text (over all cores), padded with `padTokenID` into one
    /// rectangle with its attention mask.
    public func modelInputs(_ texts: [String], maxLength: Int, padding: PaddingStrategy = .longest) -> ModelInputs {
        let encoded = encodeBatchForModel(texts, maxLength: maxLength)
        let length = padding == .maxLength ? max(0, maxLength) : encoded.map(\.ids.count).max() ?? 0
        var inputs = ModelInputs(inputIDs: [], attentionMask: [], truncated: encoded.map(\.truncated))
        inputs.inputIDs.reserveCapacity(encoded.count)
        inputs.attentionMask.reserveCapacity(encoded.count)
        for (ids, _) in encoded {
            let padCount = length - ids.count
            inputs.inputIDs.append(ids + repeatElement(padTokenID, count: padCount))
            inputs.attentionMask.append([Int](repeating: 1, count: ids.count) + repeatElement(0, count: padCount))
        }
        return inputs
    }
}
