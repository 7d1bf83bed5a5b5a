import Common
import Foundation
import TensorEngine
import Tokenizers

/// How `GPT2Model.generate` picks tokens and when it stops (Hugging Face's `generate`
/// arguments of the same meaning in brackets).
public struct GPT2GenerationOptions: Sendable {
    /// Stop after this many new tokens [`max_new_tokens`].
    public var maxNewTokens: Int
    /// 0: greedy, the most likely token every step [`do_sample=False`]. Above 0: sample from
    /// softmax(logits / temperature) [`do_sample=True, temperature=`].
    public var temperature: Float
    /// When sampling, only the k most likely tokens can be drawn [`top_k`]; nil: all of them.
    public var topK: Int?
    /// Seeds the sampling, so a run can be repeated exactly.
    public var seed: UInt64
    /// Stop when the model produces `<|endoftext|>` (it is kept as the last token).
    public var stopAtEndOfText: Bool
    /// Keep every block's keys and values (the KV cache), so each new token costs the work
    /// of one position. False recomputes the whole sequence every step: same tokens, for checking.
    public var useCache: Bool

    public init(maxNewTokens: Int = 25, temperature: Float = 0, topK: Int? = nil, seed: UInt64 = 0,
                stopAtEndOfText: Bool = true, useCache: Bool = true) {
        self.maxNewTokens = maxNewTokens
        self.temperature = temperature
        self.topK = topK
        self.seed = seed
        self.stopAtEndOfText = stopAtEndOfText
        self.useCache = useCache
    }

    func validate() throws {
        guard maxNewTokens >= 0 else { throw InvalidInput("max new tokens is \(maxNewTokens), must be at least 0") }
        guard temperature >= 0, temperature.isFinite else { throw InvalidInput("temperature \(temperature) must be 0 (greedy) or positive") }
        if let topK, topK < 1 { throw InvalidInput("top-k is \(topK), must be at least 1") }
    }
}

/// The result of `GPT2Model.generate`.
public struct GPT2Generation: Sendable {
    public enum StopReason: String, Sendable {
        /// `maxNewTokens` were generated.
        case maxNewTokens = "max_new_tokens"
        /// The model produced `<|endoftext|>`.
        case endOfText = "end_of_text"
        /// The sequence filled the model's context (1024 positions for GPT-2).
        case contextFull = "context_full"
    }

    public var promptIDs: [Int]
    /// The generated tokens (ending with `<|endoftext|>` when that stopped it).
    public var newIDs: [Int]
    public var stopReason: StopReason
}

extension GPT2Model {
    /// Continues `prompt` token by token, like `GPT2LMHeadModel.generate`.
    ///
    ///     let model = try GPT2Model.pretrained("gpt2")
    ///     let (text, _) = try model.generate("Every effort moves you", options: .init(maxNewTokens: 25))
    ///
    /// Returns the continuation's text (without the prompt and without a final `<|endoftext|>`).
    public func generate(_ prompt: String, options: GPT2GenerationOptions = .init(),
                         onToken: ((Int) -> Void)? = nil) throws -> (text: String, generation: GPT2Generation) {
        let generation = try generate(promptIDs: gpt2Tokenizer.encode(prompt), options: options, onToken: onToken)
        var ids = generation.newIDs
        if ids.last == gpt2Tokenizer.endOfTextID { ids.removeLast() }
        return (gpt2Tokenizer.decode(ids), generation)
    }

    /// Continues `promptIDs` (an empty prompt starts from `<|endoftext|>`, as GPT-2's
    /// unconditional samples do). `onToken` sees each new token as soon as it is chosen.
    /// Runs without a tape: nothing is recorded, dropout is off.
    public func generate(promptIDs: [Int], options: GPT2GenerationOptions = .init(),
                         onToken: ((Int) -> Void)? = nil) throws -> GPT2Generation {
        try options.validate()
        let prompt = promptIDs.isEmpty ? [gpt2Tokenizer.endOfTextID] : promptIDs
        guard prompt.count <= config.contextLength else {
            throw InvalidInput("the prompt has \(prompt.count) tokens; \(name) reads at most \(config.contextLength)")
        }
        if let bad = prompt.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            throw InvalidInput("token id \(bad) of the prompt is outside the vocabulary (0..<\(config.vocabSize))")
        }
        let capacity = min(config.contextLength, prompt.count + options.maxNewTokens)
        let caches = options.useCache
            ? h.map { _ in KVCache(batchSize: 1, heads: config.headCount, headDim: config.headSize, capacity: capacity) }
            : []
        // Only real tokens can be drawn, not the padding rows some checkpoints add to wte.
        let drawable = min(config.vocabSize, gpt2Tokenizer.vocabularySize)
        var rng = SplitMix64(seed: options.seed)
        var sequence = prompt
        var newIDs: [Int] = []
        var pending = prompt  // tokens whose keys and values are not cached yet
        while newIDs.count < options.maxNewTokens {
            // The sequence may fill the context but not run past it (the next token has no position).
            guard sequence.count < config.contextLength else {
                return GPT2Generation(promptIDs: promptIDs, newIDs: newIDs, stopReason: .contextFull)
            }
            let logits = options.useCache
                ? try nextTokenLogits(newTokens: pending, position: sequence.count - pending.count, caches: caches)
                : try nextTokenLogits(sequence: sequence)
            let next = logits.withUnsafeBufferPointer {
                Self.chooseToken(logits: UnsafeBufferPointer(rebasing: $0.prefix(drawable)), options: options, rng: &rng)
            }
            newIDs.append(next)
            sequence.append(next)
            pending = [next]
            onToken?(next)
            if options.stopAtEndOfText && next == gpt2Tokenizer.endOfTextID {
                return GPT2Generation(promptIDs: promptIDs, newIDs: newIDs, stopReason: .endOfText)
            }
        }
        return GPT2Generation(promptIDs: promptIDs, newIDs: newIDs, stopReason: .maxNewTokens)
    }

    /// Logits [vocab] after the last of `newTokens`, which sit at positions position..<position+n;
    /// their keys and values are appended to `caches` (one per block).
    func nextTokenLogits(newTokens: [Int], position: Int, caches: [KVCache]) throws -> Tensor {
        let ids = newTokens.map(Int32.init)
        let positions = (0..<newTokens.count).map { Int32(position + $0) }
        var x = try Ops.embeddingSum([wte.lookup(ids), wpe.lookup(positions)], tape: nil)
        for (block, cache) in zip(h, caches) { x = try block(x, cache: cache) }
        // ln_f and the LM head on the last row only: the other positions' logits are not needed.
        let last = try Ops.gatherRows(x, rows: [x.shape[0] - 1], tape: nil)
        return try languageModelLogits(finalNorm(last, tape: nil), tape: nil).value
    }

    /// Logits [vocab] after the last token of `sequence`, recomputing every position.
    func nextTokenLogits(sequence: [Int]) throws -> Tensor {
        let hidden = try forward(BackboneInput(sequences: [sequence], padID: gpt2Tokenizer.endOfTextID), tape: nil)
        return try languageModelLogits(Ops.gatherRows(hidden, rows: [sequence.count - 1], tape: nil), tape: nil).value
    }

    /// The next token from its logits. Greedy (temperature 0): the first index of the largest
    /// logit, as `argmax`. Sampling: one draw from `rng` of softmax(logits / T) over the top k
    /// (tokens tied with the k-th largest stay in).
    public static func chooseToken(logits buffer: UnsafeBufferPointer<Float>, options: GPT2GenerationOptions,
                                   rng: inout SplitMix64) -> Int {
        guard let logits = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let count = buffer.count
        if options.temperature == 0 {
            var best = 0
            for i in 1..<count where logits[i] > logits[best] { best = i }
            return best
        }
        var threshold = -Float.infinity
        if let k = options.topK, k < count {
            var sorted = Array(UnsafeBufferPointer(start: logits, count: count))
            sorted.sort(by: >)
            threshold = sorted[k - 1]
        }
        var maxLogit = -Float.infinity
        for i in 0..<count where logits[i] >= threshold { maxLogit = max(maxLogit, logits[i]) }
        let inverseT = 1 / Double(options.temperature)
        var weights = [Double](repeating: 0, count: count)
        var total = 0.0
        for i in 0..<count where logits[i] >= threshold {
            weights[i] = Foundation.exp(Double(logits[i] - maxLogit) * inverseT)
            total += weights[i]
        }
        var target = Double(rng.next() >> 11) * 0x1p-53 * total
        var last = 0
        for i in 0..<count where weights[i] > 0 {
            last = i
            target -= weights[i]
            if target < 0 { return i }
        }
        return last  // rounding left a sliver of mass: the last drawable token
    }
}
