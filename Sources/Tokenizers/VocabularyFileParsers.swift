/// Byte-level parsers for the three vocabulary file formats. They are hand-written because the
/// files are simple and Foundation's JSON parser takes ~75 ms for encoder.json, which every
/// `textclf tokenize` would pay; these take a few. Each failure names the file and the place.
enum VocabularyFileParsers {
    struct Merge {
        var left: [UInt8]
        var right: [UInt8]
        var line: Int
    }

    /// encoder.json / vocab.json: one flat JSON object, token spelling → id. Returns each
    /// token's bytes (spelling read through GPT-2's byte alphabet) with its id, in file order.
    static func parseEncoderJSON(_ data: [UInt8], file: String) throws -> [(bytes: [UInt8], id: Int)] {
        var parser = FlatJSONParser(data: data, file: file)
        return try parser.parseObject()
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

/// Just enough JSON for `{"spelling": id, ...}`: strings with all JSON escapes, non-negative
/// integers, whitespace. Anything else is an error naming the byte offset.
private struct FlatJSONParser {
    let data: [UInt8]
    let file: String
    var position = 0

    init(data: [UInt8], file: String) {
        self.data = data
        self.file = file
    }

    func fail(_ reason: String) -> TokenizerFileError {
        let at = position < data.count ? "at byte \(position)" : "at the end (truncated?)"
        return TokenizerFileError(file: file, "\(reason) \(at)")
    }

    mutating func skipWhitespace() {
        while position < data.count, [0x20, 0x0A, 0x0D, 0x09].contains(data[position]) { position += 1 }
    }

    mutating func expect(_ byte: UInt8) throws {
        skipWhitespace()
        guard position < data.count, data[position] == byte else {
            throw fail("expected '\(Character(Unicode.Scalar(byte)))'")
        }
        position += 1
    }

    mutating func parseObject() throws -> [(bytes: [UInt8], id: Int)] {
        var entries: [(bytes: [UInt8], id: Int)] = []
        entries.reserveCapacity(50_257)
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if position < data.count, data[position] == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                try expect(UInt8(ascii: "\""))
                let bytes = try parseStringBody()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                entries.append((bytes, try parseInteger()))
                skipWhitespace()
                guard position < data.count else { throw fail("unterminated object") }
                let separator = data[position]
                position += 1
                if separator == UInt8(ascii: "}") { break }
                guard separator == UInt8(ascii: ",") else { position -= 1; throw fail("expected ',' or '}'") }
            }
        }
        skipWhitespace()
        guard position == data.count else { throw fail("unexpected data after the object") }
        if entries.isEmpty { throw TokenizerFileError(file: file, "holds no tokens") }
        return entries
    }

    mutating func parseInteger() throws -> Int {
        let start = position
        while position < data.count, data[position] >= 0x30, data[position] <= 0x39 { position += 1 }
        guard let value = VocabularyFileParsers.parseInt(data[start ..< position]) else {
            position = start
            throw fail("expected a non-negative integer id")
        }
        return value
    }

    /// Reads a string whose opening quote was consumed, mapping each character through the
    /// byte alphabet.
    mutating func parseStringBody() throws -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            guard position < data.count else { throw fail("unterminated string") }
            let b = data[position]
            let scalar: UInt32
            if b == UInt8(ascii: "\"") {
                position += 1
                return bytes
            } else if b == UInt8(ascii: "\\") {
                scalar = try parseEscape()
            } else if b < 0x20 {
                throw fail("control character in string")
            } else if b < 0x80 {
                scalar = UInt32(b)
                position += 1
            } else {
                scalar = try parseUTF8Scalar()
            }
            guard let byte = ByteLevelAlphabet.byte(for: scalar) else {
                throw fail("character U+\(String(scalar, radix: 16, uppercase: true)) is not in GPT-2's byte alphabet")
            }
            bytes.append(byte)
        }
    }

    mutating func parseEscape() throws -> UInt32 {
        position += 1
        guard position < data.count else { throw fail("unterminated escape") }
        let c = data[position]
        position += 1
        switch c {
        case UInt8(ascii: "\""): return 0x22
        case UInt8(ascii: "\\"): return 0x5C
        case UInt8(ascii: "/"): return 0x2F
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        case UInt8(ascii: "u"):
            let high = try parseHex4()
            guard (0xD800 ..< 0xDC00).contains(high) else {
                guard !(0xDC00 ..< 0xE000).contains(high) else { throw fail("lone low surrogate") }
                return high
            }
            guard position + 1 < data.count, data[position] == UInt8(ascii: "\\"), data[position + 1] == UInt8(ascii: "u") else {
                throw fail("lone high surrogate")
            }
            position += 2
            let low = try parseHex4()
            guard (0xDC00 ..< 0xE000).contains(low) else { throw fail("bad surrogate pair") }
            return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        default:
            position -= 1
            throw fail("unknown escape")
        }
    }

    mutating func parseHex4() throws -> UInt32 {
        guard position + 4 <= data.count else { throw fail("truncated \\u escape") }
        guard let value = jsonHex4(data, at: position) else { throw fail("bad hex digit in \\u escape") }
        position += 4
        return value
    }

    mutating func parseUTF8Scalar() throws -> UInt32 {
        var decoder = UTF8()
        var iterator = data[position...].makeIterator()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { throw fail("invalid UTF-8") }
        position += UTF8.width(scalar)
        return scalar.value
    }
}
