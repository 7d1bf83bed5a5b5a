// GET /metrics: swift-metrics instruments backed by a Prometheus registry of the server's own
// (no process-wide bootstrap, so several servers can live in one test process).
import Metrics
import Prometheus

public final class ServeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    static let requests = "textclf_http_requests_total"
    static let latency = "textclf_http_request_duration_seconds"
    static let batchSize = "textclf_batch_size"
    static let batchDuration = "textclf_batch_duration_seconds"
    static let queueDepth = "textclf_queue_depth"
    static let texts = "textclf_texts_classified_total"
    static let tokens = "textclf_tokens_classified_total"

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let seconds: [Duration] = [.milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                   .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                                   .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30)]
        factory.durationHistogramBuckets = [Self.latency: seconds, Self.batchDuration: seconds]
        factory.valueHistogramBuckets = [Self.batchSize: [1, 2, 4, 8, 16, 32, 64, 128, 256]]
        self.factory = factory
    }

    /// One answered request. `route` is the matched route template (never the raw path, so a
    /// fuzzer's paths cannot grow the label set), the method one of the standard ones or "other".
    func request(route: String, method: String, status: Int, duration: Duration) {
        Counter(label: Self.requests, dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory).increment()
        Metrics.Timer(label: Self.latency, dimensions: [("route", route)], factory: factory).record(duration: duration)
    }

    /// One forward pass of `model`.
    func batch(model: String, size: Int, tokens: Int, duration: Duration) {
        Recorder(label: Self.batchSize, dimensions: [("model", model)], aggregate: true, factory: factory).record(size)
        Metrics.Timer(label: Self.batchDuration, dimensions: [("model", model)], factory: factory).record(duration: duration)
        Counter(label: Self.texts, dimensions: [("model", model)], factory: factory).increment(by: size)
        Counter(label: Self.tokens, dimensions: [("model", model)], factory: factory).increment(by: tokens)
    }

    /// Texts waiting for `model`'s worker.
    func queueDepth(model: String, _ depth: Int) {
        Gauge(label: Self.queueDepth, dimensions: [("model", model)], factory: factory).record(depth)
    }

    /// Every model's series from the start, at zero.
    func register(model: String) {
        queueDepth(model: model, 0)
        Counter(label: Self.texts, dimensions: [("model", model)], factory: factory).increment(by: 0)
        Counter(label: Self.tokens, dimensions: [("model", model)], factory: factory).increment(by: 0)
    }

    /// The Prometheus text format (version 0.0.4).
    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
