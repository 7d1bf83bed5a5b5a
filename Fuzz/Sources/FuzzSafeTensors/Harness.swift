// safetensors: any bytes must give a file whose every tensor reads back with as many values as
// its shape says, or a TensorFileError naming the file (and tensor).
@testable import TensorEngine
import FuzzSupport

let path = "/fuzz/model.safetensors"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let file = expectingInputError(naming: path, { try SafeTensorsFile(bytes: bytes, path: path) }) else { return 0 }
    require(file.names == file.names.sorted(), "names are not sorted")
    for name in file.names {
        guard let info = file.info(name) else { violated("listed tensor \(name) has no info") }
        require(info.shape.allSatisfy { $0 >= 0 }, "negative dimension in \(info.shape)")
        if let tensor = expectingInputError(naming: path, { try file.floats(name) }) {
            require(tensor.count == info.elementCount, "\(name): \(tensor.count) floats for shape \(info.shape)")
            require(tensor.shape == info.shape, "\(name): shape \(tensor.shape), info says \(info.shape)")
            var sum: Float = 0
            for value in tensor.floats { sum += value }  // every value is readable
            _ = sum
        }
        if let values = expectingInputError(naming: path, { try file.int64s(name) }) {
            require(values.count == info.elementCount, "\(name): \(values.count) integers for shape \(info.shape)")
        }
    }
    return 0
}
