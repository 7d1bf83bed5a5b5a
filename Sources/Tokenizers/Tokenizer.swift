import Foundation

/// What every backbone's tokenizer offers: text to token ids and back.
///
/// Ids are plain `Int`s, as in Hugging Face's `input_ids`. `encode` never adds special tokens;
/// `encodeForModel` adds whatever the model expects (`[CLS] … [SEP]` for BERT, nothing for GPT-2)
/// and truncates to the model's context.
public protocol Tokenizer: Sendable {
    /// Number of ids the model's embedding table needs (ordinary plus special tokens).
    var vocabularySize: Int { get }
    /// The id used to pad a batch to a common length.
    var padTokenID: Int { get }

    /// Ordinary text to ids, with no special tokens added. Special-token text in the input is
    /// recognised as the reference tokenizer does: never for GPT-2 (tiktoken's `encode_ordinary`),
    /// by default for BERT (Hugging Face's `split_special_tokens=False`).
    func encode(_ text: String) -> [Int]
    /// Ids back to text; bytes that are not valid UTF-8 become U+FFFD, unknown ids too.
    func decode(_ ids: [Int]) -> String
    /// Ids as the model consumes them: specials added, at most `maxLength` ids (`truncated` says
    /// whether anything was cut off).
    func encodeForModel(_ text: String, maxLength: Int) -> (ids: [Int], truncated: Bool)
    /// `encode` for many texts; the default implementation spreads the texts over all cores.
    func encodeBatch(_ texts: [String]) -> [[Int]]
    /// The vocabulary's spelling of one token (e.g. GPT-2's "Ġworld"), or nil for an unknown id.
    func token(for id: Int) -> String?
    /// The longest input the model takes, where the tokenizer's files say (Hugging Face's
    /// `model_max_length`); nil by default.
    var modelMaxLength: Int? { get }
    /// The special ids `encodeForModel` puts before and after a text's ids (BERT: `[CLS]` and
    /// `[SEP]`; GPT-2: none), so that a window cut from the middle of a long text is framed as a
    /// whole text is (`--long-text`). The default is no specials, as GPT-2's.
    var specialTokenFrame: SpecialTokenFrame { get }
}

/// The special ids around a text's ids in a model input: `prefix + ids + suffix`.
public struct SpecialTokenFrame: Sendable, Hashable {
    public var prefix: [Int]
    public var suffix: [Int]

    public init(prefix: [Int] = [], suffix: [Int] = []) {
        self.prefix = prefix
        self.suffix = suffix
    }

    /// Ids the frame takes from a model input's length.
    public var count: Int { prefix.count + suffix.count }
}

extension Tokenizer {
    public var modelMaxLength: Int? { nil }
    public var specialTokenFrame: SpecialTokenFrame { SpecialTokenFrame() }

    public func encodeBatch(_ texts: [String]) -> [[Int]] {
        concurrentMap(texts) { encode($0) }
    }

    /// `encodeForModel` for many texts, spread over all cores.
    public func encodeBatchForModel(_ texts: [String], maxLength: Int) -> [(ids: [Int], truncated: Bool)] {
        concurrentMap(texts) { encodeForModel($0, maxLength: maxLength) }
    }
}

/// `map` over all cores, in order. Work is handed out in small chunks so that a few long texts
/// do not leave one core idle at the end.
func concurrentMap<T: Sendable, R: Sendable>(_ items: [T], chunkSize: Int = 16, _ transform: @Sendable (T) -> R) -> [R] {
    let workers = ProcessInfo.processInfo.activeProcessorCount
    if workers <= 1 || items.count <= chunkSize { return items.map(transform) }
    let chunks = (items.count + chunkSize - 1) / chunkSize
    // Each chunk writes only its own slots, so the shared buffer needs no lock.
    return [R](unsafeUninitializedCapacity: items.count) { buffer, initialized in
        let results = DisjointSlots(base: buffer.baseAddress!)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let end = min(items.count, (chunk + 1) * chunkSize)
            for i in chunk * chunkSize ..< end {
                results.initialize(i, to: transform(items[i]))
            }
        }
        initialized = items.count
    }
}

/// Result slots that concurrent workers fill, each worker its own indices.
private struct DisjointSlots<R>: @unchecked Sendable {
    let base: UnsafeMutablePointer<R>
    func initialize(_ i: Int, to value: R) { (base + i).initialize(to: value) }
}
