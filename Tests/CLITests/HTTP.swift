import Foundation
import XCTest

/// One HTTP/1.1 exchange on a fresh loopback connection (`Connection: close`), with POSIX
/// sockets: the test controls every byte sent (malformed bodies, lying lengths) and reads the
/// answer as the server wrote it.
struct HTTPAnswer {
    let status: Int
    /// Header names lowercased.
    let headers: [String: String]
    let body: Data

    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The error body's fields ({"error": {"status", "message", "path"}}).
    var error: [String: Any]? { json?["error"] as? [String: Any] }
    var summary: String { "\(status) \(headers) \(text.prefix(500))" }
}

struct HTTPFailure: Error, CustomStringConvertible { let description: String }

enum HTTP {
    static func request(port: Int, _ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:],
                        timeout: TimeInterval = 60) throws -> HTTPAnswer {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPFailure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var time = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw HTTPFailure(description: "connect to port \(port): errno \(errno)") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        var allHeaders = headers
        if let body, allHeaders["Content-Length"] == nil { allHeaders["Content-Length"] = String(body.count) }
        if body != nil, allHeaders["Content-Type"] == nil { allHeaders["Content-Type"] = "application/json" }
        for (name, value) in allHeaders.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        var bytes = Data((head + "\r\n").utf8)
        if let body { bytes.append(body) }
        try bytes.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                guard n > 0 else { throw HTTPFailure(description: "send: errno \(errno)") }
                sent += n
            }
        }
        var answer = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { break }
            guard n > 0 else { throw HTTPFailure(description: "recv: errno \(errno) after \(answer.count) bytes") }
            answer.append(contentsOf: buffer[0 ..< n])
        }
        return try parse(answer)
    }

    static func post(port: Int, _ path: String, json: Any) throws -> HTTPAnswer {
        try request(port: port, "POST", path, body: try JSONSerialization.data(withJSONObject: json))
    }

    static func get(port: Int, _ path: String) throws -> HTTPAnswer { try request(port: port, "GET", path) }

    /// Status line, headers, and the body (Content-Length or chunked).
    static func parse(_ answer: Data) throws -> HTTPAnswer {
        guard let end = answer.firstRange(of: Data("\r\n\r\n".utf8)) else {
            throw HTTPFailure(description: "no complete head in \(answer.count) bytes: \(String(decoding: answer, as: UTF8.self).prefix(200))")
        }
        let lines = String(decoding: answer[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw HTTPFailure(description: "status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(answer[end.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            var decoded = Data()
            var rest = body
            while let lineEnd = rest.firstRange(of: Data("\r\n".utf8)),
                  let size = Int(String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self), radix: 16), size > 0 {
                decoded.append(rest[lineEnd.upperBound ..< lineEnd.upperBound + size])
                rest = Data(rest[(lineEnd.upperBound + size + 2)...])
            }
            body = decoded
        }
        return HTTPAnswer(status: status, headers: headers, body: body)
    }

    /// `count` requests at once, each on its own thread; answers in order.
    static func concurrently(_ count: Int, _ make: @Sendable @escaping (Int) throws -> HTTPAnswer) -> [Result<HTTPAnswer, Error>] {
        let results = ResultSlots(count: count)
        let group = DispatchGroup()
        for index in 0 ..< count {
            group.enter()
            Thread {
                results.set(index, Result { try make(index) })
                group.leave()
            }.start()
        }
        group.wait()
        return results.values
    }
}

private final class ResultSlots: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var slots: [Result<HTTPAnswer, Error>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Result<HTTPAnswer, Error>) { lock.withLock { slots[index] = value } }
    var values: [Result<HTTPAnswer, Error>] { lock.withLock { slots.map { $0! } } }
}

/// `textclf serve` on a free loopback port, for one test.
final class Server {
    let running: Running
    let port: Int

    /// Starts the server and waits for its listening line (and, unless told not to, for /readyz).
    init(_ test: XCTestCase, _ arguments: [String], waitForReady: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        running = try Running(["serve", "--port", "0"] + arguments)
        test.addTeardownBlock { [running] in running.killIfRunning() }
        var port = 0
        guard running.waitForJSONLine(timeout: 60, { object in
            guard object["event"] as? String == "listening", let value = object["port"] as? Int else { return false }
            port = value
            return true
        }) else {
            let result = running.finish(timeout: 5)
            throw HTTPFailure(description: "the server did not start: \(result.summary)")
        }
        self.port = port
        if waitForReady {
            let deadline = Date().addingTimeInterval(60)
            while (try? HTTP.get(port: port, "/readyz").status) != 200 {
                guard Date() < deadline else { throw HTTPFailure(description: "not ready within 60 s") }
                usleep(10_000)
            }
        }
    }

    func get(_ path: String) throws -> HTTPAnswer { try HTTP.get(port: port, path) }
    func post(_ path: String, json: Any) throws -> HTTPAnswer { try HTTP.post(port: port, path, json: json) }
    func post(_ path: String, raw: String) throws -> HTTPAnswer { try HTTP.request(port: port, "POST", path, body: Data(raw.utf8)) }

    /// The value of a Prometheus series, e.g. `textclf_queue_depth{model="run"}`.
    func metric(_ series: String) throws -> Double? {
        for line in try get("/metrics").text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// Waits until `series` reads `value` (e.g. requests queued).
    func waitForMetric(_ series: String, _ value: Double, timeout: TimeInterval = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try metric(series) != value {
            guard Date() < deadline else { throw HTTPFailure(description: "\(series) is \(String(describing: try metric(series))), not \(value)") }
            usleep(5_000)
        }
    }

    /// SIGTERM, then the process's end.
    func terminate(timeout: TimeInterval = 60) -> CLIResult {
        running.signal(SIGTERM)
        return running.finish(timeout: timeout)
    }
}
