/// Splits a byte stream into records of fields, working on UTF-8 bytes in large chunks (no
/// per-Character work, no whole-file String). One record at a time lands in `bytes`, its fields
/// back to back, with `fieldEnds[k]` the end offset of field k. Quotes are already undone.
///
/// Line ends are LF, CRLF or a lone CR (as Python's csv module with `newline=""`); blank lines
/// are skipped; a UTF-8 byte-order mark at the start is dropped.
final class RecordParser {
    private static let lf: UInt8 = 0x0A, cr: UInt8 = 0x0D, quote: UInt8 = 0x22

    private enum State { case fieldStart, unquoted, quoted, afterClosingQuote }

    let location: DataLocation
    private let stream: ByteStream
    private let delimiter: UInt8
    private let quoting: Bool

    private let chunk: UnsafeMutableRawBufferPointer
    private var position = 0, end = 0, atEnd = false
    /// True once a CR ended a record: an LF right after it belongs to the same line end.
    private var skipLineFeed = false

    /// The current record: its fields' bytes back to back, and where each field ends.
    private(set) var bytes: [UInt8] = []
    private(set) var fieldEnds: [Int] = []
    /// 1-based line the current record starts on.
    private(set) var recordLine = 0
    /// Records read so far, the header included.
    private(set) var recordCount = 0
    /// 1 if the first record is a header, so data rows are numbered from the record after it.
    var headerRecords = 0
    /// 1-based data row number of the current record (0 for the header).
    var row: Int { recordCount - headerRecords }
    /// 1-based line of the read position.
    private var line = 1
    /// Whether the stream held any bytes at all (to tell an empty file from a blank one).
    private(set) var sawBytes = false

    init(stream: ByteStream, delimiter: UInt8, quoting: Bool, chunkSize: Int = 1 << 18) throws {
        self.stream = stream
        self.location = stream.location
        self.delimiter = delimiter
        self.quoting = quoting
        chunk = .allocate(byteCount: chunkSize, alignment: 16)
        bytes.reserveCapacity(1 << 16)
        // The byte-order mark may arrive split over reads from a trickling stream.
        while end < 3, !atEnd {
            let n = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[end...]))
            if n == 0 { atEnd = true } else { end += n }
        }
        sawBytes = end > 0
        if end >= 3, chunk[0] == 0xEF, chunk[1] == 0xBB, chunk[2] == 0xBF { position = 3 }
    }

    deinit { chunk.deallocate() }

    var fieldCount: Int { fieldEnds.count }

    /// Calls `body` with the bytes of field `index` of the current record.
    @inline(__always)
    func withField<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = index == 0 ? 0 : fieldEnds[index - 1]
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<fieldEnds[index]])) }
    }

    private func refill() throws -> Bool {
        if atEnd { return false }
        let n = try stream.read(into: chunk)
        position = 0
        end = n
        if n == 0 { atEnd = true }
        sawBytes = sawBytes || n > 0
        return n > 0
    }

    /// Reads the next record; false at the end of the input.
    func next() throws -> Bool {
        let found = try parseRecord()
        if found { recordCount += 1 }
        return found
    }

    private func parseRecord() throws -> Bool {
        bytes.removeAll(keepingCapacity: true)
        fieldEnds.removeAll(keepingCapacity: true)
        var state = State.fieldStart
        var started = false
        var quoteLine = 0
        let base = chunk.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let delimiter = self.delimiter, lf = Self.lf, cr = Self.cr, quote = Self.quote

        while true {
            if position == end, try !refill() {
                switch state {
                case .quoted:
                    let row = recordCount + 1 - headerRecords
                    throw ReadError(.unterminatedQuote, location, line: recordLine, row: row > 0 ? row : nil,
                                    "the quoted field opened on line \(quoteLine) never closes (a stray \" in the data? then read it with quoting .none)")
                case .fieldStart where !started:
                    return false
                default:
                    fieldEnds.append(bytes.count)
                    return true
                }
            }
            if skipLineFeed {
                skipLineFeed = false
                if base[position] == lf { position += 1; continue }
            }
            switch state {
            case .fieldStart:
                let c = base[position]
                if !started {
                    if c == lf || c == cr {  // a blank line
                        position += 1
                        line += 1
                        skipLineFeed = c == cr
                        continue
                    }
                    started = true
                    recordLine = line
                }
                if quoting, c == quote {
                    position += 1
                    quoteLine = line
                    state = .quoted
                } else {
                    state = .unquoted
                }
            case .unquoted:
                var j = position
                while j < end {
                    let c = base[j]
                    if c == delimiter || c == lf || c == cr { break }
                    j += 1
                }
                bytes.append(contentsOf: UnsafeBufferPointer(start: base + position, count: j - position))
                position = j
                if j == end { continue }
                let c = base[j]
                position += 1
                fieldEnds.append(bytes.count)
                if c == delimiter {
                    state = .fieldStart
                    continue
                }
                line += 1
                skipLineFeed = c == cr
                return true
            case .quoted:
                var j = position, newlines = 0
                while j < end {
                    let c = base[j]
                    if c == quote { break }
                    if c == lf { newlines += 1 }
                    j += 1
                }
                bytes.append(contentsOf: UnsafeBufferPointer(start: base + position, count: j - position))
                line += newlines
                position = j
                if j < end {
                    position += 1
                    state = .afterClosingQuote
                }
            case .afterClosingQuote:
                let c = base[position]
                if c == quote {  // a doubled quote stands for one
                    bytes.append(quote)
                    position += 1
                    state = .quoted
                } else if c == delimiter {
                    position += 1
                    fieldEnds.append(bytes.count)
                    state = .fieldStart
                } else if c == lf || c == cr {
                    position += 1
                    fieldEnds.append(bytes.count)
                    line += 1
                    skipLineFeed = c == cr
                    return true
                } else {
                    state = .unquoted  // lenient, as Python's csv: `"ab"c` reads as `abc`
                }
            }
        }
    }
}
