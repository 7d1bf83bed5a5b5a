// The body of POST /v1/classify: {"text": "..."} or {"texts": ["...", ...]}, checked member by
// member so that an error names the JSON path at fault.
import Foundation

struct ClassifyRequest: Equatable {
    let texts: [String]
    /// `{"text": ...}`: answered with one result object rather than `{"results": [...]}`.
    let single: Bool

    /// 400 for malformed JSON, a wrong type, a missing or unknown member; 422 for an empty list
    /// or a value over `limits` (texts per request, code points per text).
    static func parse(_ body: Data, limits: ServeLimits) throws(ServeError) -> ClassifyRequest {
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) } catch {
            throw .badRequest("the body is not valid JSON\(reason(error))", at: "$")
        }
        guard let object = root as? [String: Any] else {
            throw .badRequest("expected an object with \"text\" or \"texts\", found \(typeName(root))", at: "$")
        }
        if let unknown = object.keys.sorted().first(where: { $0 != "text" && $0 != "texts" }) {
            throw .badRequest("unknown member (expected \"text\" or \"texts\")", at: member(unknown))
        }
        switch (object["text"], object["texts"]) {
        case (let value?, nil):
            guard let text = string(value) else { throw .badRequest("expected a string, found \(typeName(value))", at: "$.text") }
            try check(text, at: "$.text", limits: limits)
            return ClassifyRequest(texts: [text], single: true)
        case (nil, let value?):
            guard let array = value as? [Any] else { throw .badRequest("expected an array of strings, found \(typeName(value))", at: "$.texts") }
            var texts: [String] = []
            texts.reserveCapacity(array.count)
            for (index, element) in array.enumerated() {
                guard let text = string(element) else {
                    throw .badRequest("expected a string, found \(typeName(element))", at: "$.texts[\(index)]")
                }
                texts.append(text)
            }
            guard !texts.isEmpty else { throw .unprocessable("no texts", at: "$.texts") }
            guard texts.count <= limits.maxTextsPerRequest else {
                throw .unprocessable("\(texts.count) texts, more than the \(limits.maxTextsPerRequest) a request may hold", at: "$.texts")
            }
            for (index, text) in texts.enumerated() { try check(text, at: "$.texts[\(index)]", limits: limits) }
            return ClassifyRequest(texts: texts, single: false)
        case (nil, nil):
            throw .badRequest("missing member: give \"text\" (a string) or \"texts\" (an array of strings)", at: "$")
        case (_?, _?):
            throw .badRequest("give \"text\" or \"texts\", not both", at: "$")
        }
    }

    private static func check(_ text: String, at path: String, limits: ServeLimits) throws(ServeError) {
        let count = text.unicodeScalars.count
        guard count <= limits.maxCharactersPerText else {
            throw .unprocessable("\(count) characters (Unicode code points), more than the \(limits.maxCharactersPerText) a text may have", at: path)
        }
    }

    /// A JSON string only: Foundation also bridges numbers and booleans to other types, never to String.
    private static func string(_ value: Any) -> String? {
        value as? String
    }

    static func typeName(_ value: Any) -> String {
        switch value {
        case is String: "a string"
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        case is NSNull: "null"
        // Foundation reads true/false as NSNumber of type "c" (char), numbers as other types.
        case let number as NSNumber: String(cString: number.objCType) == "c" ? "a boolean" : "a number"
        default: "a value of another type"
        }
    }

    /// `$.name`, or `$["name"]` for a key that is not a plain identifier.
    static func member(_ key: String) -> String {
        let plain = !key.isEmpty && key.utf8.count <= 64
            && key.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_") }
        if plain { return "$.\(key)" }
        return "$[\(JSONBody.quoted(key, limit: 64))]"
    }

    /// Foundation's reason, without its line breaks (the answer's message is one line).
    private static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        let detail = (nsError.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ""
        let line = detail.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.isEmpty ? "" : ": \(line.prefix(200))"
    }
}
