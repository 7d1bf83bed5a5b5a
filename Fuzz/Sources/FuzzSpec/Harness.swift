// Dataset spec JSON: any bytes must give a SpecDataset or a DatasetSpecError naming the spec
// file. A spec that parses is then used to read a small fixed CSV file, which must give a
// dataset or an input error (never a crash).
import Common
import Datasets
import Foundation
import FuzzSupport

let specPath = "/fuzz-spec/tickets.json"

/// A table with the columns the seed specs name (Examples/custom-dataset's tickets).
let tablePath: String = {
    let text = """
    id,subject,body,queue,text,label
    1,"Refund, please","I was charged twice",billing,hello,spam
    2,Crash,"The app crashes
    on start",bug,world,ham
    3,How to?,Where is the export button,question,"a ""quoted"" text",ham
    4,Invoice,Need an invoice,billing,x,spam

    """
    return Array(text.utf8).withUnsafeBufferPointer { writeScratchFile("table.csv", $0) }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let json = Data(bytes: data, count: size)
    guard let spec = expectingInputError(naming: specPath, { try SpecDataset(json: json, specFile: URL(fileURLWithPath: specPath)) }) else {
        return 0
    }
    require(!spec.name.isEmpty, "an empty dataset name")
    _ = spec.source
    _ = spec.layout.makeText(["first", "second"])
    let file = TableFile(split: "all", path: URL(fileURLWithPath: tablePath))
    do {
        let dataset = try spec.layout.read([file], dataset: spec.name)
        _ = dataset
    } catch {
        guard error is any InputError else { violated("reading the table gave a non-input error: \(type(of: error)): \(error)") }
    }
    return 0
}
