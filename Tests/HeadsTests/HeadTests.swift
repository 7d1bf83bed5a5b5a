import Backbones
import Heads
import TensorEngine
import XCTest
import TestRequirements

final class HeadTests: XCTestCase {
    override func setUpWithError() throws {
        do { try BLAS.ensureLoaded() } catch { throw missingPrerequisite("OpenBLAS not available: \(error)") }
    }

    func testPolicyNames() throws {
        XCTAssertEqual(try TrainablePolicy(parsing: "head"), .head)
        XCTAssertEqual(try TrainablePolicy(parsing: "last-block"), .lastBlocks(1))
        XCTAssertEqual(try TrainablePolicy(parsing: "last-3-blocks"), .lastBlocks(3))
        XCTAssertEqual(try TrainablePolicy(parsing: "all"), .all)
        for bad in ["last--1-blocks", "last-x-blocks", "everything", ""] {
            XCTAssertThrowsError(try TrainablePolicy(parsing: bad), bad)
        }
        XCTAssertEqual(try TrainablePolicy(parsing: "last-0-blocks"), .lastBlocks(0))
        for policy: TrainablePolicy in [.head, .lastBlocks(0), .lastBlocks(1), .lastBlocks(2), .all] {
            XCTAssertEqual(try TrainablePolicy(parsing: policy.description), policy)
        }
    }

    func testPolicyUnits() {
        let lastTwo = TrainablePolicy.lastBlocks(2)
        XCTAssertFalse(lastTwo.trains(.embeddings, blockCount: 12))
        XCTAssertFalse(lastTwo.trains(.block(9), blockCount: 12))
        XCTAssertTrue(lastTwo.trains(.block(10), blockCount: 12))
        XCTAssertTrue(lastTwo.trains(.finalNorm, blockCount: 12))
        XCTAssertFalse(TrainablePolicy.head.trains(.finalNorm, blockCount: 12))
        XCTAssertTrue(TrainablePolicy.all.trains(.embeddings, blockCount: 12))
        // last-0-blocks: the final norm and the head, no block (gradual unfreezing's first stage).
        XCTAssertTrue(TrainablePolicy.lastBlocks(0).trains(.finalNorm, blockCount: 12))
        XCTAssertFalse(TrainablePolicy.lastBlocks(0).trains(.block(11), blockCount: 12))
    }

    func testHeadSpecs() throws {
        XCTAssertEqual(try HeadSpec(parsing: "linear"), .linear)
        XCTAssertEqual(try HeadSpec(parsing: "mlp"), .mlp())
        XCTAssertEqual(try HeadSpec(parsing: "mlp:256:tanh"), .mlp(hiddenSize: 256, activation: .tanh))
        XCTAssertThrowsError(try HeadSpec(parsing: "mlp:-1"))
        XCTAssertThrowsError(try HeadSpec(parsing: "mlp:8:swish"))
        XCTAssertThrowsError(try HeadSpec(parsing: "conv"))
        XCTAssertThrowsError(try HeadRegistry.builtIn.makeHead(HeadSpec(kind: "conv"), inputSize: 4, classCount: 2, seed: 0))
    }

    /// nn.Linear layout and init bound, N from the caller (3 classes here, not 2).
    func testLinearHeadShapesAndInit() throws {
        let head = try LinearHead(inputSize: 64, classCount: 3, seed: 7)
        XCTAssertEqual(head.weight.shape, [3, 64])
        XCTAssertEqual(head.bias.shape, [3])
        XCTAssertEqual(head.parameters.map(\.name), ["head.weight", "head.bias"])
        let bound = 1 / Float(64).squareRoot()
        XCTAssertTrue((head.weight.value.scalars + head.bias.value.scalars).allSatisfy { abs($0) <= bound })
        // Same seed, same weights; another seed, others.
        XCTAssertEqual(try LinearHead(inputSize: 64, classCount: 3, seed: 7).weight.value.scalars, head.weight.value.scalars)
        XCTAssertNotEqual(try LinearHead(inputSize: 64, classCount: 3, seed: 8).weight.value.scalars, head.weight.value.scalars)
        XCTAssertThrowsError(try LinearHead(inputSize: 64, classCount: 1, seed: 0))
    }

    /// logits = x·Wᵀ + b, checked by hand on a 2×2 example.
    func testLinearHeadForward() throws {
        let head = try LinearHead(inputSize: 2, classCount: 2, seed: 0)
        head.weight.value.assign(try Tensor(shape: [2, 2], values: [1, 2, 3, 4]))
        head.bias.value.assign(try Tensor(shape: [2], values: [0.5, -1]))
        let x = Variable(try Tensor(shape: [1, 2], values: [1, -1]))
        XCTAssertEqual(try head.forward(x, tape: nil).value.scalars, [1 - 2 + 0.5, 3 - 4 - 1])
        XCTAssertThrowsError(try head.forward(Variable(Tensor(zeros: [1, 3])), tape: nil))
    }

    func testMLPHeadNamesAndGradients() throws {
        for activation in HeadActivation.allCases {
            let head = try MLPHead(inputSize: 8, hiddenSize: 5, classCount: 4, activation: activation, seed: 3)
            XCTAssertEqual(head.parameters.map(\.name), ["head.dense.weight", "head.dense.bias", "head.out_proj.weight", "head.out_proj.bias"])
            XCTAssertEqual(head.spec, .mlp(hiddenSize: 5, activation: activation))
            let tape = Tape()
            let x = Variable(Tensor.random(shape: [3, 8], seed: 1))
            let logits = try head.forward(x, tape: tape)
            XCTAssertEqual(logits.shape, [3, 4])
            let loss = try Ops.crossEntropy(logits: logits, labels: [0, 3, 1], tape: tape)
            tape.backward(from: loss)
            XCTAssertTrue(head.parameters.allSatisfy { $0.grad != nil && $0.grad!.scalars.contains { $0 != 0 } })
        }
    }

    /// Each pooling reads the rows it should: [B·T, C] with B = 2, T = 3, lengths [3, 1].
    func testPoolingRows() throws {
        let batch = try PaddedBatch(batchSize: 2, time: 3, lengths: [3, 1])
        let x = Variable(try Tensor(shape: [6, 1], values: [1, 5, 3, 7, 100, 200]))
        func pooled(_ p: Pooling) throws -> [Float] { try p.pool(x, batch: batch, tape: nil).value.scalars }
        XCTAssertEqual(try pooled(.last), [3, 7])
        XCTAssertEqual(try pooled(.positionLast), [3, 200])
        XCTAssertEqual(try pooled(.first), [1, 7])
        XCTAssertEqual(try pooled(.mean), [3, 7])
        XCTAssertEqual(try pooled(.max), [5, 7])
        XCTAssertEqual(Pooling.allCases.filter(\.readsPadding), [.positionLast])
    }
}
