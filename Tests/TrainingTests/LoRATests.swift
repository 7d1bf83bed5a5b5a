import Backbones
import Common
import Foundation
import Heads
import Inference
import TensorEngine
import Training
import XCTest

/// LoRA against peft (lora_step.safetensors, scripts/make_lora_fixture.py: LoraConfig r 4, alpha
/// 8, every dense layer of the tiny GPT-2, float64), through checkpoints, merged into the
/// weights, and under the frozen-prefix cache.
final class LoRATests: XCTestCase {
    override func setUpWithError() throws { try requireBLAS() }

    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/lora_step.safetensors")
    static let policy = TrainablePolicy.lora(LoRASettings(rank: 4, alpha: 8, targets: [.attention, .mlp]))

    /// The tiny classifier with adapters and head set to the fixture's `prefix`initial.* values.
    func classifier(_ reference: SafeTensorsFile, prefix: String) throws -> (Classifier, TrainableSummary) {
        let classifier = try tinyClassifier(pooling: .last)
        let summary = classifier.apply(Self.policy, seed: 1)
        for (name, parameter) in classifier.namedParameters where parameter.requiresGrad {
            parameter.value.assign(try Tensor(shape: parameter.shape, values: reference.floats(prefix + "initial." + name).toArray()))
        }
        return (classifier, summary)
    }

    func input(_ reference: SafeTensorsFile) throws -> (BackboneInput, [Int32]) {
        let ids = try reference.int64s("input_ids"), lengths = try reference.int64s("lengths")
        let shape = try reference.shape(of: "input_ids")
        let input = try BackboneInput(tokenIDs: ids.map { Int32($0) },
                                      batch: PaddedBatch(batchSize: shape[0], time: shape[1], lengths: lengths.map { Int($0) }))
        return (input, try reference.int64s("labels").map { Int32($0) })
    }

    /// Forward, loss and backward; checks logits, loss and every trainable gradient within 1e-5
    /// of the tensor's scale (float32 against peft's float64: the same bound as the full
    /// classifier step, ClassifierStepParityTests).
    func checkForwardBackward(_ classifier: Classifier, _ reference: SafeTensorsFile, prefix: String) throws -> Variable {
        let (input, labels) = try input(reference)
        let tape = Tape()
        let logits = try classifier.logits(input, tape: tape)
        XCTAssertLessThan(relativeError(logits.value.scalars, try reference.floats(prefix + "logits").toArray()), 1e-5, prefix + "logits")
        let loss = try Ops.crossEntropy(logits: logits, labels: labels, tape: tape)
        let expectedLoss = try reference.floats(prefix + "loss").toArray()[0]
        XCTAssertEqual(loss.value[flat: 0], expectedLoss, accuracy: 1e-5 * expectedLoss, prefix + "loss")
        tape.backward(from: loss)
        for parameter in classifier.trainableParameters {
            let expected = try reference.floats(prefix + "grad." + parameter.name).toArray()
            let actual = try XCTUnwrap(parameter.grad, parameter.name).scalars
            if expected.allSatisfy({ $0 == 0 }) {
                // A's gradient is (B·…)ᵀ with B = 0: exactly zero, in peft and here.
                XCTAssertTrue(actual.allSatisfy { $0 == 0 }, "\(prefix)grad.\(parameter.name) should be exactly 0")
            } else {
                XCTAssertLessThan(relativeError(actual, expected), 1e-5, "\(prefix)grad.\(parameter.name)")
            }
        }
        XCTAssertTrue(classifier.namedParameters.filter { !$0.parameter.requiresGrad }.allSatisfy { $0.parameter.grad == nil })
        return logits
    }

    func testOneTrainingStepMatchesPeft() throws {
        let reference = try SafeTensorsFile(url: Self.fixture)
        let (classifier, summary) = try classifier(reference, prefix: "step.")
        let expectedNames = try JSONDecoder().decode([String].self, from: Data(reference.metadata["trainable"]!.utf8))
        XCTAssertEqual(classifier.trainableParameters.map(\.name).sorted(), expectedNames.sorted())
        // 2 blocks × (c_attn 4·(32+96) + c_proj 4·(32+32) + c_fc 4·(32+128) + c_proj 4·(128+32)) + head 3·32+3
        XCTAssertEqual(summary.parameterCount, 2 * (512 + 256 + 640 + 640) + 99)
        XCTAssertEqual(summary.frozenPrefixBlocks, 0)
        // B starts at zero: the adapters change nothing yet.
        XCTAssertTrue(classifier.namedParameters.filter { $0.name.contains("lora_B") }.allSatisfy { $0.parameter.value.scalars.allSatisfy { $0 == 0 } })
        _ = try checkForwardBackward(classifier, reference, prefix: "step.")

        let optimizer = try OptimizerConfiguration.adamW(learningRate: 1e-2, weightDecay: 0.1).makeOptimizer()
        let frozenBefore = classifier.namedParameters.filter { !$0.parameter.requiresGrad }.map { ($0.name, $0.parameter.value.scalars) }
        optimizer.step(classifier.trainableParameters)
        // AdamW's first step moves each element by lr·g/(|g| + 1e-8) (plus decay): where |g| is
        // near float32 noise that ratio is not reproducible, so those elements are held to the
        // step's bound |Δ| ≤ lr (see ClassifierStepParityTests); the rest within 1e-5 of the scale.
        var illConditioned = 0, total = 0
        for parameter in classifier.trainableParameters {
            let actual = parameter.value.scalars
            let expected = try reference.floats("step.updated." + parameter.name).toArray()
            let gradient = try reference.floats("step.grad." + parameter.name).toArray()
            let scale = expected.map(abs).max() ?? 1
            for i in expected.indices {
                total += 1
                if gradient[i] != 0 && abs(gradient[i]) < 1e-7 {
                    illConditioned += 1
                    XCTAssertLessThanOrEqual(abs(actual[i] - expected[i]), 2e-2, "updated.\(parameter.name)[\(i)] (g ≈ 0)")
                } else if abs(actual[i] - expected[i]) > 1e-5 * scale {
                    XCTFail("updated.\(parameter.name)[\(i)]: \(actual[i]) vs \(expected[i]) (peft), g = \(gradient[i])")
                    break
                }
            }
        }
        XCTAssertEqual(total, summary.parameterCount)
        XCTAssertLessThan(illConditioned, total / 100, "too few elements checked tightly")
        for (name, values) in frozenBefore {
            XCTAssertEqual(classifier.namedParameters.first { $0.name == name }!.parameter.value.scalars, values, "\(name) changed")
        }
    }

    /// With B non-zero (as after training) A gets a gradient too; merging matches peft's
    /// merge_and_unload and leaves the logits as they were.
    func testTrainedAdaptersGradientsAndMergeMatchPeft() throws {
        let reference = try SafeTensorsFile(url: Self.fixture)
        let (classifier, _) = try classifier(reference, prefix: "trained.")
        let logits = try checkForwardBackward(classifier, reference, prefix: "trained.")
        let (input, _) = try input(reference)

        XCTAssertTrue(classifier.hasAdapters)
        XCTAssertEqual(classifier.mergeAdapters(), 8)
        XCTAssertFalse(classifier.hasAdapters)
        XCTAssertFalse(classifier.namedParameters.contains { $0.name.contains("lora_") })
        for (name, parameter) in classifier.backbone.namedParameters where name.hasSuffix("c_attn.weight") || name.hasSuffix("c_proj.weight") || name.hasSuffix("c_fc.weight") {
            // W + s·(B·A)ᵀ: each element one float32 add of a rank-4 dot product to W, so within
            // a few float32 ulps of the weights' scale.
            XCTAssertLessThan(relativeError(parameter.value.scalars, try reference.floats("trained.merged." + name).toArray()), 1e-6, name)
        }
        // Merged logits == adapter logits: both compute x·W + s·x·Aᵀ·Bᵀ, associated differently.
        // Every dense output sums at most 128 products, whose float32 rounding is at most
        // 128·2⁻²⁴ ≈ 8e-6 of the sum of |terms|; two blocks, a LayerNorm and the head compound a
        // few such steps, so 1e-4 of the logits' scale bounds it with room (observed ~1e-7).
        let merged = try classifier.logits(input, tape: nil)
        XCTAssertLessThan(relativeError(merged.value.scalars, logits.value.scalars), 1e-4)
    }

    /// A LoRA run's checkpoint holds the adapters and the head only, and loads back onto the
    /// pretrained backbone with identical predictions; resume state too.
    func testAdaptersRoundTripThroughCheckpoints() throws {
        var c = TrainingConfiguration()
        c.epochs = 1
        c.batchSize = 4
        c.restoreBest = false
        c.trainable = .lora(LoRASettings(rank: 2, alpha: 4))
        c.optimizer = .adamW(learningRate: 1e-2, weightDecay: 0)
        let directory = try temporaryDirectory()
        let classifier = try tinyClassifier()
        _ = try Trainer(classifier: classifier, data: syntheticData(for: classifier), configuration: c, source: tinySource,
                        runDirectory: directory).train()
        let trainedB = classifier.namedParameters.filter { $0.name.hasSuffix("lora_B.weight") }
        XCTAssertEqual(trainedB.count, 4, "c_attn and attn.c_proj of both blocks")
        XCTAssertTrue(trainedB.allSatisfy { $0.parameter.value.scalars.contains { $0 != 0 } }, "B trained")

        let loaded = try ClassifierCheckpoint.load(directory, makeBackbone: { _ in try tinyGPT2() })
        XCTAssertEqual(loaded.configuration.trainable, c.trainable)
        XCTAssertEqual(loaded.configuration.trainable.description, "lora:2:4")
        let file = try SafeTensorsFile(url: directory.appendingPathComponent("model").appendingPathComponent(ClassifierCheckpoint.tensorFile))
        XCTAssertEqual(Set(file.names), Set((0..<2).flatMap { block in ["attn.c_attn", "attn.c_proj"].flatMap { layer in
            ["A", "B"].map { "h.\(block).\(layer).lora_\($0).weight" } } } + ["head.weight", "head.bias"]))
        let texts = syntheticExamples(count: 7, seed: 4).map(\.text)
        XCTAssertEqual(try loaded.classifier.predict(texts).map(\.probabilities), try classifier.predict(texts).map(\.probabilities))

        // Merged, the model predicts the same within float32 reassociation (see the merge test).
        let adapterLogits = try classifier.logits(tokens: classifier.encode(texts).map(\.ids))
        loaded.classifier.mergeAdapters()
        let mergedLogits = try loaded.classifier.logits(tokens: loaded.classifier.encode(texts).map(\.ids))
        XCTAssertLessThan(relativeError(Array(mergedLogits.joined()), Array(adapterLogits.joined())), 1e-4)
    }

    /// Adapters on the last block only leave block 0 frozen and adapter-free: the trainer caches
    /// its output, and training agrees with the uncached run (as FrozenPrefixCacheTests, SGD).
    func testAdaptersOnTheLastBlocksUseTheFrozenPrefixCache() throws {
        var configuration = TrainingConfiguration()
        configuration.epochs = 1
        configuration.batchSize = 4
        configuration.optimizer = .sgd(learningRate: 0.5)
        configuration.trainable = .lora(LoRASettings(rank: 4, alpha: 8, targets: [.attention, .mlp], lastBlocks: 1))
        var trained: [[String: [Float]]] = []
        for mode in [TrainingConfiguration.CacheMode.auto, .off] {
            configuration.cache = mode
            let classifier = try tinyClassifier()
            let result = try Trainer(classifier: classifier, data: syntheticData(for: classifier), configuration: configuration,
                                     source: tinySource).train()
            XCTAssertEqual(result.plan.trainable.frozenPrefixBlocks, 1)
            XCTAssertEqual(result.cache != nil, mode == .auto, result.plan.cacheNote)
            XCTAssertFalse(classifier.namedParameters.contains { $0.name.hasPrefix("h.0.") && $0.name.contains("lora_") })
            trained.append(classifier.snapshot.filter { $0.key.contains("lora_B") || $0.key.hasPrefix("head.") })
        }
        XCTAssertEqual(trained[0].count, 4 + 2)
        for (name, values) in trained[1] {
            XCTAssertTrue(values.contains { $0 != 0 }, name)
            XCTAssertLessThan(relativeError(trained[0][name]!, values), 1e-3, name)
        }
    }

    func testPolicyText() throws {
        XCTAssertEqual(try TrainablePolicy(parsing: "lora"), .lora(LoRASettings(rank: 8, alpha: 8)))
        XCTAssertEqual(try TrainablePolicy(parsing: "lora:16"), .lora(LoRASettings(rank: 16, alpha: 16)))
        XCTAssertEqual(try TrainablePolicy(parsing: "lora:8:16"), .lora(LoRASettings(rank: 8, alpha: 16)))
        for text in ["lora:8:8", "lora:4:0.5", "lora:8:16:attention,mlp", "lora:8:8:mlp:norms", "lora:2:4:last-3-blocks",
                     "lora:8:16:attention,mlp:norms:last-2-blocks"] {
            XCTAssertEqual(try TrainablePolicy(parsing: text).description, text)
        }
        XCTAssertEqual(try TrainablePolicy(parsing: "lora:8:16:mlp,attention").description, "lora:8:16:attention,mlp")
        for bad in ["lora:0", "lora:8:-1", "lora:8:16:ffn", "lora:x", "lora:8:16:last-0-blocks", "lora:"] {
            XCTAssertThrowsError(try TrainablePolicy(parsing: bad), bad) { XCTAssertTrue($0 is InvalidInput, "\($0)") }
        }
        XCTAssertNotNil(TrainablePolicy.lora(LoRASettings(lastBlocks: 3)).mismatch(blockCount: 2, model: "tiny"))
    }

    /// `norms` trains the LayerNorms with the adapters; the other parameters stay frozen.
    func testNormsTrainWithTheAdapters() throws {
        let classifier = try tinyClassifier()
        let summary = classifier.apply(.lora(LoRASettings(rank: 2, trainNorms: true)))
        let names = Set(classifier.trainableParameters.map(\.name))
        XCTAssertTrue(names.isSuperset(of: ["h.0.ln_1.weight", "h.1.ln_2.bias", "ln_f.weight", "ln_f.bias"]))
        XCTAssertFalse(names.contains { $0.hasSuffix("c_attn.weight") || $0 == "wte.weight" })
        XCTAssertEqual(names.filter { $0.contains("lora_") }.count, 8)
        XCTAssertEqual(summary.frozenPrefixBlocks, 0)
        // Back to a plain policy: the adapters go.
        classifier.apply(.lastBlock)
        XCTAssertFalse(classifier.hasAdapters)
    }
}
