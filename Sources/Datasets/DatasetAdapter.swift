import Common
import DataIO
import Foundation
import Store

/// Turns a source (files in the Store, local files, anything) into labelled examples.
///
/// Users with Swift code implement it and register their adapter in a `DatasetRegistry`:
///
///     struct TicketsDataset: DatasetAdapter {
///         let name = "tickets"
///         let summary = "Support tickets, 3 classes"
///         var source: DatasetSource { .files([URL(fileURLWithPath: "tickets.csv")]) }
///         var defaultSplitPolicy: SplitPolicy { .ratios(train: 0.8, validation: 0.1, test: 0.1, stratify: true) }
///         func load(using store: Store) throws -> RawDataset {
///             let layout = TableLayout(format: .csv, textColumns: ["body"], labelColumn: "queue",
///                                      labels: .inferred())
///             return try layout.read([TableFile(split: "all", path: URL(fileURLWithPath: "tickets.csv"))], dataset: name)
///         }
///     }
///     var registry = DatasetRegistry.builtIn
///     try registry.register(TicketsDataset())
///
/// Errors about rows are DataIO `ReadError`s naming the file, member, line and row; errors
/// about the dataset as a whole are `DatasetError`s.
public protocol DatasetAdapter: Sendable {
    /// The name users type: `textclf data inspect sms-spam`.
    var name: String { get }
    /// One line for listings.
    var summary: String { get }
    /// Where the data comes from, for listings and availability checks.
    var source: DatasetSource { get }
    /// How the dataset is split when nothing else is asked for.
    var defaultSplitPolicy: SplitPolicy { get }
    /// Reads the source. Files from the Store are resolved through `store` (cache, mirrors,
    /// verified download unless the store is offline).
    func load(using store: Store) throws -> RawDataset
}

/// Where an adapter's data lives.
public enum DatasetSource: Sendable, Hashable, CustomStringConvertible {
    /// Files of a Store entry, found in the cache or a mirror, or downloaded.
    case store(EntryRef, files: [String])
    /// Files on disk.
    case files([URL])
    /// Made in code; always available.
    case code

    public var description: String {
        switch self {
        case .store(let ref, let files): "store \(ref.name): \(files.joined(separator: ", "))"
        case .files(let urls): urls.map(\.path).joined(separator: ", ")
        case .code: "in code"
        }
    }
}

/// Whether a dataset can be read without the network, and from where.
public struct DatasetAvailability: Sendable, Hashable {
    public let isLocal: Bool
    /// Where the files are ("mirror /data/mirror", "cache", "/path/to/file"), or why
    /// they are not available.
    public let detail: String

    public init(isLocal: Bool, detail: String) {
        self.isLocal = isLocal
        self.detail = detail
    }
}

extension DatasetAdapter {
    /// Loads the source and splits it by `policy` (default: the adapter's own).
    public func loadSplits(using store: Store, policy: SplitPolicy? = nil) throws -> DatasetSplits {
        try load(using: store).split(policy ?? defaultSplitPolicy)
    }

    /// Looks for the files without downloading anything (an offline copy of `store`).
    public func availability(in store: Store) -> DatasetAvailability {
        switch source {
        case .code:
            return DatasetAvailability(isLocal: true, detail: "in code")
        case .files(let urls):
            let missing = urls.filter { !FileManager.default.fileExists(atPath: $0.path) }
            if missing.isEmpty { return DatasetAvailability(isLocal: true, detail: urls.map(\.path).joined(separator: ", ")) }
            return DatasetAvailability(isLocal: false, detail: "missing: " + missing.map(\.path).joined(separator: ", "))
        case .store(let ref, let files):
            do {
                let offline = try store.offlineCopy()
                let places = try files.map { try offline.locate(ref, file: $0).source }
                let names = Set(places.map { place -> String in
                    switch place {
                    case .mirror(let root): "mirror \(root.path)"
                    case .cache, .copiedFromMirror, .download: "cache"
                    case .explicit: "explicit path"
                    }
                })
                return DatasetAvailability(isLocal: true, detail: names.sorted().joined(separator: ", "))
            } catch let error as ResolutionError {
                let note = error.attempts.first { $0.place == .download }?.outcome ?? "not in the cache or a mirror"
                return DatasetAvailability(isLocal: false, detail: "not in the cache or a mirror (\(note))")
            } catch {
                return DatasetAvailability(isLocal: false, detail: "\(error)")
            }
        }
    }
}
