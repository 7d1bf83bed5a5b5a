import Common
import XCTest

/// SplitMix64, the bounded draw and the shuffle against scripts/seeded_random_reference.py, so a
/// Python script reproduces textclf's seeded orders exactly.
final class SeededRandomTests: XCTestCase {
    func testSplitMix64MatchesTheReference() {
        var zero = SplitMix64(seed: 0)
        XCTAssertEqual((0 ..< 5).map { _ in zero.next() },
                       [16294208416658607535, 7960286522194355700, 487617019471545679, 17909611376780542444, 1961750202426094747])
        var other = SplitMix64(seed: 1234567)
        XCTAssertEqual((0 ..< 5).map { _ in other.next() },
                       [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821])
    }

    func testUniformBelowMatchesTheReference() {
        var rng = SplitMix64(seed: 42)
        XCTAssertEqual((0 ..< 10).map { _ in rng.uniform(below: 10) }, [3, 1, 8, 4, 0, 2, 5, 8, 5, 4])
        // A bound of 2^62 + 1 rejects draws below 2^64 mod (2^62 + 1) = 2^62 - 3: a quarter of
        // them (the reference's second and fifth draws are rejected).
        rng = SplitMix64(seed: 42)
        XCTAssertEqual((0 ..< 5).map { _ in rng.uniform(below: (1 << 62) + 1) },
                       [4456085495900499603, 527597730035375953, 1737512041830867859, 2180923070380825347, 933993271705612193])
    }

    func testFisherYatesMatchesTheReference() {
        var rng = SplitMix64(seed: 123)
        XCTAssertEqual(Array(0 ..< 20).fisherYatesShuffled(using: &rng),
                       [7, 4, 9, 17, 3, 18, 6, 12, 13, 5, 19, 1, 8, 0, 11, 2, 10, 16, 14, 15])
        rng = SplitMix64(seed: 7)
        let shuffled = Array(0 ..< 1000).fisherYatesShuffled(using: &rng)
        XCTAssertEqual(Array(shuffled.prefix(10)), [426, 57, 118, 82, 134, 989, 100, 348, 387, 680])
        XCTAssertEqual(shuffled.sorted(), Array(0 ..< 1000), "a shuffle is a permutation")
    }

    func testShuffleOfEmptyAndSingleCollections() {
        var rng = SplitMix64(seed: 1)
        XCTAssertEqual([Int]().fisherYatesShuffled(using: &rng), [])
        XCTAssertEqual([5].fisherYatesShuffled(using: &rng), [5])
        XCTAssertEqual(rng.state, SplitMix64(seed: 1).state, "nothing to shuffle draws nothing")
    }

    func testUniformBelowIsRoughlyUniform() {
        var rng = SplitMix64(seed: 2024)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0 ..< 60000 { counts[rng.uniform(below: 6)] += 1 }
        for count in counts { XCTAssertEqual(Double(count), 10000, accuracy: 400) }
    }
}
