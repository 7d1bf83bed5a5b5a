import Heads
import TensorEngine
import Tokenizers
import XCTest

/// `--long-text`: parsing, head+tail selection and chunk windows on exact token ids, the
/// aggregation maths with its gradients, and the classifier reading texts by its policy.
final class LongTextTests: XCTestCase {
    let bert = SpecialTokenFrame(prefix: [101], suffix: [102])
    let gpt2 = SpecialTokenFrame()

    func testParsingAndDescriptions() throws {
        let cases: [(String, LongTextPolicy, String)] = [
            ("truncate", .truncate, "truncate"),
            ("head+tail", .headTail, "head+tail"),
            ("chunks", .chunks(stride: nil, aggregation: .mean), "chunks"),
            ("chunks:0", .chunks(stride: 0, aggregation: .mean), "chunks:0"),
            ("chunks:64", .chunks(stride: 64, aggregation: .mean), "chunks:64"),
            ("chunks:64:mean", .chunks(stride: 64, aggregation: .mean), "chunks:64"),
            ("chunks:64:max", .chunks(stride: 64, aggregation: .max), "chunks:64:max"),
            ("chunks:max", .chunks(stride: nil, aggregation: .max), "chunks:max"),
        ]
        for (text, policy, description) in cases {
            XCTAssertEqual(try LongTextPolicy(parsing: text), policy, text)
            XCTAssertEqual(policy.description, description)
            XCTAssertEqual(try LongTextPolicy(parsing: description), policy, "the description parses back")
            let json = try JSONEncoder().encode([policy])
            XCTAssertEqual(try JSONDecoder().decode([LongTextPolicy].self, from: json), [policy])
        }
        for bad in ["", "chunk", "chunks:", "chunks:-1", "chunks:1:2", "chunks:max:3", "chunks:1:max:x", "chunks:x",
                    "head+tail:3", "truncate:1", "Head+Tail", "chunks:1.5"] {
            XCTAssertThrowsError(try LongTextPolicy(parsing: bad), bad) {
                XCTAssertTrue("\($0)".contains("'\(bad)' is not truncate, head+tail or chunks"), "\($0)")
            }
        }
    }

    /// The tokenizers library's overflow rule, worked by hand: windows of `room` tokens, each
    /// `room - stride` after the last, until one reaches the end.
    func testWindowRangesOnExactPositions() {
        func ranges(_ count: Int, _ room: Int, _ stride: Int) -> [Range<Int>] {
            LongTextReader.windowRanges(count: count, room: room, stride: stride)
        }
        XCTAssertEqual(ranges(0, 4, 1), [0..<0], "no tokens: one empty window")
        XCTAssertEqual(ranges(3, 4, 1), [0..<3], "shorter than a window")
        XCTAssertEqual(ranges(4, 4, 1), [0..<4], "exactly one window")
        XCTAssertEqual(ranges(5, 4, 0), [0..<4, 4..<5], "one token over, no overlap")
        XCTAssertEqual(ranges(5, 4, 1), [0..<4, 3..<5])
        XCTAssertEqual(ranges(7, 4, 1), [0..<4, 3..<7], "the second window ends exactly at the end")
        XCTAssertEqual(ranges(10, 4, 1), [0..<4, 3..<7, 6..<10])
        XCTAssertEqual(ranges(11, 4, 1), [0..<4, 3..<7, 6..<10, 9..<11])
        XCTAssertEqual(ranges(6, 4, 3), [0..<4, 1..<5, 2..<6], "the largest stride: a step of one")
        XCTAssertEqual(ranges(3, 1, 0), [0..<1, 1..<2, 2..<3], "one-token windows")
        XCTAssertEqual(ranges(8, 4, 0), [0..<4, 4..<8], "no overlap, an exact multiple")
    }

    func testChunkWindowsCarryTheSpecialTokens() throws {
        let ids = Array(1...10)
        // BERT at max length 6: 4 text tokens a window, stride 1.
        let reader = try LongTextReader(.chunks(stride: 1, aggregation: .mean), frame: bert, maxLength: 6)
        XCTAssertEqual(reader.room, 4)
        let (windows, truncated) = reader.inputs(ids)
        XCTAssertEqual(windows, [[101, 1, 2, 3, 4, 102], [101, 4, 5, 6, 7, 102], [101, 7, 8, 9, 10, 102]])
        XCTAssertFalse(truncated, "chunks read every token")
        XCTAssertEqual(reader.inputs([5, 6]).windows, [[101, 5, 6, 102]])
        XCTAssertEqual(reader.inputs([]).windows, [[101, 102]])
        // GPT-2: no specials, the whole max length is text.
        let plain = try LongTextReader(.chunks(stride: 2, aggregation: .max), frame: gpt2, maxLength: 4)
        XCTAssertEqual(plain.inputs(ids).windows, [[1, 2, 3, 4], [3, 4, 5, 6], [5, 6, 7, 8], [7, 8, 9, 10]])
        // The default stride: a quarter of a window's text tokens.
        XCTAssertEqual(try LongTextReader(.chunks(stride: nil, aggregation: .mean), frame: bert, maxLength: 256).stride, 63)
        XCTAssertEqual(try LongTextReader(.chunks(stride: nil, aggregation: .mean), frame: gpt2, maxLength: 256).stride, 64)
    }

    func testHeadTailSelection() throws {
        // Sun et al. 2019: 128 + 382 at 512 (BERT: 510 text tokens).
        XCTAssertTrue(LongTextReader.headTailSplit(room: 510) == (128, 382))
        XCTAssertTrue(LongTextReader.headTailSplit(room: 254) == (64, 190))
        XCTAssertTrue(LongTextReader.headTailSplit(room: 256) == (64, 192))
        XCTAssertTrue(LongTextReader.headTailSplit(room: 1) == (0, 1))
        XCTAssertTrue(LongTextReader.headTailSplit(room: 2) == (1, 1))
        let ids = Array(1...20)
        let reader = try LongTextReader(.headTail, frame: bert, maxLength: 10)  // 8 text tokens: head 2, tail 6
        XCTAssertEqual(reader.inputs(ids).windows, [[101, 1, 2, 15, 16, 17, 18, 19, 20, 102]])
        XCTAssertTrue(reader.inputs(ids).truncated)
        XCTAssertEqual(reader.inputs(Array(1...8)).windows, [[101] + Array(1...8) + [102]], "a text that fits is whole")
        XCTAssertFalse(reader.inputs(Array(1...8)).truncated)
        let plain = try LongTextReader(.headTail, frame: gpt2, maxLength: 8)
        XCTAssertEqual(plain.inputs(ids).windows, [[1, 2, 15, 16, 17, 18, 19, 20]])
        XCTAssertEqual(plain.inputs(Array(1...9)).windows, [[1, 2, 4, 5, 6, 7, 8, 9]], "one token over: the third goes")
    }

    func testPoliciesThatCannotWorkAtTheLengthAreRefused() throws {
        XCTAssertNoThrow(try LongTextReader(.truncate, frame: bert, maxLength: 1), "truncation works at any length, as before")
        XCTAssertThrowsError(try LongTextReader(.headTail, frame: bert, maxLength: 2)) {
            XCTAssertTrue("\($0)".contains("leaves no text token beside the 2 special tokens"), "\($0)")
        }
        XCTAssertThrowsError(try LongTextReader(.chunks(stride: 4, aggregation: .mean), frame: bert, maxLength: 6)) {
            XCTAssertTrue("\($0)".contains("the stride (overlap) 4 must be below the 4 text tokens"), "\($0)")
        }
        XCTAssertNoThrow(try LongTextReader(.chunks(stride: 3, aggregation: .mean), frame: bert, maxLength: 6))
    }

    /// Mean and max over each text's windows, and their gradients: the mean sends 1/n of the
    /// text's gradient to each window, the max the whole of it to the winning window of each
    /// class (the first on ties), and a text of one window passes through.
    func testAggregationMathsAndGradients() throws {
        let values: [Float] = [1, -2,  // text 0: one window
                               0, 4, 3, 1, 6, -5,  // text 1: three windows
                               2, 2, 2, 7]  // text 2: two windows
        let counts = [1, 3, 2]
        let upstream: [Float] = [1, 10, 100, 1000, 0.5, 0.25]
        let cases: [(LongTextAggregation, [Float], [Float])] = [
            (.mean, [1, -2, 3, 0, 2, 4.5], [1, 10, 100 / 3, 1000 / 3, 100 / 3, 1000 / 3, 100 / 3, 1000 / 3, 0.25, 0.125, 0.25, 0.125]),
            (.max, [1, -2, 6, 4, 2, 7], [1, 10, 0, 1000, 0, 0, 100, 0, 0.5, 0, 0, 0.25]),
        ]
        for (aggregation, expected, expectedGrad) in cases {
            let logits = Variable(try Tensor(shape: [6, 2], values: values), requiresGrad: true)
            let tape = Tape()
            let out = try aggregation.aggregate(logits, counts: counts, tape: tape)
            XCTAssertEqual(out.shape, [3, 2])
            for (a, b) in zip(out.value.scalars, expected) { XCTAssertEqual(a, b, accuracy: 1e-6, "\(aggregation)") }
            tape.backward(from: out, gradient: try Tensor(shape: [3, 2], values: upstream))
            let grad = try XCTUnwrap(logits.grad).scalars
            for (a, b) in zip(grad, expectedGrad) { XCTAssertEqual(a, b, accuracy: 1e-4, "\(aggregation): \(grad)") }
        }
        let single = Variable(try Tensor(shape: [2, 2], values: [1, 2, 3, 4]))
        XCTAssertTrue(try LongTextAggregation.max.aggregate(single, counts: [1, 1], tape: nil) === single)
        XCTAssertThrowsError(try LongTextAggregation.mean.aggregate(single, counts: [3], tape: nil))
        XCTAssertThrowsError(try LongTextAggregation.mean.aggregate(single, counts: [2, 0], tape: nil))
    }

    /// The classifier under chunks: a text's logits are the mean of its windows' logits, each
    /// window classified on its own; under head+tail, the selected tokens; truncate unchanged.
    func testClassifierReadsTextsByItsPolicy() throws {
        let classifier = try tinyClassifier(pooling: .last, maxLength: 6)
        let text = "the wind and the rain came over the hills at night and the sun was gone"
        let ids = classifier.tokenizer.encode(text).map { Int32($0) }
        XCTAssertGreaterThan(ids.count, 12)
        let truncated = try classifier.predict(text)
        XCTAssertTrue(truncated.truncated)
        XCTAssertEqual(truncated.tokenCount, 6)

        try classifier.useLongText(.headTail)
        XCTAssertEqual(classifier.encode(text).ids, Array(ids[..<2] + ids[(ids.count - 4)...]))

        try classifier.useLongText(.chunks(stride: 2, aggregation: .mean))
        let windows = try XCTUnwrap(classifier.encodeWindows([text]).first)
        XCTAssertEqual(windows.windows, LongTextReader.windowRanges(count: ids.count, room: 6, stride: 2).map { Array(ids[$0]) })
        let alone = try classifier.logits(tokens: windows.windows, batchSize: 1)
        let prediction = try classifier.predict(text)
        XCTAssertFalse(prediction.truncated)
        XCTAssertEqual(prediction.windowCount, windows.windows.count)
        XCTAssertEqual(prediction.tokenCount, windows.windows.reduce(0) { $0 + $1.count })
        let mean = (0..<3).map { c in alone.reduce(Float(0)) { $0 + $1[c] } / Float(alone.count) }
        // Each window alone or in a batch of its text's windows: the same logits up to the float32
        // rounding of differently blocked matrix products (a few ulps of values near 1), so 1e-5.
        XCTAssertLessThan(relativeError(try classifier.logits(windows: [windows.windows]).first!, mean), 1e-5)
        XCTAssertEqual(prediction.probabilities, softmax(try classifier.logits(windows: [windows.windows]).first!))
        XCTAssertThrowsError(try classifier.useLongText(.chunks(stride: 6, aggregation: .mean))) {
            XCTAssertTrue("\($0)".contains("must be below the 6 text tokens"), "\($0)")
        }
    }
}
