import Backbones
import Common
import Foundation
import TensorEngine
import Tokenizers
import XCTest

/// Generation with the tiny fixture model: the KV cache against full recomputation and
/// against Hugging Face's greedy `generate` (generation.safetensors), sampling, stopping.
final class GPT2GenerationTests: XCTestCase {
    private func prompts() throws -> [[Int]] {
        let reference = try Reference.load()
        let time = reference.input.batch.time
        return reference.input.batch.lengths.enumerated().map { b, length in
            (0..<length).map { Int(reference.input.tokenIDs[b * time + $0]) }
        }
    }

    func testGreedyWithCacheEqualsRecomputationAndTransformers() throws {
        let model = try GPT2Model.load(directory: fixture("hf"))
        let expected = try SafeTensorsFile(url: fixture("generation.safetensors"))
        for (b, prompt) in try prompts().enumerated() {
            let options = GPT2GenerationOptions(maxNewTokens: 20)
            let cached = try model.generate(promptIDs: prompt, options: options)
            var uncachedOptions = options
            uncachedOptions.useCache = false
            let recomputed = try model.generate(promptIDs: prompt, options: uncachedOptions)
            XCTAssertEqual(cached.newIDs, recomputed.newIDs, "prompt \(b)")
            XCTAssertEqual(cached.newIDs, try expected.int64s("greedy.\(b)").map { Int($0) }, "prompt \(b) vs transformers")
            XCTAssertEqual(cached.promptIDs, prompt)
            // 12 prompt tokens + 20 new ones fill the 32 positions exactly.
            XCTAssertEqual(cached.stopReason, .maxNewTokens)
        }
    }

    /// The cache path computes the same logits as the full forward, step after step.
    func testCachedStepsAgreeWithFullForwardLogits() throws {
        let model = try GPT2Model.load(directory: fixture("openai"))
        let prompt = try prompts()[1]
        var seen: [Int] = []
        let generation = try model.generate(promptIDs: prompt, options: .init(maxNewTokens: 5)) { seen.append($0) }
        XCTAssertEqual(seen, generation.newIDs)
        let sequence = prompt + generation.newIDs
        let input = try BackboneInput(sequences: [sequence], padID: 0)
        let hidden = try model.forward(input, tape: nil)
        let logits = try model.languageModelLogits(hidden, tape: nil).value
        let vocab = model.config.vocabSize
        for step in 0..<generation.newIDs.count {
            let row = prompt.count - 1 + step
            let values = Array(logits.scalars[(row * vocab)..<((row + 1) * vocab)])
            XCTAssertEqual(values.indices.max { values[$0] < values[$1] }, generation.newIDs[step], "step \(step)")
        }
    }

    func testContextLimitStopsGeneration() throws {
        let model = try GPT2Model.load(directory: fixture("hf"))
        let prompt = Array(repeating: 65, count: 30)
        let generation = try model.generate(promptIDs: prompt, options: .init(maxNewTokens: 10))
        XCTAssertEqual(generation.newIDs.count, 2)
        XCTAssertEqual(generation.stopReason, .contextFull)
        XCTAssertThrowsError(try model.generate(promptIDs: Array(repeating: 65, count: 33))) { error in
            XCTAssertTrue("\(error)".contains("33 tokens"), "\(error)")
        }
        XCTAssertThrowsError(try model.generate(promptIDs: [300])) { error in XCTAssertTrue("\(error)".contains("300"), "\(error)") }
    }

    func testSamplingIsSeededAndTopOneIsGreedy() throws {
        let model = try GPT2Model.load(directory: fixture("hf"))
        let prompt = try prompts()[0]
        let sampled = GPT2GenerationOptions(maxNewTokens: 15, temperature: 1.5, seed: 7, stopAtEndOfText: false)
        let first = try model.generate(promptIDs: prompt, options: sampled)
        let again = try model.generate(promptIDs: prompt, options: sampled)
        XCTAssertEqual(first.newIDs, again.newIDs)
        var otherSeed = sampled
        otherSeed.seed = 8
        XCTAssertNotEqual(first.newIDs, try model.generate(promptIDs: prompt, options: otherSeed).newIDs)
        let greedy = try model.generate(promptIDs: prompt, options: .init(maxNewTokens: 15, stopAtEndOfText: false))
        XCTAssertNotEqual(first.newIDs, greedy.newIDs, "temperature 1.5 over 300 tokens should not pick the argmax 15 times")
        var topOne = sampled
        topOne.topK = 1
        XCTAssertEqual(try model.generate(promptIDs: prompt, options: topOne).newIDs, greedy.newIDs)
    }

    /// The sampler draws each token in proportion to softmax(logits / T) restricted to the top k.
    func testTopKSamplingFollowsTheDistribution() throws {
        // Token 0..3 logits: log 4, log 2, log 1, log 1 − 10 (k = 3 leaves out token 3).
        let logits: [Float] = [Float(Foundation.log(4.0)), Float(Foundation.log(2.0)), 0, -10]
        var counts = [0, 0, 0, 0]
        var rng = SplitMix64(seed: 3)
        let draws = 70_000
        for _ in 0..<draws {
            counts[logits.withUnsafeBufferPointer {
                GPT2Model.chooseToken(logits: $0, options: .init(temperature: 1, topK: 3), rng: &rng)
            }] += 1
        }
        XCTAssertEqual(counts[3], 0)
        for (token, probability) in [(0, 4.0 / 7), (1, 2.0 / 7), (2, 1.0 / 7)] {
            XCTAssertEqual(Double(counts[token]) / Double(draws), probability, accuracy: 0.01, "token \(token)")
        }
    }

    func testTextInTextOut() throws {
        let model = try GPT2Model.load(directory: fixture("hf"))
        let (text, generation) = try model.generate("The dog is not", options: .init(maxNewTokens: 4))
        XCTAssertEqual(generation.newIDs.count, 4)
        XCTAssertEqual(text, model.gpt2Tokenizer.decode(generation.newIDs))
        // An empty prompt starts from <|endoftext|>.
        XCTAssertEqual(try model.generate(promptIDs: [], options: .init(maxNewTokens: 3)).newIDs,
                       try model.generate(promptIDs: [299], options: .init(maxNewTokens: 3)).newIDs)
    }
}
