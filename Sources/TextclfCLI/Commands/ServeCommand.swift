import ArgumentParser
import Common
import Foundation
import Logging
import Serve
import TensorEngine

/// `textclf serve`: trained classifiers over HTTP (module Serve).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve trained classifiers over HTTP, with dynamic batching and Prometheus metrics.",
        discussion: """
        API (JSON; GET /openapi.json has the whole document): POST /v1/classify with \
        {"text": "..."} (one result) or {"texts": [...]} ({"results": [...]}), each result with \
        the keys of `predict --json`; POST /v1/models/NAME/classify; GET /v1/models, /healthz, \
        /readyz (every model loaded and warm), /metrics (Prometheus).

        --model is a run directory (its model/) or a model directory, optionally named \
        NAME=DIR (default: the run directory's name); the first is the default model. \
        Concurrent requests to a model are queued and run together in batches of texts of \
        similar length: a batch starts when --max-batch-size texts wait or the oldest has \
        waited --max-wait-ms. Errors are JSON {"error": {"status", "message", "path"}}: 400 \
        (not JSON, wrong type; path names the member), 404, 413 (body), 422 (texts, \
        characters), 503 with Retry-After (queue full, timeout).

        stdout: JSON lines {"event": "listening", "host", "port", "url"}, {"event": "ready", \
        "seconds"}, {"event": "stopped", "seconds"}; logs go to stderr. SIGTERM or SIGINT: \
        stop listening, answer the requests in flight, exit 0.

        Examples:
          textclf serve --model runs/spam-20250101-120000
          textclf serve --model spam=runs/spam-20250101-120000 --model topic=runs/topic-20250101-130000 --port 9000
          curl -s localhost:8080/v1/classify -d '{"text": "WINNER! Claim your prize now"}'
        """
    )

    @Option(name: .customLong("model"), help: ArgumentHelp("A run or model directory, or NAME=DIR (repeatable; the first is the default).", valueName: "dir"))
    var models: [String] = []

    @Option(help: "Address to listen on (loopback unless you choose otherwise).") var host = "127.0.0.1"
    @Option(help: "Port (0: a free one, printed in the listening line).") var port = 8080
    @Option(help: "Texts per forward pass at most.") var maxBatchSize = 32
    @Option(help: "Milliseconds the oldest waiting request may wait for a batch to fill.") var maxWaitMs = 5
    @Option(help: "Texts that may wait per model; beyond, 503.") var maxQueue = 1024
    @Option(help: "Request body bytes at most; beyond, 413.") var maxBodyBytes = 1 << 20
    @Option(help: "Texts per request at most; beyond, 422.") var maxTexts = 128
    @Option(help: "Unicode code points per text at most; beyond, 422.") var maxCharacters = 10_000
    @Option(help: "Milliseconds from arrival to answer at most; beyond, 503.") var timeoutMs = 30_000

    @Flag(help: "Skip checking each rebuilt backbone's frozen weights against the recorded SHA-256.")
    var noVerify = false

    @Flag(help: "int8 Linear layers for every model (as predict --int8: the int8 weights `textclf quantize` saved, else quantised on load).")
    var int8 = false

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("give at least one --model") }
        guard (0 ... 65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port)") }
        try NumericCheck.atLeast(1, maxBatchSize, "--max-batch-size")
        try NumericCheck.atLeast(0, maxWaitMs, "--max-wait-ms")
        try NumericCheck.atLeast(1, maxQueue, "--max-queue")
        try NumericCheck.atLeast(1, maxBodyBytes, "--max-body-bytes")
        try NumericCheck.atLeast(1, maxTexts, "--max-texts")
        try NumericCheck.atLeast(1, maxCharacters, "--max-characters")
        try NumericCheck.atLeast(1, timeoutMs, "--timeout-ms")
        guard maxTexts <= maxQueue else { throw ValidationError("--max-texts (\(maxTexts)) must not exceed --max-queue (\(maxQueue))") }
        var seen = Set<String>()
        for argument in models {
            let spec = ModelSpec.parse(argument)
            guard seen.insert(spec.name).inserted else {
                throw ValidationError("--model \(argument): a second model named \"\(spec.name)\" (name them: --model NAME=DIR)")
            }
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "textclf.serve")
        // Process-wide, before any model loads: every worker's Linear layers then run in int8.
        if int8 { try Int8Inference.enable() }
        if !["127.0.0.1", "localhost", "::1"].contains(host) {
            logger.notice("listening on \(host): reachable from other machines where the network allows")
        }
        let settings = ServeSettings(
            models: models.map(ModelSpec.parse), host: host, port: port,
            batching: BatchingSettings(maxBatchSize: maxBatchSize, maxWait: .milliseconds(maxWaitMs)),
            limits: ServeLimits(maxBodyBytes: maxBodyBytes, maxTextsPerRequest: maxTexts, maxCharactersPerText: maxCharacters,
                                maxQueuedTexts: maxQueue, timeout: .milliseconds(timeoutMs)),
            verifyBackbone: !noVerify)
        try await InferenceServer.run(settings, store: try store.makeStore(), version: textclfVersion, logger: logger) { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }
}
