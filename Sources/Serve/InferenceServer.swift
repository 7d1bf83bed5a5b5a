// `textclf serve` as a library call: load the models (each on its worker's thread), listen,
// answer until SIGTERM or SIGINT, then drain: the listener closes, requests in flight are
// answered, the workers finish what they hold, and `run` returns.
import Foundation
import Hummingbird
import Logging
import Store

public enum InferenceServer {
    /// What the server reports as it goes, one JSON object each: `{"event": "listening",
    /// "host", "port", "url"}`, `{"event": "ready", "seconds"}` (listening, every model warm;
    /// seconds since `run` began), `{"event": "stopped", "seconds"}`.
    public typealias EventSink = @Sendable (_ json: String) -> Void

    public static func run(_ settings: ServeSettings, store: Store, version: String, logger: Logger,
                           events: @escaping EventSink = { _ in }) async throws {
        let start = ContinuousClock.now
        let metrics = ServeMetrics()
        var workers: [ModelWorker] = []
        do {
            for spec in settings.models {
                workers.append(try await ModelWorker.start(spec, store: store, settings: settings, metrics: metrics))
            }
        } catch {
            for worker in workers { await worker.stop() }
            throw error
        }
        let routes = ServeRoutes(workers: workers, limits: settings.limits, metrics: metrics, version: version)
        let startedWorkers = workers
        let readiness = Task {
            while !startedWorkers.allSatisfy(\.isWarm) { try await Task.sleep(for: .milliseconds(2)) }
        }
        let app = Application(
            router: routes.router(logger: logger),
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.port
                events(event(["event": "listening", "host": settings.host, "port": port, "url": "http://\(settings.host):\(port)"]))
                // Not awaited here: the server takes connections once this closure returns.
                Task {
                    if (try? await readiness.value) != nil { events(event(["event": "ready", "seconds": seconds(since: start)])) }
                }
            },
            logger: logger)
        do {
            try await app.runService()
        } catch {
            readiness.cancel()
            for worker in workers { await worker.stop() }
            throw error
        }
        readiness.cancel()
        for worker in workers { await worker.stop() }
        events(event(["event": "stopped", "seconds": seconds(since: start)]))
    }

    private static func event(_ object: [String: Any]) -> String {
        String(decoding: JSONBody.data(object), as: UTF8.self)
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        (start.duration(to: .now).seconds * 1000).rounded() / 1000
    }
}
