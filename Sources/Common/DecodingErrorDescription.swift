import Foundation

/// "key 'training.seed': expected UInt64" rather than Foundation's long dump: what a one-line
/// error about a JSON file (a task, a spec, a split record, a run's config) says.
public func describeDecodingError(_ error: Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return keys.isEmpty ? "the top level" : "key '\(keys.joined(separator: "."))'"
    }
    switch error {
    case .typeMismatch(let type, let context): return "\(path(context)): expected \(type)"
    case .valueNotFound(let type, let context): return "\(path(context)): missing \(type) value"
    case .keyNotFound(let key, let context): return "\(path(context)): key '\(key.stringValue)' is missing"
    case .dataCorrupted(let context): return "\(path(context)): \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)"
    @unknown default: return "\(error)"
    }
}
