// Around every route (and the not-found answer): errors become JSON answers, and each answer
// is counted and timed.
import Foundation
import Hummingbird
import Logging

struct ServeMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServeMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as ServeError {
            response = error.response
        } catch let error as any HTTPResponseError where error.status == .notFound {
            let path = request.uri.path
            if let allow = ServeRoutes.allowHeader(for: path) {
                response = ServeError(.methodNotAllowed, "\(JSONBody.quoted(path, limit: 200)) allows \(allow)", headers: [.allow: allow]).response
            } else {
                response = ServeError(.notFound, "no route \(request.method) \(JSONBody.quoted(path, limit: 200)) (GET /openapi.json lists the routes)").response
            }
        } catch let error as any HTTPResponseError {
            response = ServeError(error.status, error.status.reasonPhrase).response
        } catch is CancellationError {
            response = ServeError.unavailable("the request was cancelled").response
        } catch {
            logger.error("internal error", metadata: ["error": "\(error)"])
            response = ServeError(.internalServerError, "internal error").response
        }
        metrics.request(route: context.endpointPath ?? "NotFound", method: Self.methodLabel(request.method),
                        status: response.status.code, duration: start.duration(to: .now))
        return response
    }

    /// The standard methods by name, anything else as "other" (a bounded label set).
    static func methodLabel(_ method: HTTPRequest.Method) -> String {
        [.get, .head, .post, .put, .delete, .patch, .options].contains(method) ? method.rawValue : "other"
    }
}
