import Backbones
import Common
import Foundation
import Store
import TensorEngine
import XCTest

/// Loading GPT-2 weights: configs, broken weight files (written here to a temporary
/// directory), and models found by name through a Store over a temporary mirror.
final class GPT2LoadingTests: XCTestCase {
    // MARK: Configs

    func testNamedConfigsAndAliases() throws {
        let sizes: [(String, Int, Int, Int)] = [("gpt2", 768, 12, 12), ("gpt2-medium", 1024, 24, 16),
                                               ("gpt2-large", 1280, 36, 20), ("gpt2-xl", 1600, 48, 25)]
        for (name, width, layers, heads) in sizes {
            let config = try XCTUnwrap(GPT2Config.named(name), name)
            XCTAssertEqual([config.embeddingSize, config.layerCount, config.headCount], [width, layers, heads], name)
            XCTAssertEqual([config.vocabSize, config.contextLength, config.innerSize], [50257, 1024, 4 * width], name)
            XCTAssertEqual(config.layerNormEpsilon, 1e-5)
        }
        XCTAssertEqual(GPT2Config.named("124M"), .gpt2)
        XCTAssertEqual(GPT2Config.named("gpt2-355M"), .gpt2Medium)
        XCTAssertEqual(GPT2Config.named("1558m"), .gpt2XL)
        XCTAssertEqual(GPT2ModelName("774M")?.huggingFace, "gpt2-large")
        XCTAssertNil(GPT2Config.named("gpt3"))
    }

    func testConfigFromBothFileFormats() throws {
        let hf = try GPT2Config.load(directory: fixture("hf"))
        let openAI = try GPT2Config.load(directory: fixture("openai"))
        let expected = GPT2Config(vocabSize: 300, contextLength: 32, embeddingSize: 32, layerCount: 2, headCount: 4)
        XCTAssertEqual(hf, expected)  // the fixture's config.json has dropout 0
        XCTAssertEqual(openAI, expected)
    }

    func testConfigsThatDoNotDescribeGPT2AreRefused() throws {
        let dir = try temporaryDirectory()
        let cases: [(String, String)] = [
            (#"{"model_type": "bert", "n_embd": 32, "n_layer": 2, "n_head": 4}"#, "model_type"),
            (#"{"n_embd": 30, "n_layer": 2, "n_head": 4}"#, "not a multiple of n_head"),
            (#"{"n_embd": 32, "n_head": 4}"#, "has no n_layer"),
            (#"{"n_embd": 32, "n_layer": 2, "n_head": 4, "activation_function": "relu"}"#, "activation_function"),
            (#"{"n_embd": 32, "n_layer": "two", "n_head": 4}"#, "n_layer is not an integer"),
            (#"{"n_embd": 32, "n_layer": 2, "n_head": 4, "tie_word_embeddings": false}"#, "tie_word_embeddings"),
            ("[1, 2]", "not a JSON object"),
        ]
        for (json, expected) in cases {
            let file = dir.appendingPathComponent("config.json")
            try Data(json.utf8).write(to: file)
            XCTAssertThrowsError(try GPT2Config.load(huggingFace: file)) { error in
                XCTAssertTrue(error is InputError, "\(error)")
                XCTAssertTrue("\(error)".contains(expected) && "\(error)".contains(file.path), "\(json): \(error)")
            }
        }
    }

    // MARK: Broken weight files

    /// The fixture's hf/ directory with model.safetensors rewritten by `edit` (name → (shape, values)).
    private func hfCopy(editing edit: (inout [String: (shape: [Int], values: [Float])]) -> Void) throws -> URL {
        let dir = try temporaryDirectory()
        for file in ["config.json", "vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(at: fixture("hf/" + file), to: dir.appendingPathComponent(file))
        }
        let original = try SafeTensorsFile(url: fixture("hf/model.safetensors"))
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        for name in original.names {
            let stored = try original.floats(name)
            tensors[name] = (stored.shape, stored.toArray())
        }
        edit(&tensors)
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        for (name, tensor) in tensors { try writer.add(name, shape: tensor.shape, values: tensor.values) }
        try writer.write(to: dir.appendingPathComponent("model.safetensors"))
        return dir
    }

    func testMissingTensorIsNamedWithItsExpectedShape() throws {
        let dir = try hfCopy { $0["transformer.h.1.mlp.c_fc.bias"] = nil }
        XCTAssertThrowsError(try GPT2Model.load(directory: dir)) { error in
            guard let error = error as? TensorFileError else { return XCTFail("expected a TensorFileError, got \(error)") }
            XCTAssertEqual(error.tensor, "transformer.h.1.mlp.c_fc.bias")
            XCTAssertTrue(error.description.contains("is missing") && error.description.contains("[128]"), error.description)
            XCTAssertTrue(error.description.contains(dir.appendingPathComponent("model.safetensors").path), error.description)
        }
    }

    func testWrongShapeIsNamedWithExpectedAndActualShapes() throws {
        let dir = try hfCopy { tensors in
            tensors["transformer.h.0.attn.c_attn.weight"] = ([96, 32], Array(repeating: 0, count: 96 * 32))
        }
        XCTAssertThrowsError(try GPT2Model.load(directory: dir)) { error in
            guard let error = error as? TensorFileError else { return XCTFail("expected a TensorFileError, got \(error)") }
            XCTAssertEqual(error.tensor, "transformer.h.0.attn.c_attn.weight")
            XCTAssertTrue(error.description.contains("has shape [96, 32], expected [32, 96]"), error.description)
        }
    }

    func testTensorForABlockTheConfigLacksIsRefused() throws {
        let dir = try hfCopy { tensors in tensors["transformer.h.2.ln_1.weight"] = ([32], Array(repeating: 1, count: 32)) }
        XCTAssertThrowsError(try GPT2Model.load(directory: dir)) { error in
            XCTAssertEqual((error as? TensorFileError)?.tensor, "transformer.h.2.ln_1.weight", "\(error)")
        }
    }

    /// Files without the `transformer.` prefix, or with an LM head and causal-mask buffers, load the same.
    func testPrefixFreeNamesAndIgnoredTensors() throws {
        let dir = try hfCopy { tensors in
            var renamed: [String: (shape: [Int], values: [Float])] = [:]
            for (name, tensor) in tensors { renamed[String(name.dropFirst("transformer.".count))] = tensor }
            renamed["lm_head.weight"] = tensors["transformer.wte.weight"]
            renamed["h.0.attn.bias"] = ([1, 1, 32, 32], Array(repeating: 1, count: 32 * 32))
            renamed["score.weight"] = ([2, 32], Array(repeating: 0, count: 64))
            tensors = renamed
        }
        let copy = try GPT2Model.load(directory: dir)
        let original = try GPT2Model.load(directory: fixture("hf"))
        for ((name, a), (_, b)) in zip(copy.namedParameters, original.namedParameters) {
            XCTAssertEqual(a.value.scalars, b.value.scalars, name)
        }
        let missing = try hfCopy { tensors in
            var renamed: [String: (shape: [Int], values: [Float])] = [:]
            for (name, tensor) in tensors where name != "transformer.ln_f.bias" { renamed[String(name.dropFirst(12))] = tensor }
            tensors = renamed
        }
        XCTAssertThrowsError(try GPT2Model.load(directory: missing)) { error in
            XCTAssertEqual((error as? TensorFileError)?.tensor, "ln_f.bias", "\(error)")  // spelt as the file spells names
        }
    }

    func testDirectoryWithoutModelFilesSaysWhatItLookedFor() throws {
        let dir = try temporaryDirectory()
        XCTAssertThrowsError(try GPT2Model.load(directory: dir)) { error in
            XCTAssertTrue(error is InputError, "\(error)")
            XCTAssertTrue("\(error)".contains("config.json + model.safetensors") && "\(error)".contains("hparams.json"), "\(error)")
        }
        XCTAssertThrowsError(try GPT2Model.load("/no/such/dir")) { error in XCTAssertTrue(error is InputError, "\(error)") }
    }

    // MARK: By name, through the Store

    private let hfFiles = ["config.json", "model.safetensors", "vocab.json", "merges.txt"]
    private let openAIFiles = ["hparams.json", "model.ckpt.index", "model.ckpt.data-00000-of-00001", "encoder.json", "vocab.bpe"]

    /// A Store over a temporary mirror: `gpt2` (HF files) and `gpt2-124M` (OpenAI files) entries
    /// list the tiny fixture's files; the mirror holds the layouts in `mirrored`.
    private func store(mirrored: [String]) throws -> Store {
        let root = try temporaryDirectory()
        let mirror = root.appendingPathComponent("mirror")
        func entry(_ name: String, _ layout: String, _ files: [String]) throws -> ManifestEntry {
            let dir = mirror.appendingPathComponent("models/\(name)")
            if mirrored.contains(layout) {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                for file in files { try FileManager.default.copyItem(at: fixture("\(layout)/\(file)"), to: dir.appendingPathComponent(file)) }
            }
            return ManifestEntry(kind: .model, name: name, files: files.map { ManifestFile(name: $0, urls: []) })
        }
        let manifest = Manifest(entries: [try entry("gpt2", "hf", hfFiles), try entry("gpt2-124M", "openai", openAIFiles)])
        let configuration = StoreConfiguration(cacheDirectory: root.appendingPathComponent("cache"), mirrors: [mirror],
                                               offline: true, showProgress: false, log: { _ in })
        return try Store(configuration: configuration, manifest: manifest)
    }

    func testByNamePrefersHuggingFaceThenFallsBackToOpenAI() throws {
        let both = try GPT2Model.pretrained("gpt2", store: store(mirrored: ["hf", "openai"]))
        XCTAssertTrue(both.source.hasSuffix("models/gpt2/model.safetensors"), both.source)
        let openAIOnly = try GPT2Model.pretrained("124M", store: store(mirrored: ["openai"]))
        XCTAssertTrue(openAIOnly.source.hasSuffix("models/gpt2-124M/model.ckpt.index"), openAIOnly.source)
        XCTAssertEqual(openAIOnly.name, "124M")
        XCTAssertEqual(both.wte.weight.value.scalars, openAIOnly.wte.weight.value.scalars)
    }

    func testByNameWithNoWeightsListsEveryPlaceTried() throws {
        XCTAssertThrowsError(try GPT2Model.pretrained("gpt2", store: store(mirrored: []))) { error in
            guard let error = error as? GPT2WeightsNotFound else { return XCTFail("expected GPT2WeightsNotFound, got \(error)") }
            XCTAssertEqual(error.failures.map(\.ref.name), ["gpt2", "gpt2-124M"])
            XCTAssertTrue(error.debugDescription.contains("models/gpt2/config.json: not found"), error.debugDescription)
            XCTAssertTrue(error.debugDescription.contains("models/gpt2-124M/hparams.json: not found"), error.debugDescription)
            XCTAssertFalse(error.description.contains("\n"), error.description)
        }
        XCTAssertThrowsError(try GPT2Model.pretrained("gpt3", store: store(mirrored: []))) { error in
            XCTAssertTrue(error is UnknownEntryError, "\(error)")
        }
    }

    private func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("textclf-gpt2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }
}
