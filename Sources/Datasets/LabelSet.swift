/// The class names of a dataset, in class-id order: `names[i]` is the name of class `i`.
///
///     let labels = try LabelSet(["ham", "spam"])
///     labels.index(of: "spam")   // 1
///     labels[0]                  // "ham"
public struct LabelSet: Sendable, Hashable, Codable, CustomStringConvertible {
    public let names: [String]
    private let indexByName: [String: Int]

    /// Names must be distinct and non-empty, and there must be at least two classes.
    public init(_ names: [String]) throws {
        guard names.count >= 2 else {
            throw DatasetError("a label set needs at least two classes, got \(names.count)\(names.isEmpty ? "" : ": " + LabelSet.quoted(names))")
        }
        var index: [String: Int] = [:]
        for (i, name) in names.enumerated() {
            guard !name.isEmpty else { throw DatasetError("label names must not be empty (class \(i) of \(LabelSet.quoted(names)))") }
            guard index[name] == nil else { throw DatasetError("label \"\(name)\" appears twice in \(LabelSet.quoted(names))") }
            index[name] = i
        }
        self.names = names
        indexByName = index
    }

    public var count: Int { names.count }
    public subscript(index: Int) -> String { names[index] }
    public func index(of name: String) -> Int? { indexByName[name] }

    public var description: String { LabelSet.quoted(names) }

    static func quoted(_ names: [String]) -> String { names.map { "\"\($0)\"" }.joined(separator: ", ") }

    /// Inferred labels are sorted: numerically when every name is an integer ("2" before "10"),
    /// otherwise by Unicode code points.
    public static func sortedNames<S: Sequence>(_ names: S) -> [String] where S.Element == String {
        let unique = Array(Set(names))
        let numbered = unique.compactMap { name in Int(name).map { (name: name, value: $0) } }
        if numbered.count == unique.count {
            return numbered.sorted { ($0.value, $0.name) < ($1.value, $1.name) }.map(\.name)
        }
        return unique.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
    }

    // Codable as a plain array of names.
    public init(from decoder: Decoder) throws {
        try self.init(decoder.singleValueContainer().decode([String].self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(names)
    }

    public static func == (a: LabelSet, b: LabelSet) -> Bool { a.names == b.names }
    public func hash(into hasher: inout Hasher) { hasher.combine(names) }
}
