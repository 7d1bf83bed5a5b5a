// model-int8.safetensors: a classifier's dense-layer weights quantised for int8 inference
// (`textclf quantize`), beside model.safetensors in the model directory. Per layer:
//
//   NAME          I8, the weight's own name, shape and layout: symmetric per output channel
//   NAME_scale    F32 [out]: weight ≈ NAME · NAME_scale, channel by channel
//
// Its metadata ties it to the checkpoint it was made from (model.safetensors' SHA-256 and the
// frozen weights' SHA-256 from classifier.json): int8 inference never runs stale weights.
// Layers the file does not name are quantised on load, exactly as without the file.
import Common
import Foundation
import Heads
import Store
import TensorEngine

public enum Int8Checkpoint {
    public static let file = "model-int8.safetensors"
    static let formatTag = "textclf-int8/1"
    static let scaleSuffix = "_scale"

    public struct Summary: Sendable {
        /// The file written.
        public let url: URL
        /// Dense layers quantised.
        public let layers: Int
        /// Bytes of the file, and of those weights in f32.
        public let bytes: Int, floatBytes: Int
    }

    /// Quantises every dense layer of `model` (as `--int8` does on load) and writes the file into
    /// its model directory, atomically.
    @discardableResult
    public static func save(_ model: TrainedModel) throws -> Summary {
        var writer = SafeTensorsWriter(metadata: ["format": formatTag,
                                                  "scheme": "weights: symmetric s8 per output channel; activations: asymmetric u8 per row, at run time",
                                                  "source_sha256": try sourceDigest(model),
                                                  "frozen_parameters_sha256": model.configuration.backbone.frozenParametersSHA256])
        let layers = model.classifier.denseWeights
        var floatBytes = 0
        for (name, weight, layout) in layers {
            let quantized = Int8Inference.weight(for: weight, layout: layout)
            try writer.add(name, shape: weight.shape, int8s: quantized.values(layout: layout))
            try writer.add(name + scaleSuffix, shape: [quantized.outFeatures], values: quantized.scales)
            floatBytes += 4 * weight.value.count
        }
        let url = model.directory.appendingPathComponent(file)
        try writer.write(to: url)
        let bytes = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
        return Summary(url: url, layers: layers.count, bytes: bytes, floatBytes: floatBytes)
    }

    /// Makes `model` run with the int8 weights saved in its directory, if it holds them; returns
    /// how many layers they cover (nil: no file). A file made from other weights, or one whose
    /// tensors do not fit the model, is an error naming the file and tensor.
    @discardableResult
    public static func load(into model: TrainedModel) throws -> Int? {
        let url = model.directory.appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let archive = try SafeTensorsFile(url: url)
        guard archive.metadata["format"] == formatTag else {
            throw TensorFileError(archive.path, "is not a textclf int8 file (metadata format \(archive.metadata["format"].map { "\"\($0)\"" } ?? "missing"), expected \"\(formatTag)\")")
        }
        guard archive.metadata["source_sha256"] == (try sourceDigest(model)),
              archive.metadata["frozen_parameters_sha256"] == model.configuration.backbone.frozenParametersSHA256 else {
            throw InvalidInput("\(archive.path) was quantised from other weights than \(model.directory.path) now holds: run `textclf quantize` again")
        }
        let layers = Dictionary(model.classifier.denseWeights.map { ($0.name, ($0.weight, $0.layout)) }, uniquingKeysWith: { a, _ in a })
        var count = 0
        for name in archive.names where !name.hasSuffix(scaleSuffix) {
            guard let (weight, layout) = layers[name] else {
                throw TensorFileError(archive.path, tensor: name, "is not a dense layer of this classifier")
            }
            guard let info = archive.info(name), info.dtype == .int8, info.shape == weight.shape else {
                throw TensorFileError(archive.path, tensor: name, "is \(archive.info(name).map { "\($0.dtype) \($0.shape)" } ?? "?"), expected I8 \(weight.shape)")
            }
            let outFeatures = layout == .inOut ? weight.shape[1] : weight.shape[0]
            let scaleName = name + scaleSuffix
            guard let scaleInfo = archive.info(scaleName) else {
                throw TensorFileError(archive.path, tensor: scaleName, "is missing (the per-channel scales of \(name))")
            }
            guard scaleInfo.dtype == .float32, scaleInfo.shape == [outFeatures] else {
                throw TensorFileError(archive.path, tensor: scaleName, "is \(scaleInfo.dtype) \(scaleInfo.shape), expected F32 [\(outFeatures)]")
            }
            let q = try archive.int8s(name)
            let scales = try archive.floats(scaleName)
            let scaleValues = withExtendedLifetime(scales.owner) { Array(scales.floats) }
            if let bad = scaleValues.first(where: { !($0.isFinite && $0 > 0) }) {
                throw TensorFileError(archive.path, tensor: scaleName, "holds the scale \(bad): scales are finite and positive")
            }
            Int8Inference.register(Int8Weight(quantized: q, scales: scaleValues, layout: layout,
                                              inFeatures: weight.value.count / outFeatures, outFeatures: outFeatures), for: weight)
            count += 1
        }
        return count
    }

    /// SHA-256 of the model's tensor file: the weights the int8 file was made from.
    static func sourceDigest(_ model: TrainedModel) throws -> String {
        try SHA256.hash(fileAt: model.directory.appendingPathComponent(model.configuration.tensors.file)).hex
    }
}
