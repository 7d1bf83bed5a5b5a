// Long documents (`--long-text`): how a classifier reads a text with more tokens than its max
// length.
//   truncate   the first tokens (what `Tokenizer.encodeForModel` does);
//   head+tail  the first and the last tokens (Sun et al. 2019, "How to fine-tune BERT for text
//              classification": head 128 + tail 382 at 512 beat truncation on IMDB);
//   chunks     overlapping windows over the whole text, each classified, their logits
//              aggregated per text (mean, or the element-wise max).
// Every input keeps the tokenizer's special tokens (`SpecialTokenFrame`): a BERT window is
// `[CLS] window [SEP]`, a GPT-2 window is the window alone.
import Common
import TensorEngine
import Tokenizers

/// How the logits of a text's windows become the text's logits (`--long-text chunks`).
public enum LongTextAggregation: String, Sendable, Hashable, CaseIterable {
    /// The mean of the windows' logits (the default).
    case mean
    /// Each class's largest logit over the windows.
    case max

    /// Row logits [windows in total, classes], the windows of each text consecutive and
    /// `counts[i]` of them for text i → [texts, classes]. Differentiable (the windows are laid
    /// out as a padded batch and pooled by the kernels of mean and max pooling, which never
    /// read or write a padding row).
    public func aggregate(_ logits: Variable, counts: [Int], tape: Tape?) throws -> Variable {
        guard counts.reduce(0, +) == (logits.shape.first ?? 0), counts.allSatisfy({ $0 >= 1 }) else {
            throw TensorShapeError("long text: window counts \(counts) do not cover the \((logits.shape.first ?? 0)) rows of logits")
        }
        if counts.allSatisfy({ $0 == 1 }) { return logits }
        let time = counts.max() ?? 1
        var rows: [Int] = []
        rows.reserveCapacity(counts.count * time)
        var start = 0
        for count in counts {
            // Padding positions point at the text's first row; pooling skips them.
            for k in 0..<time { rows.append(start + (k < count ? k : 0)) }
            start += count
        }
        let laidOut = try Ops.gatherRows(logits, rows: rows, tape: tape)
        let batch = try PaddedBatch(batchSize: counts.count, time: time, lengths: counts)
        switch self {
        case .mean: return try Ops.meanPool(laidOut, batch: batch, tape: tape)
        case .max: return try Ops.maxPool(laidOut, batch: batch, tape: tape)
        }
    }
}

/// `--long-text truncate|head+tail|chunks[:STRIDE][:mean|max]` and the task file's `long_text`.
public enum LongTextPolicy: Sendable, Hashable, CustomStringConvertible, Codable {
    case truncate
    case headTail
    /// `stride`: tokens shared by consecutive windows, as Hugging Face's `stride` with
    /// `return_overflowing_tokens=True` (nil: a quarter of a window's text tokens).
    case chunks(stride: Int?, aggregation: LongTextAggregation)

    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts[0] {
        case "truncate" where parts.count == 1: self = .truncate
        case "head+tail" where parts.count == 1: self = .headTail
        case "chunks" where parts.count <= 3:
            var stride: Int?
            var aggregation = LongTextAggregation.mean
            for (k, part) in parts.dropFirst().enumerated() {
                if k == 0, let value = Int(part) {
                    guard value >= 0 else { throw Self.invalid(text) }
                    stride = value
                } else if k == parts.count - 2, let named = LongTextAggregation(rawValue: part) {
                    aggregation = named
                } else {
                    throw Self.invalid(text)
                }
            }
            self = .chunks(stride: stride, aggregation: aggregation)
        default: throw Self.invalid(text)
        }
    }

    private static func invalid(_ text: String) -> InvalidInput {
        InvalidInput("long text: '\(text)' is not truncate, head+tail or chunks[:STRIDE][:mean|max] (STRIDE a whole number ≥ 0)")
    }

    public var description: String {
        switch self {
        case .truncate: "truncate"
        case .headTail: "head+tail"
        case .chunks(let stride, let aggregation):
            "chunks" + (stride.map { ":\($0)" } ?? "") + (aggregation == .mean ? "" : ":\(aggregation.rawValue)")
        }
    }

    public var isChunked: Bool {
        if case .chunks = self { return true }
        return false
    }

    /// How window logits combine (chunks); other policies read one window per text.
    public var aggregation: LongTextAggregation {
        if case .chunks(_, let aggregation) = self { return aggregation }
        return .mean
    }

    /// A bad value is a decoding error at its key, so messages name the key.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        do { self = try LongTextPolicy(parsing: container.decode(String.self)) } catch let error as InvalidInput {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A policy at a max length, for one tokenizer's frame: token ids in, model inputs out.
public struct LongTextReader: Sendable {
    public let policy: LongTextPolicy
    public let frame: SpecialTokenFrame
    public let maxLength: Int
    /// Text tokens per model input: the max length less the special tokens.
    public let room: Int
    /// Tokens shared by consecutive windows (chunks; 0 otherwise).
    public let stride: Int

    /// Refuses a policy that cannot work at this length (no room for a text token, or a
    /// stride as long as a window).
    public init(_ policy: LongTextPolicy, frame: SpecialTokenFrame, maxLength: Int) throws {
        self.policy = policy
        self.frame = frame
        self.maxLength = maxLength
        room = maxLength - frame.count
        if policy != .truncate, room < 1 {
            throw InvalidInput("long text \(policy): max length \(maxLength) leaves no text token beside the \(frame.count) special tokens")
        }
        if case .chunks(let given, _) = policy {
            stride = given ?? room / 4
            guard stride < room else {
                throw InvalidInput("long text \(policy): the stride (overlap) \(stride) must be below the \(room) text tokens of a window (max length \(maxLength) less \(frame.count) special tokens)")
            }
        } else {
            stride = 0
        }
    }

    /// Head and tail lengths for `room` text tokens: a quarter to the head, rounded half up,
    /// the rest to the tail. Sun et al.'s 128 + 382 at BERT's 512 (510 text tokens) is this
    /// rule; at 256 it gives BERT 64 + 190 and GPT-2 64 + 192.
    public static func headTailSplit(room: Int) -> (head: Int, tail: Int) {
        let head = (room + 2) / 4
        return (head, room - head)
    }

    /// The windows over `count` text tokens, `room` long, each starting `room - stride` after
    /// the one before, until one reaches the end: the last may be shorter. This is the
    /// `tokenizers` library's overflow rule (`return_overflowing_tokens=True, stride=`). No
    /// tokens give one empty window, so every text has an input.
    public static func windowRanges(count: Int, room: Int, stride: Int) -> [Range<Int>] {
        precondition(room >= 1 && stride >= 0 && stride < room, "windows need 0 ≤ stride < room")
        var ranges: [Range<Int>] = []
        var start = 0
        repeat {
            let end = min(start + room, count)
            ranges.append(start..<end)
            if end == count { break }
            start += room - stride
        } while true
        return ranges
    }

    /// The model inputs for a text's ids (without specials) and whether any token was left
    /// out. Truncation matches `Tokenizer.encodeForModel`, which callers use for it.
    public func inputs(_ ids: [Int]) -> (windows: [[Int]], truncated: Bool) {
        switch policy {
        case .truncate:
            let kept = Array(ids.prefix(max(0, room)))
            return ([frame.prefix + kept + frame.suffix], kept.count < ids.count)
        case .headTail:
            guard ids.count > room else { return ([frame.prefix + ids + frame.suffix], false) }
            let (head, tail) = Self.headTailSplit(room: room)
            return ([frame.prefix + ids[..<head] + ids[(ids.count - tail)...] + frame.suffix], true)
        case .chunks:
            let windows = Self.windowRanges(count: ids.count, room: room, stride: stride).map { frame.prefix + ids[$0] + frame.suffix }
            return (windows, false)
        }
    }
}
