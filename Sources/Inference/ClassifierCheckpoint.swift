// A fine-tuned classifier on disk: a directory with
//
//   classifier.json     what the model is (format "textclf-classifier/1"): backbone source and
//                       checksum, labels, pooling, head, trainable policy, tokenizer, max length,
//                       and the decision rule (sigmoid outputs, temperature, thresholds) if any
//   model.safetensors   the trained tensors (trainable ones by default; every one with `full`)
//
// Loading rebuilds the backbone from its source (pretrained weights by name, a directory, or a
// seeded random initialisation), checks that its frozen weights are the ones trained on (SHA-256
// of those parameters), builds the head, and copies the saved tensors in, checking every name
// and shape. Saving is all-or-nothing (a staging directory renamed into place).
import Backbones
import Common
import Foundation
import Heads
import Store
import TensorEngine

public enum ClassifierCheckpoint {
    public static let configFile = "classifier.json"
    public static let tensorFile = "model.safetensors"

    /// Writes `classifier` to `directory`. `content` chooses trainable tensors only (those with
    /// requiresGrad, i.e. what `policy` trains) or every tensor. `values` replaces the current
    /// value of named tensors (e.g. the best weights kept aside during training). `checksum`
    /// is the frozen parameters' SHA-256 if already known (it is the same for every save of a
    /// run).
    public static func save(_ classifier: Classifier, source: BackboneSource, policy: TrainablePolicy, to directory: URL,
                            content: CheckpointConfiguration.TensorsInfo.Content = .trainable, step: Int = 0,
                            values: [String: Tensor] = [:], checksum: String? = nil, version: String? = nil) throws {
        let saved = savedNames(classifier, content: content)
        let checksum = try checksum ?? frozenChecksum(classifier, saved: saved)
        var writer = SafeTensorsWriter(metadata: ["format": "pt", "textclf": CheckpointConfiguration.formatTag])
        var elementCount = 0
        for (name, parameter) in classifier.namedParameters where saved.contains(name) {
            let tensor = values[name] ?? parameter.value
            guard tensor.shape == parameter.shape else {
                throw TensorShapeError("checkpoint: value for '\(name)' has shape \(tensor.shape), the parameter \(parameter.shape)")
            }
            try writer.add(name, shape: tensor.shape, floats: UnsafeBufferPointer(start: tensor.pointer, count: tensor.count), owner: tensor)
            elementCount += tensor.count
        }
        let configuration = CheckpointConfiguration(
            format: CheckpointConfiguration.formatTag,
            backbone: .init(source: source, frozenParametersSHA256: checksum, hiddenSize: classifier.backbone.hiddenSize,
                            blockCount: classifier.backbone.blockCount),
            labels: classifier.labels, pooling: classifier.pooling, head: classifier.head.spec, trainable: policy,
            maxLength: classifier.maxLength, longText: classifier.longText.policy,
            tokenizer: .init(vocabularySize: classifier.tokenizer.vocabularySize, padTokenID: classifier.tokenizer.padTokenID),
            tensors: .init(file: tensorFile, content: content, count: saved.count, parameters: elementCount),
            step: step, textclfVersion: version,
            decision: classifier.decision.isPlainSoftmax ? nil : classifier.decision,
            causalMask: classifier.backbone.causalMaskIsOff ? false : nil)
        try DirectoryCommit.write(to: directory) { staging in
            try writer.write(to: staging.appendingPathComponent(tensorFile))
            try AtomicFile.write(try JSONFiles.pretty(configuration), to: staging.appendingPathComponent(configFile))
        }
    }

    /// Names of the tensors a checkpoint with `content` holds.
    public static func savedNames(_ classifier: Classifier, content: CheckpointConfiguration.TensorsInfo.Content) -> Set<String> {
        Set(classifier.namedParameters.filter { content == .full || $0.parameter.requiresGrad }.map(\.name))
    }

    /// SHA-256 of the backbone parameters not in `saved` (see `BackboneInfo`): each tensor's
    /// SHA-256 is computed on its own (in parallel), then the lines `<name> NUL <hex digest> LF`
    /// of all of them, in `namedParameters` order, are hashed together.
    public static func frozenChecksum(_ classifier: Classifier, saved: Set<String>) throws -> String {
        let frozen = classifier.backbone.namedParameters.filter { !saved.contains($0.name) }.map(\.parameter.value)
        let names = classifier.backbone.namedParameters.map(\.name).filter { !saved.contains($0) }
        let digests = DigestSlots(count: frozen.count)
        // Largest first, so the big embedding does not start last.
        let order = frozen.indices.sorted { frozen[$0].count > frozen[$1].count }
        Parallel.forEach(order.count, chunksPerWorker: max(1, order.count)) { k in
            let tensor = frozen[order[k]]
            var hasher = SHA256()
            tensor.withUnsafeBufferPointer { hasher.update(UnsafeRawBufferPointer($0)) }
            digests.set(order[k], hasher.finalize().hex)
        }
        var hasher = SHA256()
        for (index, name) in names.enumerated() { hasher.update(Array("\(name)\u{0}\(digests.value(index))\n".utf8)) }
        return hasher.finalize().hex
    }

    public static func readConfiguration(_ directory: URL) throws -> CheckpointConfiguration {
        let url = directory.appendingPathComponent(configFile)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw InvalidInput("\(directory.path): no \(configFile) here: not a textclf model directory (a run directory holds one in model/)")
        }
        let configuration = try JSONFiles.read(CheckpointConfiguration.self, from: url, what: "classifier config")
        guard configuration.format == CheckpointConfiguration.formatTag else {
            throw InvalidInput("\(url.path): format \"\(configuration.format)\" is not \"\(CheckpointConfiguration.formatTag)\"")
        }
        return configuration
    }

    /// Loads the classifier in `directory` (a model directory, or a run directory holding one
    /// in `model/`). `makeBackbone` rebuilds the backbone from its recorded source (for a full
    /// checkpoint of pretrained weights: the architecture, seed-0 random weights, all replaced).
    public static func load(_ directory: URL, heads: HeadRegistry = .builtIn, verifyBackbone: Bool = true,
                            makeBackbone: (BackboneSource) throws -> any Backbone) throws -> TrainedModel {
        let directory = modelDirectory(directory)
        let configuration = try readConfiguration(directory)
        var source = configuration.backbone.source
        if source.weights == .directory, let path = source.path, !path.hasPrefix("/") {
            // A relative backbone directory is read from the model directory, so a model that
            // carries its backbone's files (`textclf export --format safetensors`: ".") moves freely.
            source.path = directory.appendingPathComponent(path).standardizedFileURL.path
        }
        if configuration.tensors.content == .full, source.weights == .pretrained {
            // Every parameter is in the file (a standalone checkpoint): the architecture is
            // enough, so the pretrained weights need not be found again.
            source = BackboneSource(name: source.name, weights: .random, seed: 0)
        }
        let backbone = try makeBackbone(source)
        if let causalMask = configuration.causalMask { try backbone.setCausalMask(causalMask) }
        guard backbone.hiddenSize == configuration.backbone.hiddenSize, backbone.blockCount == configuration.backbone.blockCount else {
            throw InvalidInput("\(directory.path): the checkpoint was trained on a backbone with \(configuration.backbone.blockCount) blocks of width \(configuration.backbone.hiddenSize); \(configuration.backbone.source) has \(backbone.blockCount) of \(backbone.hiddenSize)")
        }
        let head = try heads.makeHead(configuration.head, inputSize: backbone.hiddenSize, classCount: configuration.labels.count, seed: 0)
        let classifier = try Classifier(backbone: backbone, head: head, labels: configuration.labels, pooling: configuration.pooling,
                                        maxLength: configuration.maxLength)
        if let decision = configuration.decision {
            guard decision.fits(classes: configuration.labels.count) else {
                throw InvalidInput("\(directory.appendingPathComponent(configFile).path): member decision: temperature \(decision.temperature) and \(decision.thresholds?.count ?? 0) thresholds do not fit \(decision.output) outputs for \(configuration.labels.count) labels")
            }
            classifier.decision = decision
        }
        do { try classifier.useLongText(configuration.longText ?? .truncate) } catch let error as InvalidInput {
            throw InvalidInput("\(directory.appendingPathComponent(configFile).path): \(error.description)")
        }
        let file = try SafeTensorsFile(url: directory.appendingPathComponent(configuration.tensors.file))
        classifier.apply(configuration.trainable)  // first: LoRA adds the adapters the file fills
        let saved = try loadTensors(file, into: classifier)
        if configuration.tensors.content == .trainable {
            let expected = savedNames(classifier, content: .trainable)
            if let missing = expected.subtracting(saved).sorted().first {
                throw TensorFileError(file.path, tensor: missing, "is trained under policy \(configuration.trainable) but is not in the file")
            }
        }
        if verifyBackbone {
            let checksum = try frozenChecksum(classifier, saved: saved)
            guard checksum == configuration.backbone.frozenParametersSHA256 else {
                throw InvalidInput("\(directory.path): the frozen weights of \(configuration.backbone.source) differ from those the classifier was trained on (SHA-256 \(checksum.prefix(12))… vs \(configuration.backbone.frozenParametersSHA256.prefix(12))… recorded)")
            }
        }
        return TrainedModel(classifier: classifier, configuration: configuration, directory: directory)
    }

    /// Copies every tensor of `file` into the classifier parameter of the same name; a name
    /// the classifier lacks or a wrong shape is an error naming the tensor. Returns the names.
    @discardableResult
    public static func loadTensors(_ file: any TensorArchive, into classifier: Classifier) throws -> Set<String> {
        let parameters = Dictionary(classifier.namedParameters.map { ($0.name, $0.parameter) }, uniquingKeysWith: { a, _ in a })
        for name in file.names {
            guard let parameter = parameters[name] else {
                throw TensorFileError(file.path, tensor: name, "is not a parameter of this classifier")
            }
            let stored = try file.floats(name, shape: parameter.shape)
            try withExtendedLifetime(stored.owner) {
                guard stored.floats.count == parameter.value.count else {
                    throw TensorFileError(file.path, tensor: name, "has \(stored.floats.count) values, expected \(parameter.value.count)")
                }
                parameter.value.mutablePointer.update(from: stored.floats.baseAddress!, count: stored.floats.count)
            }
        }
        return Set(file.names)
    }

    /// `directory` itself if it holds classifier.json, else its `model/` (a run directory).
    public static func modelDirectory(_ directory: URL) -> URL {
        let fm = FileManager.default
        if fm.fileExists(atPath: directory.appendingPathComponent(configFile).path) { return directory }
        let inner = directory.appendingPathComponent("model")
        if fm.fileExists(atPath: inner.appendingPathComponent(configFile).path) { return inner }
        return directory
    }
}

/// One result slot per index, written by concurrent workers (each its own index).
private final class DigestSlots: @unchecked Sendable {
    private var values: [String]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: "", count: count) }
    func set(_ index: Int, _ value: String) { lock.withLock { values[index] = value } }
    func value(_ index: Int) -> String { lock.withLock { values[index] } }
}
