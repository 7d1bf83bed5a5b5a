/// Why a JSON document could not be read: what was wrong, and the byte offset where it was
/// found (nil at the end of the data, which usually means truncation).
public struct JSONSyntaxError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public let offset: Int?

    public var description: String {
        "\(reason) " + (offset.map { "at byte \($0)" } ?? "at the end (truncated?)")
    }
}

/// The project's one JSON reader, for every file it reads: tokenizer files, dataset specs,
/// safetensors headers. Foundation's is slow for a 0.5 MB tokenizer.json (JSONDecoder ~100 ms,
/// JSONSerialization ~45 ms, every load), JSONSerialization on Linux drops a byte-order mark
/// that begins a string (which a vocabulary may hold), and neither says where the error is.
/// Errors are `JSONSyntaxError`s with the byte offset; callers add the file's name.
public struct JSONReader {
    private let data: [UInt8]
    private var position = 0
    private var depth = 0

    /// The document in `data`; a UTF-8 byte-order mark before it is skipped. Throws
    /// `JSONSyntaxError`.
    public static func parse(_ data: [UInt8]) throws -> JSONValue {
        var reader = JSONReader(data)
        return try reader.parseDocument()
    }

    /// Visits the members of a document that is one object, in file order and with repeated
    /// keys kept (a dictionary keeps neither): for files such as a vocabulary, where order and
    /// duplicates matter. Throws `JSONSyntaxError` or what `visit` throws.
    public static func forEachMember(of data: [UInt8], _ visit: (String, JSONValue) throws -> Void) throws {
        var reader = JSONReader(data)
        reader.skipByteOrderMark()
        reader.skipWhitespace()
        guard reader.position < data.count, data[reader.position] == UInt8(ascii: "{") else { throw reader.fail("expected '{'") }
        try reader.parseMembers(visit)
        try reader.expectEnd()
    }

    private init(_ data: [UInt8]) {
        self.data = data
    }

    private mutating func skipByteOrderMark() {
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    private mutating func parseDocument() throws -> JSONValue {
        skipByteOrderMark()
        let value = try parseValue()
        try expectEnd()
        return value
    }

    private mutating func expectEnd() throws {
        skipWhitespace()
        guard position == data.count else { throw fail("unexpected data after the JSON value") }
    }

    private func fail(_ reason: String) -> JSONSyntaxError {
        JSONSyntaxError(reason: reason, offset: position < data.count ? position : nil)
    }

    private mutating func skipWhitespace() {
        while position < data.count, data[position] == 0x20 || data[position] == 0x0A || data[position] == 0x0D || data[position] == 0x09 {
            position += 1
        }
    }

    private mutating func parseValue() throws -> JSONValue {
        skipWhitespace()
        guard position < data.count else { throw fail("expected a value") }
        switch data[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        default: return .number(try parseNumber())
        }
    }

    private mutating func expectWord(_ word: String) throws {
        let bytes = Array(word.utf8)
        guard data.count - position >= bytes.count, data[position ..< position + bytes.count].elementsEqual(bytes) else {
            throw fail("expected a value")
        }
        position += bytes.count
    }

    private mutating func nest() throws {
        depth += 1
        if depth > 256 { throw fail("nested too deeply") }
    }

    private mutating func parseObject() throws -> JSONValue {
        var object: [String: JSONValue] = [:]
        try parseMembers { key, value in object[key] = value }
        return .object(object)
    }

    /// An object's members, from its opening brace to its closing one.
    private mutating func parseMembers(_ visit: (String, JSONValue) throws -> Void) throws {
        try nest()
        defer { depth -= 1 }
        position += 1
        skipWhitespace()
        if position < data.count, data[position] == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            guard position < data.count, data[position] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard position < data.count, data[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            position += 1
            try visit(key, try parseValue())
            skipWhitespace()
            guard position < data.count else { throw fail("unterminated object") }
            let separator = data[position]
            position += 1
            if separator == UInt8(ascii: "}") { return }
            guard separator == UInt8(ascii: ",") else { position -= 1; throw fail("expected ',' or '}'") }
        }
    }

    private mutating func parseArray() throws -> JSONValue {
        try nest()
        defer { depth -= 1 }
        position += 1
        var array: [JSONValue] = []
        skipWhitespace()
        if position < data.count, data[position] == UInt8(ascii: "]") {
            position += 1
            return .array(array)
        }
        while true {
            array.append(try parseValue())
            skipWhitespace()
            guard position < data.count else { throw fail("unterminated list") }
            let separator = data[position]
            position += 1
            if separator == UInt8(ascii: "]") { return .array(array) }
            guard separator == UInt8(ascii: ",") else { position -= 1; throw fail("expected ',' or ']'") }
        }
    }

    private mutating func parseNumber() throws -> Double {
        let start = position
        if position < data.count, data[position] == UInt8(ascii: "-") { position += 1 }
        var integer = 0.0, digits = 0
        while position < data.count, data[position] >= 0x30, data[position] <= 0x39 {
            integer = integer * 10 + Double(data[position] - 0x30)
            digits += 1
            position += 1
        }
        guard digits > 0 else { position = start; throw fail("expected a value") }
        if digits > 1, data[position - digits] == UInt8(ascii: "0") {
            position -= digits
            throw fail("a number with a leading zero")
        }
        let isPlainInteger = position >= data.count || !(data[position] == UInt8(ascii: ".") || data[position] | 0x20 == UInt8(ascii: "e"))
        if isPlainInteger && digits < 16 { return data[start] == UInt8(ascii: "-") ? -integer : integer }
        while position < data.count, let c = Optional(data[position]),
              (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: ".") || c | 0x20 == UInt8(ascii: "e") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
            position += 1
        }
        guard let value = Double(String(decoding: data[start ..< position], as: UTF8.self)) else {
            position = start
            throw fail("malformed number")
        }
        return value
    }

    /// A string starting at the opening quote; plain runs are copied as they are.
    private mutating func parseString() throws -> String {
        position += 1
        var bytes: [UInt8] = []
        var runStart = position
        while true {
            guard position < data.count else { throw fail("unterminated string") }
            let b = data[position]
            if b == UInt8(ascii: "\"") {
                bytes += data[runStart ..< position]
                position += 1
                break
            }
            if b < 0x20 { throw fail("control character in string") }
            if b != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            bytes += data[runStart ..< position]
            position += 1
            guard position < data.count else { throw fail("unterminated escape") }
            let c = data[position]
            position += 1
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(c)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if (0xD800 ..< 0xDC00).contains(scalar) {
                    guard data.count - position >= 6, data[position] == UInt8(ascii: "\\"), data[position + 1] == UInt8(ascii: "u") else {
                        throw fail("lone high surrogate")
                    }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00 ..< 0xE000).contains(low) else { throw fail("bad surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00 ..< 0xE000).contains(scalar) {
                    throw fail("lone low surrogate")
                }
                guard let character = Unicode.Scalar(scalar) else { throw fail("bad \\u escape") }
                bytes += Array(String(character).utf8)
            default:
                position -= 1
                throw fail("unknown escape")
            }
            runStart = position
        }
        guard let string = String(validating: bytes, as: UTF8.self) else { throw fail("invalid UTF-8 in string") }
        return string
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard data.count - position >= 4 else { throw fail("truncated \\u escape") }
        guard let value = jsonHex4(data, at: position) else { throw fail("bad hex digit in \\u escape") }
        position += 4
        return value
    }
}

/// The value of the four hex digits of a JSON `\\uXXXX` escape at `data[position...]` (which
/// holds at least four bytes), or nil if one is not a hex digit.
private func jsonHex4(_ data: [UInt8], at position: Int) -> UInt32? {
    var value: UInt32 = 0
    for c in data[position ..< position + 4] {
        let digit: UInt32
        switch c {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A")) + 10
        default: return nil
        }
        value = value << 4 | digit
    }
    return value
}
