import Common
import Foundation

/// What a manifest entry holds. The raw value is the `kind` in the JSON; `directoryName` is
/// the folder under a cache or mirror root (`datasets/NAME/FILE`, `models/NAME/FILE`).
public enum EntryKind: String, Sendable, CaseIterable {
    case dataset, model

    public var directoryName: String {
        switch self {
        case .dataset: "datasets"
        case .model: "models"
        }
    }
}

/// Names one manifest entry: `.dataset("sms-spam")`, `.model("gpt2")`.
public struct EntryRef: Hashable, Sendable, CustomStringConvertible {
    public let kind: EntryKind
    public let name: String

    public init(kind: EntryKind, name: String) {
        self.kind = kind
        self.name = name
    }

    public static func dataset(_ name: String) -> EntryRef { EntryRef(kind: .dataset, name: name) }
    public static func model(_ name: String) -> EntryRef { EntryRef(kind: .model, name: name) }

    /// `KIND/NAME`, the entry's directory relative to a cache or mirror root.
    public var relativePath: String { "\(kind.directoryName)/\(name)" }
    public var description: String { "\(kind.rawValue) \(name)" }
}

/// The checksum of one member of an archive, for archives whose own bytes differ between
/// sources (UCI's SMS zip also holds a readme): the member is what has to be right.
public struct MemberChecksum: Hashable, Sendable {
    public var name: String
    public var size: Int64?
    public var sha256: String

    public init(name: String, size: Int64?, sha256: String) {
        self.name = name
        self.size = size
        self.sha256 = sha256
    }
}

/// One file of an entry: where it can be downloaded (in order; later URLs are backups) and
/// what it must look like. `size`/`sha256` are nil when not known; nothing is checked then.
public struct ManifestFile: Hashable, Sendable {
    public var name: String
    public var urls: [URL]
    public var size: Int64?
    public var sha256: String?
    public var member: MemberChecksum?
    public var note: String?

    public init(name: String, urls: [URL], size: Int64? = nil, sha256: String? = nil,
                member: MemberChecksum? = nil, note: String? = nil) {
        self.name = name
        self.urls = urls
        self.size = size
        self.sha256 = sha256
        self.member = member
        self.note = note
    }

    /// True when a content check (sha256 of the file or of a member) is possible.
    public var hasChecksum: Bool { sha256 != nil || member != nil }
}

/// A dataset or a model: a named set of files.
public struct ManifestEntry: Hashable, Sendable {
    public var kind: EntryKind
    public var name: String
    public var description: String?
    public var homepage: String?
    public var license: String?
    public var files: [ManifestFile]
    /// The manifest file this entry was read from (for messages).
    public var source: String

    public init(kind: EntryKind, name: String, description: String? = nil, homepage: String? = nil,
                license: String? = nil, files: [ManifestFile], source: String = "code") {
        self.kind = kind
        self.name = name
        self.description = description
        self.homepage = homepage
        self.license = license
        self.files = files
        self.source = source
    }

    public var ref: EntryRef { EntryRef(kind: kind, name: name) }

    public func file(named name: String) -> ManifestFile? { files.first { $0.name == name } }
}

/// Every known dataset and model. The built-in part comes from `Datasets/*.json` (compiled in,
/// see `BuiltinManifest`); users add or replace entries with their own manifest files.
public struct Manifest: Sendable {
    public private(set) var entries: [ManifestEntry]

    public init(entries: [ManifestEntry] = []) {
        self.entries = []
        for entry in entries { add(entry) }
    }

    /// The manifests compiled into the binary.
    public static func builtin() throws -> Manifest {
        var manifest = Manifest()
        for source in BuiltinManifest.sources {
            manifest.merge(try parse(Data(source.json.utf8), source: "built-in \(source.file)"))
        }
        return manifest
    }

    public static func load(from url: URL) throws -> Manifest {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ManifestError(source: url.path, "cannot read it: \(error.localizedDescription)")
        }
        return try parse(data, source: url.path)
    }

    /// Adds `entry`, replacing an entry of the same kind and name (so a user manifest can
    /// override a built-in one, e.g. to add a URL).
    public mutating func add(_ entry: ManifestEntry) {
        if let index = entries.firstIndex(where: { $0.ref == entry.ref }) {
            entries[index] = entry
        } else {
            entries.append(entry)
        }
    }

    public mutating func merge(_ other: Manifest) {
        for entry in other.entries { add(entry) }
    }

    public func entry(_ ref: EntryRef) -> ManifestEntry? { entries.first { $0.ref == ref } }

    /// Entries of either kind called `name` (the CLI takes bare names).
    public func entries(named name: String) -> [ManifestEntry] { entries.filter { $0.name == name } }

    /// The entry, or an error listing the known names of that kind.
    public func require(_ ref: EntryRef) throws -> ManifestEntry {
        if let entry = entry(ref) { return entry }
        let known = entries.filter { $0.kind == ref.kind }.map(\.name).joined(separator: ", ")
        throw UnknownEntryError(description: "no \(ref.kind.rawValue) named '\(ref.name)' in the manifest (known: \(known))")
    }

    public func require(_ ref: EntryRef, file: String) throws -> (ManifestEntry, ManifestFile) {
        let entry = try require(ref)
        guard let spec = entry.file(named: file) else {
            let known = entry.files.map(\.name).joined(separator: ", ")
            throw UnknownEntryError(description: "\(ref) has no file named '\(file)' (its files: \(known))")
        }
        return (entry, spec)
    }

    // MARK: - Parsing

    public static let formatTag = "textclf-manifest/1"

    /// Parses and validates one manifest document. Unknown keys are errors, so a misspelt
    /// `sha256` cannot silently turn a check off.
    public static func parse(_ data: Data, source: String) throws -> Manifest {
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw ManifestError(source: source, "not valid JSON: \(error.localizedDescription)")
        }
        guard let object = root as? [String: Any] else { throw ManifestError(source: source, "the top level must be an object") }
        try checkKeys(object, allowed: ["format", "entries"], source: source, at: "top level")
        guard object["format"] as? String == formatTag else {
            throw ManifestError(source: source, "\"format\" must be \"\(formatTag)\"")
        }
        guard let rawEntries = object["entries"] as? [Any] else { throw ManifestError(source: source, "\"entries\" must be an array") }
        var manifest = Manifest()
        for (index, raw) in rawEntries.enumerated() {
            let entry = try parseEntry(raw, index: index, source: source)
            if manifest.entry(entry.ref) != nil {
                throw ManifestError(source: source, "\(entry.ref) appears twice")
            }
            manifest.add(entry)
        }
        return manifest
    }

    private static func parseEntry(_ raw: Any, index: Int, source: String) throws -> ManifestEntry {
        guard let object = raw as? [String: Any] else { throw ManifestError(source: source, "entries[\(index)] must be an object") }
        let place = "entries[\(index)]"
        try checkKeys(object, allowed: ["kind", "name", "description", "homepage", "license", "files"], source: source, at: place)
        guard let kindText = object["kind"] as? String, let kind = EntryKind(rawValue: kindText) else {
            throw ManifestError(source: source, "\(place): \"kind\" must be \"dataset\" or \"model\"")
        }
        let name = try safeName(object["name"], source: source, at: place)
        let entryPlace = "\(kind.rawValue) \(name)"
        guard let rawFiles = object["files"] as? [Any], !rawFiles.isEmpty else {
            throw ManifestError(source: source, "\(entryPlace): \"files\" must be a non-empty array")
        }
        var files: [ManifestFile] = []
        for raw in rawFiles {
            let file = try parseFile(raw, source: source, at: entryPlace)
            if files.contains(where: { $0.name == file.name }) {
                throw ManifestError(source: source, "\(entryPlace): file '\(file.name)' appears twice")
            }
            files.append(file)
        }
        return ManifestEntry(kind: kind, name: name, description: try optionalString(object["description"], source: source, at: entryPlace),
                             homepage: try optionalString(object["homepage"], source: source, at: entryPlace),
                             license: try optionalString(object["license"], source: source, at: entryPlace),
                             files: files, source: source)
    }

    private static func parseFile(_ raw: Any, source: String, at entry: String) throws -> ManifestFile {
        guard let object = raw as? [String: Any] else { throw ManifestError(source: source, "\(entry): each file must be an object") }
        try checkKeys(object, allowed: ["name", "urls", "size", "sha256", "member", "note"], source: source, at: entry)
        let name = try safeName(object["name"], source: source, at: entry)
        let place = "\(entry) file \(name)"
        guard let rawURLs = object["urls"] as? [Any] else { throw ManifestError(source: source, "\(place): \"urls\" must be an array (it may be empty)") }
        var urls: [URL] = []
        for raw in rawURLs {
            guard let text = raw as? String, let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                  url.host != nil else {
                throw ManifestError(source: source, "\(place): \(raw) is not an http(s) URL")
            }
            urls.append(url)
        }
        var member: MemberChecksum?
        if let rawMember = object["member"], !(rawMember is NSNull) {
            guard let memberObject = rawMember as? [String: Any] else { throw ManifestError(source: source, "\(place): \"member\" must be an object") }
            try checkKeys(memberObject, allowed: ["name", "size", "sha256"], source: source, at: place)
            guard let memberName = memberObject["name"] as? String, !memberName.isEmpty else {
                throw ManifestError(source: source, "\(place): \"member.name\" must be a non-empty string")
            }
            guard let memberSHA = try sha256(memberObject["sha256"], source: source, at: place) else {
                throw ManifestError(source: source, "\(place): \"member.sha256\" is required")
            }
            member = MemberChecksum(name: memberName, size: try size(memberObject["size"], source: source, at: place), sha256: memberSHA)
        }
        return ManifestFile(name: name, urls: urls, size: try size(object["size"], source: source, at: place),
                            sha256: try sha256(object["sha256"], source: source, at: place), member: member,
                            note: try optionalString(object["note"], source: source, at: place))
    }

    private static func checkKeys(_ object: [String: Any], allowed: Set<String>, source: String, at place: String) throws {
        let unknown = Set(object.keys).subtracting(allowed)
        if !unknown.isEmpty {
            throw ManifestError(source: source, "\(place): unknown key(s) \(unknown.sorted().joined(separator: ", ")) (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// Entry and file names become path components under the cache, so they must be plain.
    private static func safeName(_ raw: Any?, source: String, at place: String) throws -> String {
        guard let name = raw as? String else { throw ManifestError(source: source, "\(place): \"name\" must be a string") }
        guard !name.isEmpty, !name.hasPrefix("."), !name.contains("/"), !name.contains("\0"), !name.hasSuffix(".part"),
              !name.contains(".bad-") else {
            throw ManifestError(source: source, "\(place): '\(name)' is not a usable name (no '/', no leading '.', not *.part or *.bad-*)")
        }
        return name
    }

    private static func optionalString(_ raw: Any?, source: String, at place: String) throws -> String? {
        guard let raw, !(raw is NSNull) else { return nil }
        guard let text = raw as? String else { throw ManifestError(source: source, "\(place): \(raw) should be a string") }
        return text
    }

    private static func size(_ raw: Any?, source: String, at place: String) throws -> Int64? {
        guard let raw, !(raw is NSNull) else { return nil }
        guard let number = raw as? NSNumber, number.doubleValue >= 0, number.doubleValue == number.doubleValue.rounded(),
              number.doubleValue < 9e15 else {
            throw ManifestError(source: source, "\(place): size \(raw) must be a whole number of bytes")
        }
        return number.int64Value
    }

    private static func sha256(_ raw: Any?, source: String, at place: String) throws -> String? {
        guard let raw, !(raw is NSNull) else { return nil }
        guard let text = (raw as? String)?.lowercased(), text.count == 64, text.allSatisfy({ $0.isHexDigit }) else {
            throw ManifestError(source: source, "\(place): sha256 \(raw) must be 64 hex digits")
        }
        return text
    }
}

/// A manifest file is malformed. Names the file and the entry at fault.
public struct ManifestError: InputError {
    public let description: String
    public init(source: String, _ problem: String) { description = "manifest \(source): \(problem)" }
}

/// The name is not in the manifest (a typo, usually); lists what is.
public struct UnknownEntryError: InputError {
    public let description: String
    public init(description: String) { self.description = description }
}
