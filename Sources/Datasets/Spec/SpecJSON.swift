import Common
import DataIO
import Foundation

/// A dataset spec file is malformed: names the file and the key at fault.
public struct DatasetSpecError: InputError, Equatable {
    public let file: String
    /// Dotted key path ("splits.ratios.train"), or nil for the document as a whole.
    public let key: String?
    public let problem: String

    public init(file: String, key: String?, _ problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }

    public var description: String {
        ("dataset spec \(file): " + (key.map { "key '\($0)': " } ?? "") + problem).escapingLineBreaks
    }
}

/// One JSON object of a spec, with typed accessors whose errors name the file and key path.
/// `null` counts as absent.
struct SpecObject {
    let fields: [String: JSONValue]
    let file: String
    /// "" at the top level, else "splits." etc.
    let prefix: String

    static func parse(_ data: Data, file: String) throws -> SpecObject {
        let value: JSONValue
        do { value = try JSONReader.parse([UInt8](data)) } catch {
            throw DatasetSpecError(file: file, key: nil, "not valid JSON: \(error)")
        }
        guard case .object(let fields) = value else {
            throw DatasetSpecError(file: file, key: nil, "the top level must be a JSON object, not \(value.typeName)")
        }
        return SpecObject(fields: fields, file: file, prefix: "")
    }

    func error(_ key: String, _ problem: String) -> DatasetSpecError {
        DatasetSpecError(file: file, key: prefix + key, problem)
    }

    func checkKeys(_ allowed: [String]) throws {
        for key in fields.keys.sorted() where !allowed.contains(key) {
            let closest = allowed.map { (name: $0, distance: editDistance($0, key)) }.min { $0.distance < $1.distance }
            let hint = closest.map { $0.distance <= 2 ? " (did you mean '\(prefix)\($0.name)'?)" : "" } ?? ""
            throw error(key, "unknown key\(hint); allowed here: \(allowed.joined(separator: ", "))")
        }
    }

    func value(_ key: String) -> JSONValue? {
        guard let value = fields[key] else { return nil }
        if case .null = value { return nil }
        return value
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw error(key, "expected a string, got \(value.typeName) \(value.shown)") }
        return text
    }

    func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw error(key, "is required (a string)") }
        return text
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw error(key, "expected true or false, got \(value.typeName) \(value.shown)") }
        return flag
    }

    func number(_ key: String) throws -> Double? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value else { throw error(key, "expected a number, got \(value.typeName) \(value.shown)") }
        return number
    }

    /// A whole number in `range`.
    func integer(_ key: String, in range: ClosedRange<Double>) throws -> Int? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value, number == number.rounded(), range.contains(number) else {
            throw error(key, "expected a whole number from \(Int(range.lowerBound)) to \(Int(range.upperBound)), got \(value.typeName) \(value.shown)")
        }
        return Int(number)
    }

    func object(_ key: String) throws -> SpecObject? {
        guard let value = value(key) else { return nil }
        guard case .object(let fields) = value else { throw error(key, "expected an object, got \(value.typeName) \(value.shown)") }
        return SpecObject(fields: fields, file: file, prefix: prefix + key + ".")
    }

    /// One of `choices`.
    func choice(_ key: String, _ choices: [String]) throws -> String? {
        guard let text = try string(key) else { return nil }
        guard choices.contains(text) else {
            throw error(key, "\"\(text)\" is not one of \(choices.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        return text
    }

    /// A column (a header name or a 0-based index), or a non-empty array of them.
    func columns(_ key: String) throws -> [CSVColumn]? {
        guard let value = value(key) else { return nil }
        func column(_ value: JSONValue, _ where_: String) throws -> CSVColumn {
            switch value {
            case .string(let name) where !name.isEmpty: return .name(name)
            case .number(let index) where index == index.rounded() && index >= 0 && index < 1e6: return .index(Int(index))
            default: throw error(key, "expected a column name or a 0-based column index\(where_), got \(value.typeName) \(value.shown)")
            }
        }
        if case .array(let items) = value {
            guard !items.isEmpty else { throw error(key, "expected at least one column") }
            return try items.enumerated().map { try column($1, " at position \($0)") }
        }
        return [try column(value, "")]
    }

    func stringArray(_ key: String) throws -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw error(key, "expected an array of strings, got \(value.typeName) \(value.shown)") }
        return try items.enumerated().map { index, item in
            guard case .string(let text) = item else { throw error("\(key)[\(index)]", "expected a string, got \(item.typeName) \(item.shown)") }
            return text
        }
    }

    func stringMap(_ key: String) throws -> [String: String]? {
        guard let value = value(key) else { return nil }
        guard case .object(let items) = value else { throw error(key, "expected an object of strings, got \(value.typeName) \(value.shown)") }
        var map: [String: String] = [:]
        for (name, item) in items {
            guard case .string(let text) = item else { throw error("\(key).\(name)", "expected a string, got \(item.typeName) \(item.shown)") }
            map[name] = text
        }
        return map
    }
}

/// Edit distance counting a swap of neighbours as one edit ("lables" is one from "labels"),
/// for "did you mean" hints on misspelt keys.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0 ... a.count { d[i][0] = i }
    for j in 0 ... b.count { d[0][j] = j }
    for i in 1 ... a.count {
        for j in 1 ... b.count {
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
        }
    }
    return d[a.count][b.count]
}
