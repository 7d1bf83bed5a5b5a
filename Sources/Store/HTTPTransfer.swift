import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Why one HTTP attempt failed; `isRetryable` decides between backing off and moving on to
/// the next URL.
enum TransferFailure: Error, CustomStringConvertible {
    case http(status: Int)
    case transport(String)
    /// The host name does not resolve or there is no network at all: retrying the same host
    /// only keeps an offline user waiting, so the next URL (or the next place) is tried at once.
    case unreachable(String)
    /// A 416 on a resume: the partial file does not fit the remote file; start over.
    case rangeNotSatisfiable
    /// The server announces another size than the manifest's: not worth downloading.
    case wrongSize(announced: Int64, expected: Int64)
    case local(String)

    var isRetryable: Bool {
        switch self {
        case .http(let status): status == 408 || status == 429 || status >= 500
        case .transport, .rangeNotSatisfiable: true
        case .local, .wrongSize, .unreachable: false
        }
    }

    var description: String {
        switch self {
        case .http(let status): "HTTP \(status) \(HTTPURLResponse.localizedString(forStatusCode: status))"
        case .transport(let reason), .unreachable(let reason): reason
        case .rangeNotSatisfiable: "HTTP 416 (the partial download does not fit the remote file)"
        case .local(let reason): reason
        case .wrongSize(let announced, let expected): "the server announces \(announced) B, the manifest expects \(expected) B; not downloaded"
        }
    }
}

/// One HTTP GET that appends to a `.part` file from its current length (asking for the rest
/// with `Range: bytes=N-`), hashing the whole part as it grows (see `GrowingFileHasher`).
///
/// Uses URLSession (FoundationNetworking, i.e. libcurl, on Linux): it brings TLS, redirects
/// (Hugging Face answers with a redirect to its CDN) and proxies, none of which a hand-written
/// socket client could offer without a TLS library. Delegate callbacks arrive on one serial
/// queue; the caller blocks until the task completes.
final class HTTPTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct Result {
        let bytes: Int64
        let digest: SHA256Digest
        let etag: String?
        /// The server sent the whole file although part of it was on disk (no Range support,
        /// or If-Range said the file changed).
        let restarted: Bool
    }

    private let url: URL
    private let partFile: URL
    private let ifRange: String?
    private let idleTimeout: TimeInterval
    private let progress: ProgressReporter
    private let label: String
    private let expectedSize: Int64?

    // State below is touched on the delegate queue only, and read by `run` after `finished`
    // has been signalled (the semaphore orders the two).
    private var handle: FileHandle?
    private var hasher: GrowingFileHasher?
    private var restarted = false
    private var offset: Int64 = 0
    private var written: Int64 = 0
    private var expectedTotal: Int64?
    private var etag: String?
    /// The response's (strong) ETag, also after a failed transfer; read once `run` returned.
    var responseETag: String? { etag }
    private var failure: TransferFailure?
    private var line: ProgressReporter.Line?
    private let finished = DispatchSemaphore(value: 0)

    init(url: URL, partFile: URL, ifRange: String?, expectedSize: Int64?, idleTimeout: TimeInterval,
         progress: ProgressReporter, label: String) {
        self.url = url
        self.partFile = partFile
        self.ifRange = ifRange
        self.expectedSize = expectedSize
        self.idleTimeout = idleTimeout
        self.progress = progress
        self.label = label
    }

    func run() throws(TransferFailure) -> Result {
        let fm = FileManager.default
        if !fm.fileExists(atPath: partFile.path) { _ = fm.createFile(atPath: partFile.path, contents: nil) }
        guard let handle = try? FileHandle(forUpdating: partFile) else {
            throw .local("cannot open \(partFile.path) for writing")
        }
        self.handle = handle
        defer { try? handle.close() }
        do { offset = Int64(try handle.seekToEnd()) } catch {
            throw .local("cannot read the partial download \(partFile.path): \(error)")
        }

        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: idleTimeout)
        // Exact bytes: no transparent decompression, which would break sizes and ranges.
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        request.setValue("textclf", forHTTPHeaderField: "User-Agent")
        if offset > 0 {
            request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range")
            // If the remote file changed since the part was written, the server sends it whole.
            if let ifRange { request.setValue(ifRange, forHTTPHeaderField: "If-Range") }
        }
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: .ephemeral, delegate: self, delegateQueue: queue)
        session.dataTask(with: request).resume()
        finished.wait()
        // The session retains its delegate until invalidated.
        session.finishTasksAndInvalidate()

        let total = offset + written
        if failure == nil, let expectedTotal, total != expectedTotal {
            failure = .transport("connection closed after \(ByteCount.format(total)) of \(ByteCount.format(expectedTotal))")
        }
        guard failure == nil, let hasher else {
            hasher?.cancel()
            throw failure ?? .transport("no response")
        }
        do {
            try handle.synchronize()
            return Result(bytes: total, digest: try hasher.finish(), etag: etag, restarted: restarted)
        } catch {
            throw .local("\(error)")
        }
    }

    // MARK: URLSessionDataDelegate

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            failure = .transport("not an HTTP response")
            completionHandler(.cancel)
            return
        }
        // A weak ETag cannot validate a byte range (RFC 9110), so it is not kept for If-Range.
        etag = http.value(forHTTPHeaderField: "ETag").flatMap { $0.hasPrefix("W/") ? nil : $0 }
        let length = http.expectedContentLength >= 0 ? http.expectedContentLength : nil
        switch http.statusCode {
        case 206 where offset > 0:
            // Content-Range: bytes START-END/TOTAL; anything but START == offset is unusable.
            let range = http.value(forHTTPHeaderField: "Content-Range") ?? ""
            let numbers = range.split(whereSeparator: { !$0.isNumber }).compactMap { Int64($0) }
            guard numbers.count >= 2, numbers[0] == offset else {
                failure = .transport("the server resumed at the wrong place (Content-Range: \(range))")
                completionHandler(.cancel)
                return
            }
            expectedTotal = numbers.count >= 3 ? numbers[2] : length.map { offset + $0 }
        case 200:
            do {
                // Range ignored, or If-Range said the file changed: the body is the whole file.
                if offset > 0 {
                    try handle?.truncate(atOffset: 0)
                    offset = 0
                    restarted = true
                }
            } catch {
                failure = .local("cannot truncate \(partFile.path): \(error)")
                completionHandler(.cancel)
                return
            }
            expectedTotal = length
        case 416 where offset > 0:
            failure = .rangeNotSatisfiable
            completionHandler(.cancel)
            return
        default:
            failure = .http(status: http.statusCode)
            completionHandler(.cancel)
            return
        }
        if let expectedSize, let expectedTotal, expectedTotal != expectedSize {
            failure = .wrongSize(announced: expectedTotal, expected: expectedSize)
            completionHandler(.cancel)
            return
        }
        do {
            hasher = try GrowingFileHasher(file: partFile, available: offset)
        } catch {
            failure = .local("\(error)")
            completionHandler(.cancel)
            return
        }
        line = progress.line(label, total: expectedTotal ?? expectedSize, startingAt: offset)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil, let handle else { return }
        do {
            try handle.write(contentsOf: data)
        } catch {
            failure = .local("cannot write \(partFile.path): \(error)")
            dataTask.cancel()
            return
        }
        written += Int64(data.count)
        hasher?.advance(to: offset + written)
        line?.update(offset + written)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if failure == nil, let error {
            let received = ByteCount.format(offset + written)
            let code = (error as NSError).code
            let unreachable = [NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed, NSURLErrorNotConnectedToInternet].contains(code)
            failure = unreachable ? .unreachable(error.localizedDescription)
                                  : .transport("\(error.localizedDescription) (after \(received))")
        }
        line?.finish()
        finished.signal()
    }
}
