import Common

/// Parsers for the three vocabulary file formats: encoder.json through the project's
/// `JSONReader` (Foundation's takes ~75 ms for it, which every `textclf tokenize` would pay),
/// the two line formats by hand. Each failure names the file and the place.
enum VocabularyFileParsers {
    struct Merge {
        var left: [UInt8]
        var right: [UInt8]
        var line: Int
    }

    /// encoder.json / vocab.json: one flat JSON object, token spelling → id. Returns each
    /// token's bytes (spelling read through GPT-2's byte alphabet) with its id, in file order.
    static func parseEncoderJSON(_ data: [UInt8], file: String) throws -> [(bytes: [UInt8], id: Int)] {
        var entries: [(bytes: [UInt8], id: Int)] = []
        entries.reserveCapacity(50_257)
        do {
            try JSONReader.forEachMember(of: data) { spelling, value in
                guard let id = value.int, id >= 0 else {
                    throw TokenizerFileError(file: file, "token \(JSONValue.string(spelling).shown) has id \(value.shown); expected a non-negative integer id")
                }
                entries.append((try alphabetBytes(spelling, file: file), id))
            }
        } catch let error as JSONSyntaxError {
            throw TokenizerFileError(file: file, "is not valid JSON: \(error)")
        }
        if entries.isEmpty { throw TokenizerFileError(file: file, "holds no tokens") }
        return entries
    }

    /// A vocabulary key in GPT-2's byte alphabet → the bytes it spells.
    private static func alphabetBytes(_ spelling: String, file: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(spelling.utf8.count)
        for scalar in spelling.unicodeScalars {
            guard let b = ByteLevelAlphabet.byte(for: scalar.value) else {
                throw TokenizerFileError(file: file, "token \(JSONValue.string(spelling).shown): character U+\(String(scalar.value, radix: 16, uppercase: true)) is not in GPT-2's byte alphabet")
            }
            bytes.append(b)
        }
        return bytes
    }

    /// vocab.bpe / merges.txt: an optional `#version` line, then one `left right` pair per line.
    static func parseMerges(_ data: [UInt8], file: String) throws -> [Merge] {
        var merges: [Merge] = []
        merges.reserveCapacity(50_000)
        var lineNumber = 0
        for rawLine in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine[...]
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty || (lineNumber == 1 && line.first == UInt8(ascii: "#")) { continue }
            let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerFileError(file: file, line: lineNumber, "expected two tokens separated by one space")
            }
            merges.append(Merge(left: try alphabetBytes(parts[0], file: file, line: lineNumber),
                                right: try alphabetBytes(parts[1], file: file, line: lineNumber),
                                line: lineNumber))
        }
        return merges
    }

    /// A `.tiktoken` file: `base64-bytes rank` per line; ranks must be 0..<n, each once.
    static func parseTiktoken(_ data: [UInt8], file: String) throws -> [[UInt8]] {
        var byRank: [[UInt8]?] = []
        byRank.reserveCapacity(50_257)
        var lineNumber = 0
        var count = 0
        for rawLine in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine[...]
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty { continue }
            let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
            guard parts.count == 2, let bytes = decodeBase64(parts[0]), !bytes.isEmpty,
                  let rank = parseInt(parts[1]), rank >= 0, rank < 10_000_000 else {
                throw TokenizerFileError(file: file, line: lineNumber, "expected `base64-token rank`")
            }
            if rank >= byRank.count { byRank.append(contentsOf: repeatElement(nil, count: rank + 1 - byRank.count)) }
            if byRank[rank] != nil { throw TokenizerFileError(file: file, line: lineNumber, "rank \(rank) appears twice") }
            byRank[rank] = bytes
            count += 1
        }
        if count == 0 { throw TokenizerFileError(file: file, "holds no tokens") }
        var tokens: [[UInt8]] = []
        tokens.reserveCapacity(byRank.count)
        for (rank, bytes) in byRank.enumerated() {
            guard let bytes else { throw TokenizerFileError(file: file, "no token has rank \(rank); ranks must run from 0 without gaps") }
            tokens.append(bytes)
        }
        return tokens
    }

    /// UTF-8 text in GPT-2's byte alphabet → the bytes it spells.
    static func alphabetBytes(_ text: ArraySlice<UInt8>, file: String, line: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var decoder = UTF8()
        var iterator = text.makeIterator()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                guard let b = ByteLevelAlphabet.byte(for: scalar.value) else {
                    throw TokenizerFileError(file: file, line: line, "character U+\(String(scalar.value, radix: 16, uppercase: true)) is not in GPT-2's byte alphabet")
                }
                bytes.append(b)
            case .emptyInput:
                return bytes
            case .error:
                throw TokenizerFileError(file: file, line: line, "invalid UTF-8")
            }
        }
    }

    static func parseInt(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count < 19 else { return nil }
        var value = 0
        for d in digits {
            guard d >= 0x30, d <= 0x39 else { return nil }
            value = value * 10 + Int(d - 0x30)
        }
        return value
    }

    static func decodeBase64(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for c in text {
            let value: UInt32
            switch c {
            case UInt8(ascii: "A") ... UInt8(ascii: "Z"): value = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a") ... UInt8(ascii: "z"): value = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): value = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="): padding += 1; continue
            default: return nil
            }
            if padding > 0 { return nil }  // data after padding
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return padding <= 2 ? out : nil
    }
}
