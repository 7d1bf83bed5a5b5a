import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port) for the Store's download tests. One
/// connection at a time, one request per connection (`Connection: close`). It stops by itself
/// after `maxRequests` requests or `lifetime` seconds, whichever comes first, so a test that
/// goes wrong cannot leave it running.
///
/// Each path serves a `Route`: a body (with `Range: bytes=N-` support), or a status such as
/// 404, or a redirect; it can drop the connection after some bytes for its first requests.
final class LocalHTTPServer: @unchecked Sendable {
    struct Route {
        var body: [UInt8] = []
        var status = 200
        /// Announce the full length, send only this many body bytes, then close; for the
        /// first `dropTimes` requests of this path.
        var dropAfter: Int?
        var dropTimes = 1
        /// A path on this server, or an absolute URL.
        var redirectTo: String?
        var etag: String?

        static func file(_ body: [UInt8], etag: String? = nil) -> Route { Route(body: body, etag: etag) }
        static func status(_ code: Int) -> Route { Route(body: Array("status \(code)\n".utf8), status: code) }
        static func dropping(_ body: [UInt8], after bytes: Int, times: Int = 1) -> Route {
            Route(body: body, dropAfter: bytes, dropTimes: times)
        }
        static func redirect(to path: String) -> Route { Route(status: 302, redirectTo: path) }
    }

    struct Request {
        let method: String
        let path: String
        /// Header names in lower case.
        let headers: [String: String]
    }

    let port: UInt16
    private let listener: Int32
    private let maxRequests: Int
    private let deadline: Date
    private let lock = NSLock()
    private var routes: [String: Route]
    private var log: [Request] = []
    private var stopRequested = false
    private let finished = DispatchSemaphore(value: 0)

    init(routes: [String: Route], maxRequests: Int = 32, lifetime: TimeInterval = 60) throws {
        self.routes = routes
        self.maxRequests = maxRequests
        deadline = Date().addingTimeInterval(lifetime)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            close(fd)
            throw ServerError("bind/listen: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = fd
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    deinit { stop() }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    /// Adds or replaces a route (for routes that need the port, known only once started).
    func setRoute(_ path: String, _ route: Route) { lock.withLock { routes[path] = route } }

    /// Every request received so far, in order.
    var requests: [Request] { lock.withLock { log } }

    func requests(for path: String) -> [Request] { requests.filter { $0.path == path } }

    /// Stops accepting and waits for the serving thread to finish.
    func stop() {
        let first: Bool = lock.withLock {
            defer { stopRequested = true }
            return !stopRequested
        }
        if first { finished.wait() }
    }

    private var shouldStop: Bool { lock.withLock { stopRequested || log.count >= maxRequests } || Date() > deadline }

    private func serve() {
        defer {
            close(listener)
            finished.signal()
        }
        while !shouldStop {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            handle(connection)
            close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        guard let request = readRequest(connection) else { return }
        let (route, previous): (Route?, Int) = lock.withLock {
            let previous = log.filter { $0.path == request.path }.count
            log.append(request)
            return (routes[request.path], previous)
        }
        guard let route else { return respond(connection, status: 404, headers: [:], body: Array("no such path\n".utf8)) }
        if let target = route.redirectTo {
            let location = target.hasPrefix("http") ? target : url(target).absoluteString
            return respond(connection, status: route.status, headers: ["Location": location], body: [])
        }
        guard route.status == 200 else { return respond(connection, status: route.status, headers: [:], body: route.body) }

        var headers = ["Accept-Ranges": "bytes"]
        if let etag = route.etag { headers["ETag"] = etag }
        var start = 0
        var status = 200
        let ifRangeMatches = request.headers["if-range"].map { $0 == route.etag } ?? true
        if let range = request.headers["range"], ifRangeMatches, range.hasPrefix("bytes="), range.hasSuffix("-"),
           let first = Int(range.dropFirst(6).dropLast()) {
            guard first < route.body.count else {
                headers["Content-Range"] = "bytes */\(route.body.count)"
                return respond(connection, status: 416, headers: headers, body: [])
            }
            start = first
            status = 206
            headers["Content-Range"] = "bytes \(first)-\(route.body.count - 1)/\(route.body.count)"
        }
        let body = Array(route.body[start...])
        if let dropAfter = route.dropAfter, previous < route.dropTimes {
            respond(connection, status: status, headers: headers, body: Array(body.prefix(dropAfter)), announcedLength: body.count)
        } else {
            respond(connection, status: status, headers: headers, body: body)
        }
    }

    private func readRequest(_ connection: Int32) -> Request? {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while data.count < 65536 {
            let n = recv(connection, &buffer, buffer.count, 0)
            guard n > 0 else { return nil }
            data += buffer[0 ..< n]
            if data.count >= 4, (0 ... data.count - 4).contains(where: { data[$0 ..< $0 + 4].elementsEqual(end) }) { break }
        }
        let lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines.first?.split(separator: " ") ?? []
        guard parts.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Request(method: String(parts[0]), path: String(parts[1]), headers: headers)
    }

    private func respond(_ connection: Int32, status: Int, headers: [String: String], body: [UInt8], announcedLength: Int? = nil) {
        var head = "HTTP/1.1 \(status) \(HTTPStatusText(status))\r\n"
        head += "Content-Length: \(announcedLength ?? body.count)\r\nConnection: close\r\nContent-Type: application/octet-stream\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        sendAll(connection, Array(head.utf8))
        sendAll(connection, body)
    }

    private func sendAll(_ connection: Int32, _ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
    }

    struct ServerError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

private func HTTPStatusText(_ status: Int) -> String {
    switch status {
    case 200: "OK"
    case 206: "Partial Content"
    case 302: "Found"
    case 404: "Not Found"
    case 416: "Range Not Satisfiable"
    case 500: "Internal Server Error"
    case 503: "Service Unavailable"
    default: "Status"
    }
}
