import Backbones
import Common
import Foundation
import Store
import Tokenizers

/// The GPT-2 the GPT-2 benches run: `--model` (a name or directory), else random 124M weights.
enum BenchGPT2Model {
    static func load(_ model: String?) throws -> GPT2Model {
        if let model { return try GPT2Model.load(model) }
        // Speed does not depend on the weights' values, nor on the vocabulary: take the Store's
        // GPT-2 vocabulary if it is at hand, else a bare byte-level one, so the bench runs anywhere.
        let tokenizer = try (try? GPT2Tokenizer.pretrained("gpt2")) ?? byteLevelTokenizer()
        return try GPT2Model.randomlyInitialized(config: .gpt2, seed: 0, tokenizer: tokenizer, name: "gpt2 (random weights)")
    }

    private static func byteLevelTokenizer() throws -> GPT2Tokenizer {
        try GPT2Tokenizer(vocabulary: BytePairVocabulary(tokens: (0...255).map { [UInt8($0)] },
                                                         specialTokens: [BytePairVocabulary.endOfText: 256],
                                                         source: "bytes only (no GPT-2 vocabulary found)"))
    }

    /// Seeded random token ids below `vocabulary`.
    static func randomTokens(count: Int, vocabulary: Int, seed: UInt64 = 1) -> [Int32] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Int32(rng.uniform(below: vocabulary)) }
    }

    /// The 1-minute load average, so a figure can be read with the machine's load in mind.
    static var loadAverage: Double {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return Double(text.split(separator: " ").first ?? "") ?? -1
    }

    static func rounded(_ x: Double, _ digits: Double = 100) -> Double { (x * digits).rounded() / digits }
}
