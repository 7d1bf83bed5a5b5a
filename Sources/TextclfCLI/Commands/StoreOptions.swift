import ArgumentParser
import Foundation
import Store

/// Options of the commands that use the Store (fetch, cache): they adjust the configuration
/// read from the environment (TEXTCLF_HOME, TEXTCLF_MIRROR, TEXTCLF_OFFLINE, TEXTCLF_MANIFEST).
struct StoreOptions: ParsableArguments {
    @Flag(help: "Never use the network (same as TEXTCLF_OFFLINE=1).")
    var offline = false

    @Option(name: .customLong("manifest"), help: ArgumentHelp("An extra manifest file with more entries (repeatable).", valueName: "file"))
    var manifests: [String] = []

    @Option(help: ArgumentHelp("Treat this entry name as a dataset or a model, when both exist.", valueName: "dataset|model"))
    var kind: KindOption?

    enum KindOption: String, ExpressibleByArgument, CaseIterable {
        case dataset, model
        var entryKind: EntryKind { self == .dataset ? .dataset : .model }
    }

    func makeStore() throws -> Store {
        var configuration = StoreConfiguration.fromEnvironment()
        configuration.offline = configuration.offline || offline
        configuration.manifestFiles += manifests.map { URL(fileURLWithPath: $0) }
        return try Store(configuration: configuration)
    }

    /// The entry called `name`, of `--kind` if given; bad names are input errors (exit 2).
    func ref(named name: String, in store: Store, alsoCached: Bool = false) throws -> EntryRef {
        var kinds = Set(store.manifest.entries(named: name).map(\.kind))
        if alsoCached {
            for kind in EntryKind.allCases where FileManager.default.fileExists(atPath: store.cacheDirectory(for: EntryRef(kind: kind, name: name)).path) {
                kinds.insert(kind)
            }
        }
        if let kind = kind?.entryKind {
            let ref = EntryRef(kind: kind, name: name)
            if !kinds.contains(kind) { _ = try store.manifest.require(ref) }  // throws, listing the known names
            return ref
        }
        switch kinds.count {
        case 1: return EntryRef(kind: kinds.first!, name: name)
        case 0:
            let known = store.manifest.entries.map(\.name).joined(separator: ", ")
            throw UnknownEntryError(description: "no dataset or model named '\(name)' (known: \(known))")
        default:
            throw ValidationError("'\(name)' is both a dataset and a model: add --kind dataset or --kind model")
        }
    }
}
