import ArgumentParser
import Foundation
import Store

/// `textclf fetch NAME...`: puts every file of a dataset or model into the cache, from a
/// mirror (copied) or a verified download, so later runs need neither.
struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download (or copy from a mirror) every file of a dataset or model into the cache.",
        discussion: """
        Files already in the cache are only checked: by their verified stamp (size and modification time \
        unchanged since they were hashed), or with --verify by hashing them again. Each file is checked against the size and sha256 in \
        the manifest; a file that fails is moved aside (FILE.bad-TIME) and never used. JSON lines \
        (--json), one per file: kind, name, file, path, bytes, source (cache, mirror-copy, download), \
        status (verified, unchecked), error (null, or why it is missing).

        Examples:
          textclf fetch gpt2
          textclf fetch --verify all-MiniLM-L6-v2
          TEXTCLF_MIRROR=/data/mirror textclf fetch sms-spam --offline --json
        """
    )

    @Argument(help: "Names of manifest entries (see `textclf cache ls`, Datasets/*.json).")
    var names: [String]

    @Flag(help: "Hash cached files again instead of trusting their verified stamp; a bad one is moved aside and fetched anew.")
    var verify = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let store = try self.store.makeStore()
        let refs = try names.map { try self.store.ref(named: $0, in: store) }
        var failure: Error?
        for ref in refs {
            if !output.json { Log.info("\(ref): \(store.cacheDirectory(for: ref).path)") }
            do {
                report(try store.fetch(ref, rehash: verify))
            } catch let error as FetchError {
                report(error.fetched)
                for missing in error.failures {
                    if output.json {
                        JSONLines.emit(["kind": ref.kind.rawValue, "name": ref.name, "file": missing.file, "path": NSNull(),
        "bytes": NSNull(), "source": NSNull(), "status": "missing", "error": missing.description])
                    }
                }
                failure = error
            }
        }
        if let failure { throw failure }
    }

    private func report(_ files: [ResolvedFile]) {
        let width = files.map(\.file.count).max() ?? 0
        for file in files {
            if output.json {
                JSONLines.emit(["kind": file.ref.kind.rawValue, "name": file.ref.name, "file": file.file, "path": file.url.path,
                                "bytes": file.bytes, "source": file.source.kind, "status": file.status.rawValue, "error": NSNull()])
            } else {
                print("  \(file.file.padding(toLength: width, withPad: " ", startingAt: 0))  \(ByteCount.format(file.bytes))  \(file.status.rawValue)  (\(file.source))")
            }
        }
    }
}
