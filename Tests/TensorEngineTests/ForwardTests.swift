import TensorEngine
import XCTest

/// Forward values against hand-computed results, masking, inference mode, dropout.
final class ForwardTests: XCTestCase {
    override func setUpWithError() throws { try requireBLAS() }

    func testLayerNormByHand() throws {
        let x = Variable(try Tensor(shape: [1, 3], values: [1, 2, 3]))
        let w = Parameter(name: "ln.weight", value: try Tensor(shape: [3], values: [1, 1, 2]))
        let b = Parameter(name: "ln.bias", value: try Tensor(shape: [3], values: [0, 0.5, 0]))
        let y = Ops.layerNorm(x, weight: w, bias: b, eps: 1e-5, tape: nil)
        // mean 2, variance 2/3 → (x − 2)/√(2/3 + 1e-5)
        let s = 1 / (Float(2.0 / 3.0) + 1e-5).squareRoot()
        assertClose(y.value.scalars, [-s, 0.5, 2 * s])
    }

    func testLinearLayoutsAgreeByHand() throws {
        let x = Variable(try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]))
        // [in, out] = [3, 2]
        let wInOut = Parameter(name: "w", value: try Tensor(shape: [3, 2], values: [1, 0, 0, 1, 1, -1]))
        let wOutIn = Parameter(name: "w", value: try Tensor(shape: [2, 3], values: [1, 0, 1, 0, 1, -1]))
        let bias = Parameter(name: "b", value: try Tensor(shape: [2], values: [10, 20]))
        let expected: [Float] = [1 + 3 + 10, 2 - 3 + 20, 4 + 6 + 10, 5 - 6 + 20]
        assertClose(Ops.linear(x, weight: wInOut, bias: bias, layout: .inOut, tape: nil).value.scalars, expected)
        assertClose(Ops.linear(x, weight: wOutIn, bias: bias, layout: .outIn, tape: nil).value.scalars, expected)
    }

    func testGELUByHand() throws {
        let x = Variable(try Tensor(shape: [5], values: [-3, -1, 0, 1, 2]))
        // torch.nn.functional.gelu(x, approximate="tanh") and gelu(x)
        assertClose(Ops.gelu(x, kind: .tanh, tape: nil).value.scalars,
                    [-0.0036373, -0.1588080, 0, 0.8411920, 1.9545977], tolerance: 2e-6)
        assertClose(Ops.gelu(x, kind: .erf, tape: nil).value.scalars,
                    [-0.0040497, -0.1586553, 0, 0.8413447, 1.9544997], tolerance: 2e-6)
    }

    func testSoftmaxAndTanhByHand() throws {
        let p = Ops.softmax(try Tensor(shape: [2, 2], values: [0, log(3), 1000, 1000]))
        assertClose(p.scalars, [0.25, 0.75, 0.5, 0.5])
        let x = Variable(try Tensor(shape: [3], values: [-20, 0, 0.5]))
        assertClose(Ops.tanh(x, tape: nil).value.scalars, [-1, 0, 0.46211716], tolerance: 1e-6)
    }

    func testCrossEntropyByHand() throws {
        // p(label) = 3/4 and 1/2 → mean of −ln(3/4) and −ln(1/2)
        let logits = Variable(try Tensor(shape: [2, 2], values: [0, log(3), 5, 5]))
        let loss = try Ops.crossEntropy(logits: logits, labels: [1, 0], tape: nil)
        XCTAssertEqual(loss.shape, [])
        XCTAssertEqual(loss.value[flat: 0], Float((-log(0.75) - log(0.5)) / 2), accuracy: 1e-6)
        XCTAssertThrowsError(try Ops.crossEntropy(logits: logits, labels: [1, 2], tape: nil))
    }

    func testEmbeddingByHandAndBadIDs() throws {
        let wte = Parameter(name: "wte.weight", value: try Tensor(shape: [3, 2], values: [0, 1, 10, 11, 20, 21]))
        let wpe = Parameter(name: "wpe.weight", value: try Tensor(shape: [2, 2], values: [100, 200, 300, 400]))
        let batch = try PaddedBatch(batchSize: 2, time: 2, lengths: [2, 1])
        let out = try Ops.embedding(tokens: [2, 0, 1, 1], batch: batch, tokenTable: wte, positionTable: wpe, tape: nil)
        XCTAssertEqual(out.value.scalars, [120, 221, 300, 401, 110, 211, 310, 411])
        XCTAssertThrowsError(try Ops.embedding(tokens: [3, 0, 1, 1], batch: batch, tokenTable: wte, positionTable: wpe, tape: nil)) {
            XCTAssertTrue("\($0)".contains("wte.weight"), "error names the table: \($0)")
        }
        let long = try PaddedBatch(batchSize: 1, time: 3)
        XCTAssertThrowsError(try Ops.embedding(tokens: [0, 0, 0], batch: long, tokenTable: wte, positionTable: wpe, tape: nil))
    }

    /// One head, head size 1: scores are products, so softmax weights are easy to write down.
    func testCausalAttentionByHand() throws {
        let batch = try PaddedBatch(batchSize: 1, time: 2)
        // rows: (q, k, v) per position
        let qkv = Variable(try Tensor(shape: [2, 3], values: [1, 1, 10, 2, 3, 20]))
        let out = Ops.attention(qkv: qkv, batch: batch, heads: 1, causal: true, tape: nil).value.scalars
        // position 0 sees only itself → 10; position 1: scores 2·1, 2·3 → softmax(2, 6)
        let w0 = 1 / (1 + exp(Float(4)))
        assertClose(out, [10, w0 * 10 + (1 - w0) * 20])
        let bidirectional = Ops.attention(qkv: qkv, batch: batch, heads: 1, causal: false, tape: nil).value.scalars
        let u0 = 1 / (1 + exp(Float(2)))  // position 0: scores 1, 3
        assertClose(bidirectional, [u0 * 10 + (1 - u0) * 20, w0 * 10 + (1 - w0) * 20])
    }

    /// Padding: what sits in padded positions never reaches real outputs; padded rows are 0.
    func testAttentionIgnoresPadding() throws {
        let batch = try PaddedBatch(batchSize: 2, time: 4, lengths: [4, 2])
        for causal in [true, false] {
            let qkv = Tensor.random(shape: [8, 3 * 16], seed: 40)
            let first = Ops.attention(qkv: Variable(qkv), batch: batch, heads: 2, causal: causal, tape: nil).value.scalars
            let changed = qkv.copy()
            for row in [6, 7] { for c in 0..<48 { changed[row, c] = 1000 } }  // sequence 1, positions 2 and 3
            let second = Ops.attention(qkv: Variable(changed), batch: batch, heads: 2, causal: causal, tape: nil).value.scalars
            XCTAssertEqual(Array(first[0..<(6 * 16)]), Array(second[0..<(6 * 16)]), "real rows changed (causal \(causal))")
            XCTAssertEqual(Array(second[(6 * 16)...]), Array(repeating: 0, count: 2 * 16), "padded rows are not zero")
        }
    }

    /// Causal: a query never sees later keys.
    func testCausalAttentionIgnoresTheFuture() throws {
        let batch = try PaddedBatch(batchSize: 1, time: 5)
        let qkv = Tensor.random(shape: [5, 3 * 8], seed: 41)
        let first = Ops.attention(qkv: Variable(qkv), batch: batch, heads: 2, causal: true, tape: nil).value.scalars
        let changed = qkv.copy()
        for c in 8..<24 { changed[4, c] = -7 }  // the last position's key and value
        let second = Ops.attention(qkv: Variable(changed), batch: batch, heads: 2, causal: true, tape: nil).value.scalars
        XCTAssertEqual(Array(first[0..<32]), Array(second[0..<32]))
        XCTAssertNotEqual(Array(first[32...]), Array(second[32...]))
    }

    /// Generation: attention through a KV cache, fed the prompt then one position at a time,
    /// equals full causal attention over the whole sequence.
    func testCachedAttentionMatchesFullAttention() throws {
        let (b, t, heads, hd) = (2, 6, 2, 8)
        let c = heads * hd
        let qkv = Tensor.random(shape: [b * t, 3 * c], seed: 42)
        let full = Ops.attention(qkv: Variable(qkv), batch: try PaddedBatch(batchSize: b, time: t), heads: heads,
                                 causal: true, tape: nil).value
        let cache = KVCache(batchSize: b, heads: heads, headDim: hd, capacity: t)
        var start = 0
        for n in [3, 1, 1, 1] {
            // rows start..<start+n of every sequence, batch-major
            let step = Tensor(uninitializedShape: [b * n, 3 * c])
            for s in 0..<b { for i in 0..<n { for j in 0..<(3 * c) { step[s * n + i, j] = qkv[s * t + start + i, j] } } }
            let out = try Ops.cachedAttention(qkv: step, cache: cache)
            for s in 0..<b {
                for i in 0..<n {
                    let got = (0..<c).map { out[s * n + i, $0] }
                    let want = (0..<c).map { full[s * t + start + i, $0] }
                    assertClose(got, want, tolerance: 1e-5)
                }
            }
            start += n
        }
        XCTAssertEqual(cache.count, t)
        XCTAssertThrowsError(try Ops.cachedAttention(qkv: Tensor(zeros: [b, 3 * c]), cache: cache), "cache is full")
    }

    func testPoolingByHand() throws {
        let batch = try PaddedBatch(batchSize: 2, time: 3, lengths: [2, 3])
        let x = Variable(try Tensor(shape: [6, 1], values: [1, 2, 99, 4, 5, 6]))
        XCTAssertEqual(try Ops.lastTokenPool(x, batch: batch, tape: nil).value.scalars, [2, 6])
        XCTAssertEqual(try Ops.meanPool(x, batch: batch, tape: nil).value.scalars, [1.5, 5])
        XCTAssertThrowsError(try Ops.gatherRows(x, rows: [6], tape: nil))
    }

    func testPaddedBatchValidation() {
        XCTAssertThrowsError(try PaddedBatch(batchSize: 2, time: 3, lengths: [3]))
        XCTAssertThrowsError(try PaddedBatch(batchSize: 1, time: 3, lengths: [0]))
        XCTAssertThrowsError(try PaddedBatch(batchSize: 1, time: 3, lengths: [4]))
        XCTAssertEqual(try PaddedBatch(batchSize: 2, time: 3, lengths: [1, 3]).lastTokenRows, [0, 5])
    }

    func testDropoutIsSeededAndScaled() throws {
        let x = Variable(Tensor(shape: [100, 100], repeating: 1), requiresGrad: true)
        func run(_ seed: UInt64) -> [Float] {
            var generator = DropoutGenerator(seed: seed)
            return Ops.dropout(x, rate: 0.25, generator: &generator, tape: Tape()).value.scalars
        }
        let a = run(1), b = run(1), c = run(2)
        XCTAssertEqual(a, b, "same seed, same mask")
        XCTAssertNotEqual(a, c, "another seed, another mask")
        XCTAssertTrue(a.allSatisfy { $0 == 0 || $0 == Float(1) / 0.75 })
        let dropped = Double(a.filter { $0 == 0 }.count) / Double(a.count)
        XCTAssertEqual(dropped, 0.25, accuracy: 0.02)

        // Successive calls draw different masks.
        var generator = DropoutGenerator(seed: 1)
        let first = Ops.dropout(x, rate: 0.25, generator: &generator, tape: Tape()).value.scalars
        let second = Ops.dropout(x, rate: 0.25, generator: &generator, tape: Tape()).value.scalars
        XCTAssertNotEqual(first, second)
        XCTAssertEqual(generator.calls, 2)
    }

    func testDropoutNoOps() {
        let x = Variable(Tensor.random(shape: [4, 4], seed: 3), requiresGrad: true)
        var generator = DropoutGenerator(seed: 1)
        let tape = Tape()
        XCTAssertTrue(Ops.dropout(x, rate: 0, generator: &generator, tape: tape) === x, "rate 0 is the identity")
        XCTAssertTrue(Ops.dropout(x, rate: 0.5, generator: &generator, tape: nil) === x, "inference is the identity")
        XCTAssertEqual(tape.count, 0)
        XCTAssertEqual(generator.calls, 0)
    }

    /// Inference (no tape) gives the same numbers as training and records nothing; frozen
    /// parts record nothing either, and get no gradient buffers.
    func testInferenceAndFrozenRecordNothing() throws {
        let x = variable([4, 16], seed: 50, requiresGrad: false)
        let w = parameter("c_fc.weight", [16, 8], seed: 51)
        let ln = (parameter("ln.weight", [16], seed: 52), parameter("ln.bias", [16], seed: 53))

        func forward(_ tape: Tape?) -> Variable {
            let h = Ops.layerNorm(x, weight: ln.0, bias: ln.1, eps: 1e-5, tape: tape)
            return Ops.gelu(Ops.linear(h, weight: w, bias: nil, layout: .inOut, tape: tape), kind: .tanh, tape: tape)
        }
        let inference = forward(nil)
        XCTAssertFalse(inference.requiresGrad)

        let tape = Tape()
        let training = forward(tape)
        XCTAssertEqual(training.value.scalars, inference.value.scalars)
        XCTAssertEqual(tape.opNames, ["layerNorm", "linear", "gelu"])
        XCTAssertGreaterThan(tape.savedBytes, 0)

        for p in [w, ln.0, ln.1] { p.setRequiresGrad(false) }
        let frozenTape = Tape()
        let frozen = forward(frozenTape)
        XCTAssertEqual(frozenTape.count, 0, "nothing requires grad: nothing recorded")
        XCTAssertFalse(frozen.requiresGrad)

        // Only the last layer trainable: the layer norm below it is not recorded, and x gets no grad.
        w.setRequiresGrad(true)
        let partialTape = Tape()
        let out = forward(partialTape)
        XCTAssertEqual(partialTape.opNames, ["linear", "gelu"])
        partialTape.backward(from: out, gradient: Tensor(shape: out.shape, repeating: 1))
        XCTAssertNotNil(w.grad)
        XCTAssertNil(ln.0.grad)
        XCTAssertNil(x.grad)
        XCTAssertEqual(partialTape.count, 0, "backward consumes the tape")
    }

    /// Parameter gradients accumulate across backward passes until zeroGrad (PyTorch semantics).
    func testParameterGradientsAccumulate() throws {
        let x = variable([3, 5], seed: 60, requiresGrad: false)
        let w = parameter("w", [5, 2], seed: 61)
        func step() {
            let tape = Tape()
            let y = Ops.linear(x, weight: w, bias: nil, layout: .inOut, tape: tape)
            tape.backward(from: y, gradient: Tensor(shape: y.shape, repeating: 1))
        }
        step()
        let once = w.grad!.scalars
        step()
        assertClose(w.grad!.scalars, once.map { 2 * $0 })
        w.zeroGrad()
        XCTAssertTrue(w.grad!.scalars.allSatisfy { $0 == 0 })
    }
}
