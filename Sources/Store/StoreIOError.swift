import Foundation

/// A system call on a Store-managed path failed (open, read, rename, ...).
public struct StoreIOError: Error, CustomStringConvertible {
    public let path: String
    public let action: String
    public let reason: String

    public init(path: String, action: String, errno code: Int32) {
        self.path = path
        self.action = action
        self.reason = String(cString: strerror(code))
    }

    public init(path: String, action: String, reason: String) {
        self.path = path
        self.action = action
        self.reason = reason
    }

    public var description: String { "cannot \(action) \(path): \(reason)" }
}
