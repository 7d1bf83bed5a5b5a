import Common
import Datasets
import Tokenizers
import XCTest

final class BatchingTests: XCTestCase {
    /// Lengths 1...n in a scrambled order.
    private func tokenized(_ n: Int, seed: UInt64 = 3) -> TokenizedExamples {
        var rng = SplitMix64(seed: seed)
        let lengths = Array(1 ... n).fisherYatesShuffled(using: &rng)
        return TokenizedExamples(tokens: lengths.enumerated().map { i, length in (0 ..< length).map { Int32(i * 1000 + $0) } },
                                 labels: lengths.map { $0 % 3 }, padTokenID: -1)
    }

    func testBatchIsPaddedToItsOwnLongestText() {
        let data = TokenizedExamples(tokens: [[1, 2, 3], [4], [5, 6, 7, 8, 9], [10, 11]], labels: [0, 1, 0, 1], padTokenID: 50256)
        let batch = data.batch([1, 3, 0])
        XCTAssertEqual(batch.time, 3, "padded to 3 (the batch's longest), not 5 (the data's)")
        XCTAssertEqual(batch.ids, [4, 50256, 50256, 10, 11, 50256, 1, 2, 3])
        XCTAssertEqual(batch.lengths, [1, 2, 3])
        XCTAssertEqual(batch.labels, [1, 1, 0])
        XCTAssertEqual(batch.indices, [1, 3, 0])
        XCTAssertEqual(batch.count, 3)
    }

    func testInOrderBatches() throws {
        let data = tokenized(10)
        let sampler = try BatchSampler(lengths: data.lengths, batchSize: 4, order: .inOrder)
        XCTAssertEqual(sampler.batches(), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        XCTAssertEqual(sampler.batchCount, 3)
        let dropping = try BatchSampler(lengths: data.lengths, batchSize: 4, order: .inOrder, dropLast: true)
        XCTAssertEqual(dropping.batches(), [[0, 1, 2, 3], [4, 5, 6, 7]])
        XCTAssertEqual(dropping.batchCount, 2)
    }

    func testByLengthBatchesAreSortedLongestFirst() throws {
        let data = tokenized(9)
        let batches = try BatchSampler(lengths: data.lengths, batchSize: 4, order: .byLength).batches()
        XCTAssertEqual(batches.map { $0.map { data.lengths[$0] } }, [[9, 8, 7, 6], [5, 4, 3, 2], [1]])
    }

    func testBucketedEpochCoversEveryExampleOnceWithLittlePadding() throws {
        let data = tokenized(1000)
        let sampler = try BatchSampler(lengths: data.lengths, batchSize: 8, order: .bucketed(seed: 42, batchesPerBucket: 10))
        let batches = sampler.batches(epoch: 0)
        XCTAssertEqual(batches.flatMap { $0 }.sorted(), Array(0 ..< 1000), "every example exactly once")
        XCTAssertEqual(batches.count, 125)
        XCTAssertTrue(batches.allSatisfy { $0.count == 8 })
        // Within a bucket of 80 random lengths sorted and cut into 8s, a batch spans a narrow
        // range; a random batch of 8 spans about 7/9 of the range (~780 here).
        let spans = batches.map { batch in batch.map { data.lengths[$0] }.max()! - batch.map { data.lengths[$0] }.min()! }
        XCTAssertLessThan(Double(spans.reduce(0, +)) / Double(spans.count), 150)
        // Each batch's lengths come out longest first (sorted inside the bucket).
        XCTAssertTrue(batches.allSatisfy { batch in zip(batch, batch.dropFirst()).allSatisfy { data.lengths[$0] >= data.lengths[$1] } })
        // Batch order is shuffled, not longest-bucket first.
        let firstLengths = batches.map { data.lengths[$0[0]] }
        XCTAssertNotEqual(firstLengths, firstLengths.sorted(by: >))
    }

    func testBucketedIsDeterministicPerSeedAndEpoch() throws {
        let data = tokenized(200)
        let sampler = try BatchSampler(lengths: data.lengths, batchSize: 16, order: .bucketed(seed: 7))
        XCTAssertEqual(sampler.batches(epoch: 0), sampler.batches(epoch: 0))
        XCTAssertNotEqual(sampler.batches(epoch: 0), sampler.batches(epoch: 1))
        let other = try BatchSampler(lengths: data.lengths, batchSize: 16, order: .bucketed(seed: 8))
        XCTAssertNotEqual(sampler.batches(epoch: 0), other.batches(epoch: 0))
    }

    func testBucketedDropLastDropsOnlyTheShortBatch() throws {
        let data = tokenized(103)
        let keep = try BatchSampler(lengths: data.lengths, batchSize: 10, order: .bucketed(seed: 1, batchesPerBucket: 3))
        XCTAssertEqual(keep.batches().map(\.count).sorted(), [3] + [Int](repeating: 10, count: 10))
        let drop = try BatchSampler(lengths: data.lengths, batchSize: 10, order: .bucketed(seed: 1, batchesPerBucket: 3), dropLast: true)
        XCTAssertEqual(drop.batches().map(\.count), [Int](repeating: 10, count: 10))
        XCTAssertEqual(drop.batchCount, 10)
    }

    func testBatchesOfAnEpochMatchTheSampler() throws {
        let data = tokenized(50)
        let sampler = try BatchSampler(lengths: data.lengths, batchSize: 6, order: .bucketed(seed: 5))
        let batches = data.batches(sampler, epoch: 2)
        XCTAssertEqual(batches.map(\.indices), sampler.batches(epoch: 2))
        for batch in batches {
            XCTAssertEqual(batch.ids.count, batch.count * batch.time)
            for (row, index) in batch.indices.enumerated() {
                let rowIDs = Array(batch.ids[row * batch.time ..< (row + 1) * batch.time])
                XCTAssertEqual(Array(rowIDs.prefix(batch.lengths[row])), data.tokens[index])
                XCTAssertTrue(rowIDs.dropFirst(batch.lengths[row]).allSatisfy { $0 == -1 })
                XCTAssertEqual(batch.labels[row], data.labels[index])
            }
        }
    }

    func testInvalidSamplerSettings() {
        assertThrows(DatasetError.self, mentions: ["batch size"]) { try BatchSampler(lengths: [1], batchSize: 0, order: .inOrder) }
        assertThrows(DatasetError.self, mentions: ["per bucket"]) {
            try BatchSampler(lengths: [1], batchSize: 1, order: .bucketed(seed: 1, batchesPerBucket: 0))
        }
    }

    func testTokenizingExamplesTruncatesToMaxLength() {
        let examples = [Example(text: "a b c d e", label: 1, row: 1), Example(text: "f", label: 0, row: 2)]
        let data = TokenizedExamples(examples, tokenizer: WordTokenizer(), maxLength: 3)
        XCTAssertEqual(data.tokens, [[1, 2, 3], [6]])
        XCTAssertEqual(data.labels, [1, 0])
        XCTAssertEqual(data.truncatedCount, 1)
        XCTAssertEqual(data.padTokenID, 0)
    }
}

/// A tokenizer for tests: one id per space-separated word, "a" = 1, "b" = 2, ...; pad id 0.
struct WordTokenizer: Tokenizer {
    var vocabularySize: Int { 27 }
    var padTokenID: Int { 0 }
    func encode(_ text: String) -> [Int] {
        text.split(separator: " ").map { Int($0.unicodeScalars.first!.value) - 96 }
    }
    func decode(_ ids: [Int]) -> String { ids.map { String(UnicodeScalar(UInt8($0 + 96))) }.joined(separator: " ") }
    func encodeForModel(_ text: String, maxLength: Int) -> (ids: [Int], truncated: Bool) {
        let ids = encode(text)
        return (Array(ids.prefix(maxLength)), ids.count > maxLength)
    }
    func token(for id: Int) -> String? { nil }
}
