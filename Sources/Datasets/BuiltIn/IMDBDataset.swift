import DataIO
import Foundation
import Store

/// Large Movie Review Dataset: `imdb_train.csv` and `imdb_test.csv`, 25,000 reviews each
/// (12,500 neg / 12,500 pos), RFC 4180 CSV with header `label,rating,id,text`. Labels neg/pos
/// are named negative/positive (as in sst2); the review id becomes `Example.id`. Each `<br />`
/// (the reviews' only markup, also as `<br/>` or `<br>`) becomes a line break.
///
/// Default split: test = imdb_test.csv; validation = 10% of imdb_train.csv (stratified, seed 123).
public struct IMDBDataset: DatasetAdapter {
    public static let archive = "imdb.zip"

    public let name = "imdb"
    public let summary = "Large Movie Review Dataset: 25,000 + 25,000 reviews, negative/positive"
    public var source: DatasetSource { .store(.dataset(name), files: [Self.archive]) }
    public var defaultSplitPolicy: SplitPolicy {
        .sourceSplits(train: "train", validation: nil, test: "test", validationFromTrain: 0.1, seed: 123, stratify: true)
    }

    public init() {}

    public func load(using store: Store) throws -> RawDataset {
        let zip = try store.resolve(.dataset(name), file: Self.archive)
        let layout = TableLayout(format: .csv, textColumns: ["text"], labelColumn: "label", idColumn: "id",
                                 labels: .fixed(try LabelSet(["negative", "positive"]), map: ["neg": "negative", "pos": "positive"]),
                                 makeText: { Self.replaceLineBreakTags($0.joined(separator: "\n")) })
        return try layout.read([TableFile(split: "train", path: zip, member: "imdb_train.csv"),
                                TableFile(split: "test", path: zip, member: "imdb_test.csv")], dataset: name)
    }

    /// `<br />`, `<br/>` and `<br>` (any case) → "\n".
    public static func replaceLineBreakTags(_ text: String) -> String {
        guard text.contains("<") else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count)
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<") {
            result += rest[..<open]
            let tail = rest[open...]
            if let tag = ["<br />", "<br/>", "<br>"].first(where: { tail.prefix($0.count).lowercased() == $0 }) {
                result += "\n"
                rest = tail.dropFirst(tag.count)
            } else {
                result += "<"
                rest = tail.dropFirst()
            }
        }
        result += rest
        return result
    }
}
