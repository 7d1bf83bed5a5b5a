import Common
import Foundation

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
        try self.init(parsing: BytePairVocabulary.readFile(url), file: url.path)
    }

    /// The object in `data`, read as the file `file` (named in errors).
    init(parsing data: [UInt8], file: String) throws {
        let value: JSONValue
        do { value = try JSONReader.parse(data) } catch {
            throw TokenizerFileError(file: file, "is not valid JSON: \(error)")
        }
        guard case .object(let object) = value else { throw TokenizerFileError(file: file, "is not a JSON object") }
        self.init(object, file: file)
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
