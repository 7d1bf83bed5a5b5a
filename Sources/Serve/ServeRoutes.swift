// The routes of the API (documented in OpenAPIDocument.swift).
import Foundation
import Hummingbird
import Logging

struct ServeRoutes: Sendable {
    /// The first is the default model.
    let workers: [ModelWorker]
    let limits: ServeLimits
    let metrics: ServeMetrics
    /// textclf's version, for the OpenAPI document.
    let version: String

    private var byName: [String: ModelWorker] { Dictionary(workers.map { ($0.info.name, $0) }, uniquingKeysWith: { first, _ in first }) }

    /// Every route with its method; any other method on these paths is a 405 (ServeMiddleware).
    static let routes: [(method: HTTPRequest.Method, path: String)] = [
        (.post, "/v1/classify"), (.post, "/v1/models/{name}/classify"), (.get, "/v1/models"),
        (.get, "/healthz"), (.get, "/readyz"), (.get, "/metrics"), (.get, "/openapi.json"),
    ]

    func router(logger: Logger) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: ServeMiddleware(metrics: metrics, logger: logger))
        let models = byName
        router.post("/v1/classify") { request, _ in try await classify(request, with: workers[0]) }
        router.post("/v1/models/{name}/classify") { request, context in
            let name = context.parameters.get("name") ?? ""
            guard let worker = models[name] else {
                throw ServeError(.notFound, "no model named \(JSONBody.quoted(name, limit: 64)); GET /v1/models lists them")
            }
            return try await classify(request, with: worker)
        }
        router.get("/v1/models") { _, _ in
            JSONBody.response(["models": workers.enumerated().map { $1.info.jsonObject(isDefault: $0 == 0) }])
        }
        router.get("/healthz") { _, _ in JSONBody.response(["status": "ok"]) }
        router.get("/readyz") { _, _ in
            let warm = workers.map(\.isWarm)
            let object: [String: Any] = ["ready": !warm.contains(false),
                                         "models": Dictionary(uniqueKeysWithValues: zip(workers.map(\.info.name), warm))]
            return JSONBody.response(object, status: warm.contains(false) ? .serviceUnavailable : .ok,
                                     headers: warm.contains(false) ? [.retryAfter: "1"] : [:])
        }
        router.get("/metrics") { _, _ in
            JSONBody.response(Data(metrics.render()), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        let document = Data(OpenAPIDocument.json(limits: limits, version: version).utf8)
        router.get("/openapi.json") { _, _ in JSONBody.response(document) }

        return router
    }

    /// The Allow header for `path` if a route has that path (with any name in `{name}`), else nil.
    static func allowHeader(for path: String) -> String? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        let methods = routes.filter { route in
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: false)
            return pattern.count == segments.count
                && zip(pattern, segments).allSatisfy { $0.hasPrefix("{") ? !$1.isEmpty : $0 == $1 }
        }.map(\.method)
        guard !methods.isEmpty else { return nil }
        return (methods + (methods.contains(.get) ? [.head] : [])).map(\.rawValue).joined(separator: ", ")
    }

    private func classify(_ request: Request, with worker: ModelWorker) async throws -> Response {
        let parsed = try ClassifyRequest.parse(try await body(of: request), limits: limits)
        let results = try await worker.classify(parsed.texts, timeout: limits.timeout)
        let labels = worker.info.labels
        if parsed.single { return JSONBody.response(results[0].jsonObject(labels: labels)) }
        return JSONBody.response(["results": results.map { $0.jsonObject(labels: labels) }])
    }

    /// The body, at most `maxBodyBytes` (413 beyond, refused from Content-Length when it says so).
    private func body(of request: Request) async throws -> Data {
        let tooLarge = ServeError(.contentTooLarge, "the body is larger than \(limits.maxBodyBytes) bytes")
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limits.maxBodyBytes { throw tooLarge }
        do {
            let buffer = try await request.body.collect(upTo: limits.maxBodyBytes)
            return Data(buffer.readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge
        }
    }
}
