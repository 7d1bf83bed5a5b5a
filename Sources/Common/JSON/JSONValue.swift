/// Any JSON value, as `JSONReader` reads it. Strict: `true` is never a number and `1` never a
/// boolean. Numbers are doubles; whole numbers up to 2^53 are exact.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// A whole number below 2^53 in magnitude: larger ones may have been rounded on reading.
    public var int: Int? {
        guard case .number(let value) = self, value.rounded() == value, value.magnitude < 0x1p53 else { return nil }
        return Int(value)
    }

    /// "a string", "an object", ... for messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Short rendering for messages: `"0.8"`, `true`, `[...]`.
    public var shown: String {
        switch self {
        case .null: "null"
        case .bool(let value): String(value)
        case .number(let value): value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case .string(let value): "\"\(value)\""
        case .array: "[...]"
        case .object: "{...}"
        }
    }
}
