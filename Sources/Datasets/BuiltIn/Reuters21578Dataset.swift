import DataIO
import Foundation
import Store

/// Reuters-21578 (Lewis 1997), ModApte split, multi-label news topics: `train.csv` (7,775
/// documents) and `test.csv` (3,019), RFC 4180 CSV with header `id,text,labels`, the TOPICS
/// categories joined by `;`; `labels.csv` (`label,train,test`) counts the documents of each of
/// the 118 categories.
///
/// The labels are the usual "ModApte 90": the categories with documents in both files (NLTK's
/// `reuters` corpus has the same 90), in `labels.csv` order (most documents first). Other
/// categories are dropped from a document's set, and a document left with none is dropped (5
/// in train), which leaves 7,770 train and 3,019 test documents.
///
/// Default split: test = test.csv; validation = a seeded tenth of train.csv (seed 123), not
/// stratified (stratifying by a document's first label would mean little).
public struct Reuters21578Dataset: DatasetAdapter {
    public static let archive = "reuters21578-modapte.zip"
    public static let countsMember = "labels.csv"

    public let name = "reuters-21578"
    public let summary = "Reuters-21578 ModApte: 7,770 + 3,019 news stories, 90 topics, multi-label"
    public var source: DatasetSource { .store(.dataset(name), files: [Self.archive]) }
    public var defaultSplitPolicy: SplitPolicy {
        .sourceSplits(train: "train", validation: nil, test: "test", validationFromTrain: 0.1, seed: 123, stratify: false)
    }

    public init() {}

    public func load(using store: Store) throws -> RawDataset {
        try Self.read(archive: store.resolve(.dataset(name), file: Self.archive), dataset: name)
    }

    /// Reads an archive laid out as reuters21578-modapte.zip (the adapter's whole reading,
    /// without the Store).
    public static func read(archive zip: URL, dataset: String = "reuters-21578") throws -> RawDataset {
        var countsFormat = CSVFormat.csv
        countsFormat.fieldCount = 3
        let counts = try CSVReader(path: zip.path, member: countsMember, format: countsFormat, columns: [.name("label"), .name("train"), .name("test")])
        var names: [String] = []
        while let row = try counts.next() {
            guard let train = Int(row[1]), let test = Int(row[2]) else {
                throw counts.error("train and test must be document counts, got \"\(row[1])\" and \"\(row[2])\"")
            }
            if train > 0, test > 0 { names.append(row[0]) }
        }
        let labels: LabelSet
        do { labels = try LabelSet(names) } catch let error as DatasetError {
            throw ReadError(.invalidValue, counts.location, "no usable label list: \(error.description)")
        }
        var layout = TableLayout(format: .csv, textColumns: ["text"], labelColumn: "labels", idColumn: "id", labels: .inferred())
        layout.labelSeparator = ";"
        return try layout.read([TableFile(split: "train", path: zip, member: "train.csv"),
                                TableFile(split: "test", path: zip, member: "test.csv")], dataset: dataset)
            .keepingLabels(labels)
    }
}

extension RawDataset {
    /// A multi-label dataset restricted to the classes of `kept` (in its order): other labels
    /// leave each example's set, and an example left with none leaves the dataset.
    public func keepingLabels(_ kept: LabelSet) throws -> RawDataset {
        let mapping = labels.names.map { kept.index(of: $0) }
        let restricted = sources.map { source in
            SourceSplit(name: source.name, location: source.location, examples: source.examples.compactMap { example in
                let ids = example.allLabels.compactMap { mapping[$0] }
                return ids.isEmpty ? nil : Example(text: example.text, classIDs: ids, id: example.id, row: example.row)
            })
        }
        return try RawDataset(name: name, labels: kept, sources: restricted, skipped: skipped)
    }
}
