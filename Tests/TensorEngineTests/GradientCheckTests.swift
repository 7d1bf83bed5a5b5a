import TensorEngine
import XCTest

/// Finite-difference gradient checks for every differentiable op. Widths mix multiples of
/// 16 (vector path) with odd sizes (scalar tails).
final class GradientCheckTests: XCTestCase {
    override func setUpWithError() throws { try requireBLAS() }

    func testAdd() throws {
        let a = variable([3, 37], seed: 1), b = variable([3, 37], seed: 2)
        try checkGradients([a, b]) { Ops.add(a, b, tape: $0) }
    }

    func testLayerNorm() throws {
        for cols in [37, 48] {
            let x = variable([5, cols], seed: 3)
            let w = parameter("ln.weight", [cols], seed: 4), b = parameter("ln.bias", [cols], seed: 5)
            try checkGradients([x, w, b]) { Ops.layerNorm(x, weight: w, bias: b, eps: 1e-5, tape: $0) }
        }
    }

    func testLinearBothLayouts() throws {
        let x = variable([6, 19], seed: 6)
        let wInOut = parameter("c_fc.weight", [19, 23], seed: 7), bias = parameter("c_fc.bias", [23], seed: 8)
        try checkGradients([x, wInOut, bias]) { Ops.linear(x, weight: wInOut, bias: bias, layout: .inOut, tape: $0) }
        let wOutIn = parameter("dense.weight", [23, 19], seed: 9)
        try checkGradients([x, wOutIn, bias]) { Ops.linear(x, weight: wOutIn, bias: bias, layout: .outIn, tape: $0) }
        try checkGradients([x, wOutIn]) { Ops.linear(x, weight: wOutIn, bias: nil, layout: .outIn, tape: $0) }
    }

    /// A dense layer with a low-rank update (LoRA) as one op: its gradients, and its value
    /// against the two-op form (linear + scale · linear(linear(x, A), B)).
    func testLinearWithLowRankBothLayouts() throws {
        let x = variable([5, 6], seed: 31)
        let a = parameter("a", [3, 6], seed: 32), b = parameter("b", [4, 3], seed: 33), bias = parameter("bias", [4], seed: 34)
        for (layout, shape) in [(WeightLayout.inOut, [6, 4]), (.outIn, [4, 6])] {
            let w = parameter("w", shape, seed: 35)
            try checkGradients([x, w, bias, a, b]) {
                Ops.linearWithLowRank(x, weight: w, bias: bias, layout: layout, a: a, b: b, scale: 0.5, tape: $0)
            }
            let frozen = Parameter(name: "w", value: w.value, requiresGrad: false)
            try checkGradients([x, a, b]) {
                Ops.linearWithLowRank(x, weight: frozen, bias: nil, layout: layout, a: a, b: b, scale: 2, tape: $0)
            }
            let fused = Ops.linearWithLowRank(x, weight: w, bias: bias, layout: layout, a: a, b: b, scale: 0.5, tape: nil)
            let twoOps = Ops.add(Ops.linear(x, weight: w, bias: bias, layout: layout, tape: nil),
                                 Ops.scale(Ops.linear(Ops.linear(x, weight: a, bias: nil, layout: .outIn, tape: nil), weight: b, bias: nil,
                                                      layout: .outIn, tape: nil), by: 0.5, tape: nil), tape: nil)
            assertClose(fused.value.scalars, twoOps.value.scalars, tolerance: 1e-5)
        }
    }

    func testGELU() throws {
        let x = variable([4, 37], seed: 10, scale: 3)
        try checkGradients([x]) { Ops.gelu(x, kind: .tanh, tape: $0) }
        try checkGradients([x]) { Ops.gelu(x, kind: .erf, tape: $0) }
    }

    func testTanh() throws {
        let x = variable([3, 21], seed: 37, scale: 2)
        try checkGradients([x]) { Ops.tanh(x, tape: $0) }
    }

    func testEmbeddingSum() throws {
        let batch = try PaddedBatch(batchSize: 2, time: 3, lengths: [3, 2])
        let wte = parameter("wte.weight", [7, 20], seed: 11), wpe = parameter("wpe.weight", [4, 20], seed: 12)
        let tokens: [Int32] = [1, 5, 1, 6, 0, 0]  // repeated ids must accumulate
        try checkGradients([wte, wpe]) {
            try Ops.embedding(tokens: tokens, batch: batch, tokenTable: wte, positionTable: wpe, tape: $0)
        }
        let types = parameter("token_type_embeddings.weight", [2, 20], seed: 13)
        try checkGradients([wte, types]) {
            try Ops.embeddingSum([EmbeddingLookup(table: wte, ids: tokens),
                                  EmbeddingLookup(table: types, ids: [0, 0, 1, 0, 1, 1])], tape: $0)
        }
    }

    /// Both threading schedules must compute the same thing.
    static let schedules: [AttentionKernel.Schedule] = [.perHead, .phased]

    override func tearDown() { AttentionKernel.schedule = .perHead }

    func testCausalAttentionPackedQKV() throws {
        let batch = try PaddedBatch(batchSize: 2, time: 5, lengths: [5, 3])
        let qkv = variable([10, 3 * 32], seed: 14)
        for schedule in Self.schedules {
            AttentionKernel.schedule = schedule
            try checkGradients([qkv]) { Ops.attention(qkv: qkv, batch: batch, heads: 2, causal: true, tape: $0) }
        }
    }

    func testBidirectionalAttentionSeparateProjections() throws {
        let batch = try PaddedBatch(batchSize: 3, time: 4, lengths: [2, 4, 1])
        let q = variable([12, 12], seed: 15), k = variable([12, 12], seed: 16), v = variable([12, 12], seed: 17)
        for schedule in Self.schedules {
            AttentionKernel.schedule = schedule
            try checkGradients([q, k, v]) {
                Ops.attention(query: q, key: k, value: v, batch: batch, heads: 3, causal: false, tape: $0)
            }
        }
    }

    /// The two schedules agree on a larger problem too, where the per-head one really runs
    /// BLAS from both workers at once.
    func testAttentionSchedulesAgree() throws {
        let batch = try PaddedBatch(batchSize: 4, time: 40, lengths: [40, 17, 33, 1])
        let qkv = variable([160, 3 * 96], seed: 35)
        var results: [[Float]] = []
        for schedule in Self.schedules {
            AttentionKernel.schedule = schedule
            qkv.grad = nil
            let tape = Tape()
            let out = Ops.attention(qkv: qkv, batch: batch, heads: 4, causal: true, tape: tape)
            tape.backward(from: out, gradient: Tensor.random(shape: out.shape, seed: 36))
            results.append(out.value.scalars + qkv.grad!.scalars)
        }
        assertClose(results[0], results[1], tolerance: 1e-5)
    }

    /// Dropout on the attention probabilities (BERT's attention_probs_dropout_prob): the mask
    /// enters both dV (through D) and dS (through dP = dD ∘ mask), in both schedules.
    func testAttentionWithProbabilityDropout() throws {
        let batch = try PaddedBatch(batchSize: 3, time: 5, lengths: [5, 2, 4])
        let q = variable([15, 12], seed: 40), k = variable([15, 12], seed: 41), v = variable([15, 12], seed: 42)
        var outputs: [[Float]] = []
        for schedule in Self.schedules {
            AttentionKernel.schedule = schedule
            try checkGradients([q, k, v]) { tape in
                var generator = DropoutGenerator(seed: 7)  // the same mask on every evaluation
                return Ops.attention(query: q, key: k, value: v, batch: batch, heads: 2, causal: false,
                                     dropout: 0.4, generator: &generator, tape: tape)
            }
            var generator = DropoutGenerator(seed: 7)
            outputs.append(Ops.attention(query: q, key: k, value: v, batch: batch, heads: 2, causal: false,
                                         dropout: 0.4, generator: &generator, tape: Tape()).value.scalars)
            XCTAssertEqual(generator.calls, 1)
        }
        XCTAssertEqual(outputs[0], outputs[1], "the mask does not depend on the schedule")
        // Without a tape (inference) dropout is off, and rate 0 is the plain op, bit for bit.
        let plain = Ops.attention(query: q, key: k, value: v, batch: batch, heads: 2, causal: false, tape: nil).value.scalars
        var generator = DropoutGenerator(seed: 7)
        XCTAssertEqual(Ops.attention(query: q, key: k, value: v, batch: batch, heads: 2, causal: false,
                                     dropout: 0.4, generator: &generator, tape: nil).value.scalars, plain)
        XCTAssertEqual(generator.calls, 0, "no mask drawn in inference")
        XCTAssertEqual(Ops.attention(query: q, key: k, value: v, batch: batch, heads: 2, causal: false,
                                     dropout: 0, generator: &generator, tape: Tape()).value.scalars, plain)
        XCTAssertNotEqual(outputs[0], plain)
    }

    /// The kernel's dropped probabilities: each real entry is 0 or P/(1 − rate), about `rate`
    /// of them 0; padded entries stay 0.
    func testAttentionDropoutMask() throws {
        let batch = try PaddedBatch(batchSize: 2, time: 48, lengths: [48, 30])
        let q = variable([96, 64], seed: 43), k = variable([96, 64], seed: 44), v = variable([96, 64], seed: 45)
        let shape = AttentionShape(batch: batch, heads: 4, headDim: 16, causal: false)
        var p = [Float](repeating: .nan, count: shape.probabilityCount), d = p
        var out = [Float](repeating: 0, count: 96 * 64)
        let rate: Float = 0.25
        p.withUnsafeMutableBufferPointer { p in
            d.withUnsafeMutableBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o in
                    func rows(_ t: Tensor) -> HeadView { .rows(t.pointer, time: 48, width: 64, offset: 0, headDim: 16) }
                    AttentionKernel.forward(out: .rows(o.baseAddress!, time: 48, width: 64, offset: 0, headDim: 16),
                                            probabilities: p.baseAddress!, q: rows(q.value), k: rows(k.value), v: rows(v.value),
                                            shape: shape, dropout: AttentionDropout(rate: rate, key: 11, dropped: d.baseAddress!))
                }
            }
        }
        var real = 0, dropped = 0
        for b in 0..<2 {
            for h in 0..<4 {
                for i in 0..<48 {
                    for j in 0..<48 {
                        let e = ((b * 4 + h) * 48 + i) * 48 + j
                        if i < batch.lengths[b] && j < batch.lengths[b] {
                            real += 1
                            if d[e] == 0 { dropped += 1 } else { XCTAssertEqual(d[e], p[e] / (1 - rate), accuracy: 1e-6) }
                        } else {
                            XCTAssertEqual(d[e], 0)
                        }
                    }
                }
            }
        }
        XCTAssertEqual(Double(dropped) / Double(real), Double(rate), accuracy: 0.02, "\(dropped) of \(real) dropped")
    }

    /// Only V needs a gradient (Q and K frozen): the score-gradient half is skipped, dV still right.
    func testAttentionValueGradientOnly() throws {
        let batch = try PaddedBatch(batchSize: 2, time: 3, lengths: [3, 2])
        let q = variable([6, 8], seed: 32, requiresGrad: false), k = variable([6, 8], seed: 33, requiresGrad: false)
        let v = variable([6, 8], seed: 34)
        for schedule in Self.schedules {
            AttentionKernel.schedule = schedule
            try checkGradients([v]) { Ops.attention(query: q, key: k, value: v, batch: batch, heads: 2, causal: true, tape: $0) }
            XCTAssertNil(q.grad)
        }
    }

    func testCrossEntropy() throws {
        let logits = variable([5, 3], seed: 18, scale: 2)
        try checkGradients([logits], h: 1e-3) { try Ops.crossEntropy(logits: logits, labels: [0, 2, 1, 1, 0], tape: $0) }
        try checkGradients([logits], h: 1e-3) {
            try Ops.crossEntropy(logits: logits, labels: [0, 2, 1, 1, 0], classWeights: [0.5, 3, 1], tape: $0)
        }
    }

    func testPooling() throws {
        let batch = try PaddedBatch(batchSize: 2, time: 3, lengths: [2, 3])
        let x = variable([6, 21], seed: 19)
        try checkGradients([x]) { try Ops.lastTokenPool(x, batch: batch, tape: $0) }
        try checkGradients([x]) { try Ops.meanPool(x, batch: batch, tape: $0) }
        try checkGradients([x]) { try Ops.gatherRows(x, rows: [4, 1, 4], tape: $0) }
    }

    func testDropout() throws {
        let x = variable([4, 33], seed: 20)
        try checkGradients([x]) { tape in
            var generator = DropoutGenerator(seed: 5)  // same mask on every evaluation
            return Ops.dropout(x, rate: 0.3, generator: &generator, tape: tape)
        }
    }

    /// A whole GPT-2 block (pre-norm, packed attention, MLP, two residuals) plus a head, so
    /// the ops are also checked in composition, with shared inputs and accumulated grads.
    func testTransformerBlockComposition() throws {
        let (c, heads) = (16, 2)
        let batch = try PaddedBatch(batchSize: 2, time: 3, lengths: [3, 2])
        let x = variable([6, c], seed: 21)
        let ln1w = parameter("ln_1.weight", [c], seed: 22), ln1b = parameter("ln_1.bias", [c], seed: 23)
        let attnW = parameter("attn.c_attn.weight", [c, 3 * c], seed: 24, scale: 0.3)
        let attnB = parameter("attn.c_attn.bias", [3 * c], seed: 25, scale: 0.1)
        let projW = parameter("attn.c_proj.weight", [c, c], seed: 26, scale: 0.3)
        let ln2w = parameter("ln_2.weight", [c], seed: 27), ln2b = parameter("ln_2.bias", [c], seed: 28)
        let fcW = parameter("mlp.c_fc.weight", [c, 4 * c], seed: 29, scale: 0.3)
        let fcProjW = parameter("mlp.c_proj.weight", [4 * c, c], seed: 30, scale: 0.2)
        let headW = parameter("out_head.weight", [2, c], seed: 31)
        try checkGradients([x, ln1w, attnW, attnB, projW, ln2b, fcW, fcProjW, headW]) { tape in
            let h1 = Ops.layerNorm(x, weight: ln1w, bias: ln1b, eps: 1e-5, tape: tape)
            let qkv = Ops.linear(h1, weight: attnW, bias: attnB, layout: .inOut, tape: tape)
            let attn = Ops.attention(qkv: qkv, batch: batch, heads: heads, causal: true, tape: tape)
            let r1 = Ops.add(x, Ops.linear(attn, weight: projW, bias: nil, layout: .inOut, tape: tape), tape: tape)
            let h2 = Ops.layerNorm(r1, weight: ln2w, bias: ln2b, eps: 1e-5, tape: tape)
            let mlp = Ops.linear(Ops.gelu(Ops.linear(h2, weight: fcW, bias: nil, layout: .inOut, tape: tape), kind: .tanh, tape: tape),
                                 weight: fcProjW, bias: nil, layout: .inOut, tape: tape)
            let r2 = Ops.add(r1, mlp, tape: tape)
            let pooled = try Ops.lastTokenPool(r2, batch: batch, tape: tape)
            let logits = Ops.linear(pooled, weight: headW, bias: nil, layout: .outIn, tape: tape)
            return try Ops.crossEntropy(logits: logits, labels: [1, 0], tape: tape)
        }
    }
}
