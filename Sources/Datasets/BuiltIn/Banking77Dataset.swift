import DataIO
import Foundation
import Store

/// BANKING77 (Casanueva et al. 2020), intent recognition: `train.csv` (10,003 rows) and
/// `test.csv` (3,080, 40 per intent), RFC 4180 CSV with header `text,category`, 77 intents
/// (35–187 training rows each). The class names and their order come from `categories.json`
/// in the archive (a JSON array of the 77 names); a row whose category is not one of them is
/// an error naming the row.
///
/// Default split: test = test.csv; validation = 10% of train.csv, stratified (every intent
/// keeps its share), seed 123.
public struct Banking77Dataset: DatasetAdapter {
    public static let archive = "banking77.zip"
    public static let categoriesMember = "categories.json"

    public let name = "banking77"
    public let summary = "BANKING77: 10,003 + 3,080 online-banking queries, 77 intents"
    public var source: DatasetSource { .store(.dataset(name), files: [Self.archive]) }
    public var defaultSplitPolicy: SplitPolicy {
        .sourceSplits(train: "train", validation: nil, test: "test", validationFromTrain: 0.1, seed: 123, stratify: true)
    }

    public init() {}

    public func load(using store: Store) throws -> RawDataset {
        try Self.read(archive: store.resolve(.dataset(name), file: Self.archive), dataset: name)
    }

    /// Reads an archive laid out as banking77.zip (the adapter's whole reading, without the Store).
    public static func read(archive zip: URL, dataset: String = "banking77") throws -> RawDataset {
        let reader = try ArchiveReader(path: zip.path)
        let member = try reader.member(categoriesMember).name
        let location = DataLocation(file: zip.path, member: member)
        let names: [String]
        do { names = try JSONDecoder().decode([String].self, from: Data(reader.readAll(member: member))) } catch is DecodingError {
            throw ReadError(.invalidValue, location, "not a JSON array of intent names")
        }
        let labels: LabelSet
        do { labels = try LabelSet(names) } catch let error as DatasetError {
            throw ReadError(.invalidValue, location, "not a list of intent names: \(error.description)")
        }
        let layout = TableLayout(format: .csv, textColumns: ["text"], labelColumn: "category", labels: .fixed(labels))
        return try layout.read([TableFile(split: "train", path: zip, member: "train.csv"),
                                TableFile(split: "test", path: zip, member: "test.csv")], dataset: dataset)
    }
}
