// Every error answer: a status and a JSON body {"error": {"status", "message", "path"?}}.
import Foundation
import Hummingbird

public struct ServeError: Error, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String
    /// The JSON path at fault in the request body (`$.texts[2]`), for 400 and 422.
    public let path: String?
    /// Retry-After (503), Allow (405).
    public let headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ message: String, path: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.path = path
        self.headers = headers
    }

    public var description: String { "\(status.code) \(message)\(path.map { " at \($0)" } ?? "")" }

    static func badRequest(_ message: String, at path: String) -> ServeError { ServeError(.badRequest, message, path: path) }
    static func unprocessable(_ message: String, at path: String) -> ServeError { ServeError(.unprocessableContent, message, path: path) }
    static func unavailable(_ message: String) -> ServeError { ServeError(.serviceUnavailable, message, headers: [.retryAfter: "1"]) }

    var response: Response {
        var error: [String: Any] = ["status": Int(status.code), "message": message]
        if let path { error["path"] = path }
        return JSONBody.response(["error": error], status: status, headers: headers)
    }
}

/// JSON answers, written as `predict --json` writes its lines (sorted keys, slashes unescaped).
enum JSONBody {
    static func data(_ object: Any) -> Data {
        // Only dictionaries, arrays, strings, numbers and booleans built here reach this.
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }

    static func response(_ object: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        response(data(object), status: status, headers: headers)
    }

    static func response(_ data: Data, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:],
                         contentType: String = "application/json") -> Response {
        var headers = headers
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `text` as a JSON string, cut to `limit` code points (for messages that quote the request).
    static func quoted(_ text: String, limit: Int) -> String {
        let cut = String(text.unicodeScalars.prefix(limit)) + (text.unicodeScalars.count > limit ? "…" : "")
        let array = String(decoding: data([cut]), as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }
}
