import Common
import Foundation

/// The datasets a program knows: the built-ins, adapters registered in code, and dataset specs
/// (JSON files) registered by path or named directly.
///
///     var registry = DatasetRegistry.builtIn
///     try registry.register(MyDataset())                     // a Swift DatasetAdapter
///     try registry.registerSpec(at: "data/tickets.json")     // a spec file, named by its "name"
///     let adapter = try registry.adapter(named: "tickets")   // or a spec path: "data/tickets.json"
///     let splits = try adapter.loadSplits(using: Store())
public struct DatasetRegistry: Sendable {
    public private(set) var adapters: [any DatasetAdapter]

    public init(_ adapters: [any DatasetAdapter] = []) {
        self.adapters = adapters
    }

    /// sms-spam, sst2, imdb, ag-news, bbc-news, banking77, reuters-21578.
    public static var builtIn: DatasetRegistry {
        DatasetRegistry([SMSSpamDataset(), SST2Dataset(), IMDBDataset(), AGNewsDataset(), BBCNewsDataset(), Banking77Dataset(),
                         Reuters21578Dataset()])
    }

    /// Adds an adapter. A name already registered is an error unless `replacing` is true.
    public mutating func register(_ adapter: any DatasetAdapter, replacing: Bool = false) throws {
        guard !adapter.name.isEmpty else { throw DatasetError("a dataset adapter needs a name") }
        if let index = adapters.firstIndex(where: { $0.name == adapter.name }) {
            guard replacing else {
                throw DatasetError("a dataset named \"\(adapter.name)\" is already registered (pass replacing: true to replace it)")
            }
            adapters[index] = adapter
        } else {
            adapters.append(adapter)
        }
    }

    /// Reads a dataset spec and registers it under its name.
    @discardableResult
    public mutating func registerSpec(at path: String, replacing: Bool = false) throws -> SpecDataset {
        let dataset = try SpecDataset(contentsOf: URL(fileURLWithPath: path))
        try register(dataset, replacing: replacing)
        return dataset
    }

    /// The adapter called `nameOrPath`, or the dataset spec at that path (`NameOrPath` decides).
    public func adapter(named nameOrPath: String) throws -> any DatasetAdapter {
        switch NameOrPath(nameOrPath, isRegisteredName: { name in adapters.contains { $0.name == name } }) {
        case .name(let name): if let adapter = adapters.first(where: { $0.name == name }) { return adapter }
        case .path(let url): return try SpecDataset(contentsOf: url)
        }
        throw DatasetError("no dataset named \"\(nameOrPath)\" (known: \(adapters.map(\.name).joined(separator: ", "))); a dataset spec is named by its path, e.g. ./\(nameOrPath).json")
    }
}
