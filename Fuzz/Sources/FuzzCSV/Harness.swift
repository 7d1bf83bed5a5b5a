// CSV/TSV reader: any bytes, under formats picked by the first byte, must give rows of the
// selected width or a ReadError naming the file; a stream that delivers the bytes a few at a
// time must give exactly what one big read gives (chunk-boundary handling).
import DataIO
import FuzzSupport

let fileName = "fuzz.csv"

enum Outcome: Equatable {
    case rows([[String]], skipped: Int, lines: [Int])
    case failed(String)
}

func read(_ stream: ByteStream, format: CSVFormat) -> Outcome {
    do {
        let reader = try CSVReader(stream, format: format)
        require(reader.columnIndices.count == reader.fieldCount, "all columns picked, but \(reader.columnIndices) of \(reader.fieldCount)")
        if let header = reader.header { require(header.count >= 1, "an empty header") }
        var rows: [[String]] = []
        var lines: [Int] = []
        while let row = try reader.next() {
            require(row.count == reader.columnIndices.count, "a row of \(row.count) values, \(reader.columnIndices.count) columns")
            require(reader.line >= 1 && reader.row >= 1, "line \(reader.line), row \(reader.row)")
            rows.append(row)
            lines.append(reader.line)
        }
        require(reader.skipped.count == min(reader.skippedCount, CSVReader.skippedDetailLimit), "skipped list and count disagree")
        return .rows(rows, skipped: reader.skippedCount, lines: lines)
    } catch {
        checkInputError(error, naming: fileName)
        return .failed("\(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let options = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    var format = CSVFormat.csv
    format.delimiter = [",", "\t", ";", "|"][Int(options & 3)]
    format.quoting = options & 4 == 0 ? .rfc4180 : .none
    format.hasHeader = options & 8 == 0
    format.invalidUTF8 = options & 16 == 0 ? .fail : .replace
    format.wrongFieldCount = options & 32 == 0 ? .fail : .skip
    format.fieldCount = options & 64 == 0 ? nil : 2
    let step = options & 128 == 0 ? 1 : 3

    let whole = read(MemoryByteStream(bytes, location: DataLocation(file: fileName)), format: format)
    let trickled = read(MemoryByteStream(bytes, location: DataLocation(file: fileName), maxRead: step), format: format)
    require(whole == trickled, "reading \(step) bytes at a time gives \(trickled), one read gives \(whole)")
    return 0
}
