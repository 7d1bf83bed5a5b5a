import Common
import Foundation

/// Element types found in weight files. Everything numeric can be read as Float32.
public enum TensorDType: Sendable, Hashable, CustomStringConvertible {
    case float32, float16, bfloat16, float64
    case int64, int32, int16, int8, uint8, bool
    /// A type we can list but not read (a TF string tensor, an 8-bit float, ...).
    case other(String)

    /// Bytes per element, or nil when the type has no fixed size we can read.
    public var byteSize: Int? {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        case .other: return nil
        }
    }

    public var description: String {
        switch self {
        case .float32: return "F32"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .float64: return "F64"
        case .int64: return "I64"
        case .int32: return "I32"
        case .int16: return "I16"
        case .int8: return "I8"
        case .uint8: return "U8"
        case .bool: return "BOOL"
        case .other(let name): return name
        }
    }
}

/// What a weight file says about one tensor, before any data is read.
public struct TensorInfo: Sendable, Hashable {
    public let name: String
    public let dtype: TensorDType
    public let shape: [Int]

    public init(name: String, dtype: TensorDType, shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }

    public var elementCount: Int { shape.reduce(1, *) }
}

/// One tensor of a weight file as Float32 values, row-major in `shape`.
///
/// `floats` points either straight into the memory-mapped file (float32 data that is 4-byte
/// aligned: no copy) or into a converted copy; in both cases `owner` keeps that memory alive,
/// so whoever wraps `floats` (a Tensor, a BLAS call) must also hold on to `owner`.
public struct StoredTensor: @unchecked Sendable {
    public let name: String
    public let shape: [Int]
    public let floats: UnsafeBufferPointer<Float>
    public let owner: AnyObject
    /// True when `floats` points into the file mapping itself.
    public let isMapped: Bool

    init(name: String, shape: [Int], floats: UnsafeBufferPointer<Float>, owner: AnyObject, isMapped: Bool) {
        self.name = name
        self.shape = shape
        self.floats = floats
        self.owner = owner
        self.isMapped = isMapped
    }

    public var count: Int { floats.count }

    /// A copy of the values (for tests and small tensors).
    public func toArray() -> [Float] {
        withExtendedLifetime(owner) { Array(floats) }
    }
}

/// A named collection of tensors read from a weight file: safetensors or a TF checkpoint.
public protocol TensorArchive: AnyObject, Sendable {
    /// The file named in error messages.
    var path: String { get }
    /// Every tensor name in the file, sorted.
    var names: [String] { get }
    func info(_ name: String) -> TensorInfo?
    /// The tensor as Float32 (float16/bfloat16/float64/integers are converted).
    func floats(_ name: String) throws -> StoredTensor
    /// The tensor as Int64 (integer types only), e.g. token ids or position-id buffers.
    func int64s(_ name: String) throws -> [Int64]
}

extension TensorArchive {
    public func contains(_ name: String) -> Bool { info(name) != nil }

    public func shape(of name: String) throws -> [Int] {
        guard let info = info(name) else { throw TensorFileError(path, tensor: name, "is not in the file") }
        return info.shape
    }

    /// The tensor as Float32, after checking it has the shape the model expects.
    public func floats(_ name: String, shape expected: [Int]) throws -> StoredTensor {
        let shape = try shape(of: name)
        guard shape == expected else {
            throw TensorFileError(path, tensor: name, "has shape \(shape), expected \(expected)")
        }
        return try floats(name)
    }
}

/// Opens a weight file or a model directory in whichever format it is.
public enum TensorArchives {
    /// `url` may be a `.safetensors` file, a TF checkpoint (its `.index` file or its prefix such
    /// as `.../model.ckpt`), or a directory holding `model.safetensors` or a TF checkpoint.
    public static func open(_ url: URL) throws -> any TensorArchive {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory) || fm.fileExists(atPath: url.path + ".index") else {
            throw TensorFileError(url.path, "no such file or directory")
        }
        if isDirectory.boolValue {
            let safetensors = url.appendingPathComponent("model.safetensors")
            if fm.fileExists(atPath: safetensors.path) { return try SafeTensorsFile(url: safetensors) }
            if fm.fileExists(atPath: url.appendingPathComponent("checkpoint").path)
                || fm.fileExists(atPath: url.appendingPathComponent("model.ckpt.index").path) {
                return try TFCheckpoint(url: url)
            }
            throw TensorFileError(url.path, "directory holds neither model.safetensors nor a TensorFlow checkpoint")
        }
        if url.pathExtension == "safetensors" { return try SafeTensorsFile(url: url) }
        return try TFCheckpoint(url: url)
    }
}

/// A weight file that cannot be read as it is; names the file and, where known, the tensor.
public struct TensorFileError: InputError, Equatable {
    public let path: String
    public let tensor: String?
    public let reason: String

    public init(_ path: String, tensor: String? = nil, _ reason: String) {
        self.path = path
        self.tensor = tensor
        self.reason = reason
    }

    public var description: String {
        if let tensor { return "\(path): tensor '\(tensor)' \(reason)".escapingLineBreaks }
        return "\(path): \(reason)".escapingLineBreaks
    }
}
