import Backbones
import Datasets
import Foundation
import Heads
import TensorEngine
import Training
import XCTest

/// The speed paths compute what the plain path computes: dynamic padding (each batch padded to
/// its own longest text) and the frozen-prefix cache give the logits of padding every text to
/// the full context in one batch.
final class FrozenPrefixCacheTests: XCTestCase {
    override func setUpWithError() throws { try requireBLAS() }

    func testCacheAndDynamicPaddingMatchThePlainPaddedPath() throws {
        // `head` freezes every block: the cache holds the last block's output, before the final
        // norm, which the classifier applies (GPT-2's ln_f; it trains under last-0-blocks).
        for policy in [TrainablePolicy.lastBlock, .head] {
        for pooling in Pooling.allCases where !pooling.readsPadding {
            let classifier = try tinyClassifier(pooling: pooling)
            classifier.apply(policy)
            var tokens = syntheticExamples(count: 10, seed: 9).map { classifier.encode($0.text).ids }
            tokens.append(tokens[3])  // a duplicate text: computed and stored once
            XCTAssertGreaterThan(Set(tokens.map(\.count)).count, 3, "lengths should vary")
            // Plain: every text padded to the 32-token context, one batch, every row of every
            // block computed, then pooled.
            let padded = try BackboneInput(tokenIDs: tokens.flatMap { $0 + Array(repeating: Int32(classifier.tokenizer.padTokenID), count: 32 - $0.count) },
                                           batch: PaddedBatch(batchSize: tokens.count, time: 32, lengths: tokens.map(\.count)))
            let full = try classifier.backbone.forward(padded, tape: nil)
            let plain = try classifier.head.forward(pooling.pool(full, batch: padded.batch, tape: nil), tape: nil).value.scalars
            // Dynamic padding, batches of 3 by length.
            let dynamic = try classifier.logits(tokens: tokens, batchSize: 3).flatMap { $0 }
            XCTAssertLessThan(relativeError(dynamic, plain), 1e-5, "\(pooling): dynamic padding")
            // The cache, batches in a shuffled order.
            let cache = try FrozenPrefixCache(classifier: classifier, tokens: tokens, blocks: classifier.frozenPrefixBlocks)
            XCTAssertEqual(cache.blocks, policy == .head ? 2 : 1)
            XCTAssertEqual(cache.tokenCount, Set(tokens).map(\.count).reduce(0, +))
            XCTAssertLessThan(cache.tokenCount, tokens.map(\.count).reduce(0, +))
            var cached = [Float](repeating: .nan, count: plain.count)
            for indices in [[7, 2, 9], [0], [10, 1, 4, 3], [5, 8, 6]] {
                let (hidden, batch) = try cache.batch(indices)
                let logits = try classifier.logits(hidden: hidden, fromBlock: cache.blocks, batch: batch, tape: nil).value.scalars
                for (row, index) in indices.enumerated() { for c in 0..<3 { cached[index * 3 + c] = logits[row * 3 + c] } }
            }
            XCTAssertLessThan(relativeError(cached, plain), 1e-5, "\(pooling), \(policy): frozen-prefix cache")
        }
        }
    }

    /// The trainer's evaluation gives the same figures with and without the cache, and a few
    /// training steps end at the same weights, to float32 rounding: the cached states were
    /// computed in other batches, so every matrix product sums in another order.
    ///
    /// The bound must hold whichever BLAS kernel rounds the products (OpenBLAS Haswell and
    /// SkylakeX differ). One gradient entry is a dot product of K ≤ 128 terms (4 texts × 32
    /// positions), whose rounding is at most K·2⁻²⁴ ≈ 8e-6 relative; through the ~10 products
    /// of a backward pass that is ≤ 1e-4 per step, and plain SGD adds the 12 steps' errors
    /// without amplifying them. So the weight updates of the two paths agree to 1e-3 of the
    /// largest update, ten times that estimate. (AdamW is not compared weight by weight: it
    /// divides each gradient by its own running magnitude, so an entry whose gradient is
    /// rounding noise moves by ±lr either way.)
    func testTrainingWithAndWithoutCacheAgree() throws {
        var configuration = TrainingConfiguration()
        configuration.epochs = 1
        configuration.batchSize = 4
        configuration.optimizer = .sgd(learningRate: 0.5)
        configuration.evalEvery = 5
        var results: [(TrainingResult, before: [String: [Float]], after: [String: [Float]])] = []
        for mode in [TrainingConfiguration.CacheMode.auto, .off] {
            configuration.cache = mode
            let classifier = try tinyClassifier()
            let before = classifier.snapshot
            let trainer = try Trainer(classifier: classifier, data: syntheticData(for: classifier), configuration: configuration, source: tinySource)
            let result = try trainer.train()
            XCTAssertEqual(result.cache != nil, mode == .auto, result.plan.cacheNote)
            results.append((result, before, classifier.snapshot))
        }
        XCTAssertEqual(results[0].0.steps, 12)
        assertCachedAndPlainRunsAgree(results[0], results[1])
    }

    /// With dropout active the frozen blocks are not deterministic: the trainer does not cache.
    func testNoCacheWhenTheBackboneUsesDropout() throws {
        let backbone = try GPT2Model.load(directory: tinyGPT2Directory.appendingPathComponent("hf"), dropout: 0.1)
        let classifier = try Classifier(backbone: backbone, labels: ["calm", "storm", "sun"], seed: 5)
        classifier.apply(.lastBlock)
        let sample = classifier.encode("the wind and the rain").ids
        XCTAssertFalse(try FrozenPrefixCache.prefixIsDeterministic(classifier, sample: sample, blocks: 1))
        let plain = try tinyClassifier()
        plain.apply(.lastBlock)
        XCTAssertTrue(try FrozenPrefixCache.prefixIsDeterministic(plain, sample: sample, blocks: 1))
    }
}
