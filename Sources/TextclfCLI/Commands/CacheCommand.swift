import ArgumentParser
import Foundation
import Store

/// `textclf cache ls|rm`: what the Store has cached, and removing it.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "List or remove cached datasets and models.",
        discussion: """
        The cache is $TEXTCLF_HOME, else $XDG_CACHE_HOME/textclf, else ~/.cache/textclf, laid out \
        KIND/NAME/FILE (datasets/sms-spam/sms+spam+collection.zip).

        Examples:
          textclf cache ls
          textclf cache verify
          textclf cache rm gpt2
        """,
        subcommands: [CacheList.self, CacheVerify.self, CacheRemove.self]
    )
}

struct CacheList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List cached files with their size and whether they are verified.",
        discussion: """
        Status: verified (matches the manifest's checksum), unverified (not checked since it changed; \
        --verify checks it), unchecked (the manifest has no checksum), failed, partial (an unfinished \
        download), bad (moved aside after failing its check), unknown (not in the manifest), \
        broken-link. JSON lines (--json), one per file: kind, name, file, path, bytes, status, link_target \
        (null unless a link into a mirror), detail (null or why it failed).

        Example:
          textclf cache ls --verify
        """
    )

    @Flag(help: "Hash files that have no valid verified stamp (slow for big files).")
    var verify = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let store = try self.store.makeStore()
        CacheTable.show(store.cacheContents(verify: verify), of: store, json: output.json)
    }
}

/// `textclf cache verify`: hashes every cached file again. A verified stamp trusts a file's
/// size and modification time, which a corruption in place (a bad disk, a stray write) keeps.
struct CacheVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Hash every cached file again and compare it with the manifest (exit 1 if any fails).",
        discussion: """
        Unlike `cache ls --verify`, this ignores the verified stamps and reads every byte. A file that \
        fails is reported (status failed, with the reason); the next run that needs it moves it aside and \
        fetches it again, or run `textclf fetch --verify NAME` now. Output as `cache ls`.

        Examples:
          textclf cache verify
          textclf cache verify all-MiniLM-L6-v2 --json
        """
    )

    @Argument(help: "Entry names to verify (default: everything cached).")
    var names: [String] = []

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let store = try self.store.makeStore()
        let entries = try names.isEmpty ? nil : Set(names.map { try self.store.ref(named: $0, in: store, alsoCached: true) })
        let files = store.cacheContents(rehash: true, entries: entries)
        CacheTable.show(files, of: store, json: output.json)
        let failed = files.filter { $0.status == .failed }
        if !failed.isEmpty {
            throw RunFailure("\(failed.count) cached file\(failed.count == 1 ? "" : "s") failed verification: "
                             + failed.map { "\($0.ref) \($0.file) (\($0.detail ?? "failed"))" }.joined(separator: "; "))
        }
    }
}

/// The listing `cache ls` and `cache verify` print.
enum CacheTable {
    static func show(_ files: [CachedFile], of store: Store, json: Bool) {
        if json {
            for file in files {
                JSONLines.emit(["kind": file.ref.kind.rawValue, "name": file.ref.name, "file": file.file, "path": file.url.path,
                                "bytes": file.bytes, "status": file.status.rawValue,
        "link_target": file.linkTarget?.path ?? NSNull(), "detail": file.detail ?? NSNull()])
            }
            return
        }
        Log.info("cache: \(store.configuration.cacheDirectory.path)")
        guard !files.isEmpty else { return print("(empty)") }
        var current: EntryRef?
        let width = files.map(\.file.count).max() ?? 0
        for file in files {
            if file.ref != current {
                current = file.ref
                print("\(file.ref)")
            }
            var line = "  \(file.file.padding(toLength: width, withPad: " ", startingAt: 0))  \(ByteCount.format(file.bytes).leftPadded(9))  \(file.status.rawValue)"
            if let target = file.linkTarget { line += "  -> \(target.path)" }
            if let detail = file.detail { line += "  (\(detail))" }
            print(line)
        }
        let total = files.filter { $0.linkTarget == nil }.reduce(Int64(0)) { $0 + $1.bytes }
        print("total \(ByteCount.format(total)) in \(Set(files.map(\.ref)).count) entries")
    }
}

struct CacheRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove cached entries (never mirror files), or everything with --all.",
        discussion: """
        --all removes every cached dataset and model but keeps $TEXTCLF_HOME/manifest.json. JSON lines \
        (--json), one per entry: kind, name (both null for --all), removed (bool), bytes_freed.

        Examples:
          textclf cache rm gpt2
          textclf cache rm --all
        """
    )

    @Argument(help: "Entry names to remove.")
    var names: [String] = []

    @Flag(help: "Remove every cached dataset and model.")
    var all = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if all == !names.isEmpty { throw ValidationError("give entry names or --all (not both)") }
    }

    func run() throws {
        let store = try self.store.makeStore()
        if all {
            let freed = try store.clearCache()
            if output.json {
                JSONLines.emit(["kind": NSNull(), "name": NSNull(), "removed": true, "bytes_freed": freed])
            } else {
                print("removed everything under \(store.configuration.cacheDirectory.path) (\(ByteCount.format(freed)) freed)")
            }
            return
        }
        for name in names {
            let ref = try self.store.ref(named: name, in: store, alsoCached: true)
            let freed = try store.removeFromCache(ref)
            if output.json {
                JSONLines.emit(["kind": ref.kind.rawValue, "name": ref.name, "removed": freed != nil, "bytes_freed": freed ?? 0])
            } else if let freed {
                print("removed \(ref) (\(ByteCount.format(freed)) freed)")
            } else {
                print("nothing cached for \(ref)")
            }
        }
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
