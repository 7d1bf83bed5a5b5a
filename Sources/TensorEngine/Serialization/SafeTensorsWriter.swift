import Common
import Foundation

/// Writes float32 and int8 tensors (and string metadata) as a `.safetensors` file that Hugging Face's
/// `safetensors` library and `SafeTensorsFile` read back. The file is written atomically, the
/// tensors in name order, and the header is padded with spaces so the data starts 8-byte aligned
/// (as `safetensors` itself does), which keeps every float32 tensor mappable in place.
///
///     var writer = SafeTensorsWriter(metadata: ["format": "pt"])
///     try writer.add("score.weight", shape: [2, 768], values: weights)
///     try writer.write(to: url)
public struct SafeTensorsWriter {
    public var metadata: [String: String]

    private enum Values {
        case array([Float])
        case buffer(UnsafeBufferPointer<Float>, owner: AnyObject)
        case int8([Int8])

        var dtype: String {
            if case .int8 = self { return "I8" }
            return "F32"
        }

        var byteCount: Int {
            switch self {
            case .array(let a): return 4 * a.count
            case .buffer(let b, _): return 4 * b.count
            case .int8(let a): return a.count
            }
        }
    }

    private var tensors: [String: (shape: [Int], values: Values)] = [:]

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    public var names: [String] { tensors.keys.sorted() }

    private var sortedTensors: [(String, (shape: [Int], values: Values))] {
        tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Adds a tensor; `values` is kept (not copied) until `write`.
    public mutating func add(_ name: String, shape: [Int], values: [Float]) throws {
        try check(name, shape: shape, count: values.count)
        tensors[name] = (shape, .array(values))
    }

    /// Adds a tensor whose memory `owner` keeps alive; it is read only during `write`.
    public mutating func add(_ name: String, shape: [Int], floats: UnsafeBufferPointer<Float>, owner: AnyObject) throws {
        try check(name, shape: shape, count: floats.count)
        tensors[name] = (shape, .buffer(floats, owner: owner))
    }

    /// Adds an int8 tensor (dtype I8), e.g. quantised weights.
    public mutating func add(_ name: String, shape: [Int], int8s: [Int8]) throws {
        try check(name, shape: shape, count: int8s.count)
        tensors[name] = (shape, .int8(int8s))
    }

    /// Adds a tensor read from another file (e.g. to re-save a subset), under its name or `name`.
    public mutating func add(_ tensor: StoredTensor, as name: String? = nil) throws {
        try add(name ?? tensor.name, shape: tensor.shape, floats: tensor.floats, owner: tensor.owner)
    }

    private func check(_ name: String, shape: [Int], count: Int) throws {
        guard !name.isEmpty, name != "__metadata__" else {
            throw InvalidInput("safetensors: '\(name)' cannot be used as a tensor name")
        }
        guard tensors[name] == nil else { throw InvalidInput("safetensors: tensor '\(name)' was added twice") }
        guard let bytes = byteCount(shape: shape, elementSize: 4), bytes / 4 == count else {  // sized as f32, the widest element, so no offset overflows
            throw InvalidInput("safetensors: tensor '\(name)' has \(count) values, which does not match shape \(shape)")
        }
    }

    /// The header JSON bytes, padded with spaces to make `8 + header.count` a multiple of 8.
    func header() -> Data {
        var parts: [String] = []
        if !metadata.isEmpty {
            let fields = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            parts.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for (name, (shape, values)) in sortedTensors {
            let end = offset + values.byteCount
            let dims = shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(name)):{\"dtype\":\"\(values.dtype)\",\"shape\":[\(dims)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var text = Data(("{" + parts.joined(separator: ",") + "}").utf8)
        while (8 + text.count) % 8 != 0 { text.append(0x20) }
        return text
    }

    public func write(to url: URL) throws {
        let header = header()
        try AtomicFile.write(to: url) { handle in
            var length = UInt64(header.count).littleEndian
            try handle.write(contentsOf: Data(bytes: &length, count: 8))
            try handle.write(contentsOf: header)
            for (_, (_, values)) in sortedTensors {
                switch values {
                case .array(let values):
                    try values.withUnsafeBufferPointer { try Self.writeFloats($0, to: handle) }
                case .buffer(let floats, let owner):
                    try withExtendedLifetime(owner) { try Self.writeFloats(floats, to: handle) }
                case .int8(let values):
                    try handle.write(contentsOf: values.withUnsafeBytes { Data($0) })
                }
            }
        }
    }

    /// Little-endian float32 bytes, written in pieces so no second copy of a large tensor is made.
    private static func writeFloats(_ floats: UnsafeBufferPointer<Float>, to handle: FileHandle) throws {
        guard let base = floats.baseAddress, !floats.isEmpty else { return }
        let chunk = 1 << 20
        var start = 0
        while start < floats.count {
            let n = Swift.min(chunk, floats.count - start)
            let raw = UnsafeMutableRawPointer(mutating: base + start)
            try handle.write(contentsOf: Data(bytesNoCopy: raw, count: 4 * n, deallocator: .none))
            start += n
        }
    }
}

/// A JSON string literal for `s`.
func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
