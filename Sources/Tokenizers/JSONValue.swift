import Foundation

/// Any JSON value, as `JSONParser` reads it.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// A number that is a whole number.
    var int: Int? {
        guard case .number(let value) = self, value.rounded() == value, abs(value) < 1e15 else { return nil }
        return Int(value)
    }
}

/// A JSON object read from a file, with typed lookups whose errors name the file and key.
struct JSONFile {
    let dictionary: [String: JSONValue]
    let file: String

    init(_ dictionary: [String: JSONValue], file: String) {
        self.dictionary = dictionary
        self.file = file
    }

    /// The object in `url`, or nil when there is no such file.
    init?(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data = try BytePairVocabulary.readFile(url)
        var parser = JSONParser(data: data, file: url.path)
        let value = try parser.parseDocument()
        guard case .object(let object) = value else { throw TokenizerFileError(file: url.path, "is not a JSON object") }
        self.init(object, file: url.path)
    }

    func error(_ reason: String) -> TokenizerFileError { TokenizerFileError(file: file, reason) }

    private func value(_ key: String) -> JSONValue? {
        guard let value = dictionary[key] else { return nil }
        if case .null = value { return nil }
        return value
    }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.string else { throw error("\(key) is not a string") }
        return string
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let bool) = value else { throw error("\(key) is not true or false") }
        return bool
    }

    func number(_ key: String) throws -> Double? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value else { throw error("\(key) is not a number") }
        return number
    }

    func object(_ key: String) throws -> JSONFile? {
        guard let value = value(key) else { return nil }
        guard case .object(let object) = value else { throw error("\(key) is not an object") }
        return JSONFile(object, file: file)
    }

    func array(_ key: String) throws -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .array(let array) = value else { throw error("\(key) is not a list") }
        return array
    }

    /// A special token given as a string or as an AddedToken object `{"content": ...}`.
    func tokenName(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        return try tokenName(value, what: key)
    }

    /// The token's text; an AddedToken that strips spaces, matches single words only or is
    /// matched after normalization is refused, as textclf does not implement those.
    func tokenName(_ value: JSONValue, what: String) throws -> String {
        if let string = value.string { return string }
        guard case .object(let object) = value, let content = object["content"]?.string else { throw error("\(what) is not a token") }
        for flag in ["lstrip", "rstrip", "single_word", "normalized"] {
            if case .bool(true)? = object[flag] {
                throw error("\(what) is a token (\(content)) with \(flag) set, which textclf does not support")
            }
        }
        return content
    }
}

/// A small JSON reader for tokenizer files. Foundation's is slow for a 0.5 MB tokenizer.json
/// (JSONDecoder ~100 ms, JSONSerialization ~45 ms, every load) and JSONSerialization on Linux
/// drops a byte-order mark that begins a string, which a vocabulary may hold. Errors name the
/// file and byte offset.
struct JSONParser {
    let data: [UInt8]
    let file: String
    var position = 0
    var depth = 0

    init(data: [UInt8], file: String) {
        self.data = data
        self.file = file
    }

    mutating func parseDocument() throws -> JSONValue {
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }  // a BOM before the document
        let value = try parseValue()
        skipWhitespace()
        guard position == data.count else { throw fail("unexpected data after the JSON value") }
        return value
    }

    private func fail(_ reason: String) -> TokenizerFileError {
        let at = position < data.count ? "at byte \(position)" : "at the end (truncated?)"
        return TokenizerFileError(file: file, "is not valid JSON: \(reason) \(at)")
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
        try nest()
        defer { depth -= 1 }
        position += 1
        var object: [String: JSONValue] = [:]
        skipWhitespace()
        if position < data.count, data[position] == UInt8(ascii: "}") {
            position += 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard position < data.count, data[position] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard position < data.count, data[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            position += 1
            object[key] = try parseValue()
            skipWhitespace()
            guard position < data.count else { throw fail("unterminated object") }
            let separator = data[position]
            position += 1
            if separator == UInt8(ascii: "}") { return .object(object) }
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
/// holds at least four bytes), or nil if one is not a hex digit. Shared by the JSON readers.
func jsonHex4(_ data: [UInt8], at position: Int) -> UInt32? {
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
