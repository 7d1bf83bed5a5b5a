import Foundation

/// Any JSON value. Tokenizer files are read with JSONDecoder rather than JSONSerialization,
/// which on Linux drops a byte-order mark that begins a string — a vocabulary may hold one.
enum JSONValue: Decodable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

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
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(data))
        } catch {
            throw TokenizerFileError(file: url.path, "is not valid JSON (\(Self.describe(error)))")
        }
        guard case .object(let object) = value else { throw TokenizerFileError(file: url.path, "is not a JSON object") }
        self.init(object, file: url.path)
    }

    private static func describe(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
        }
        return "\(error)"
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

    /// A token given as a string or as an AddedToken object `{"content": ...}`.
    func tokenName(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard let name = Self.tokenName(value) else { throw error("\(key) is not a token") }
        return name
    }

    static func tokenName(_ value: JSONValue) -> String? {
        if let string = value.string { return string }
        if case .object(let object) = value { return object["content"]?.string }
        return nil
    }
}
