import Common
import DataIO
import Foundation
import Store

/// Stanford Sentiment Treebank, binary: `train.tsv` (67,349), `dev.tsv` (872) and a labelled
/// `test.tsv` (1,821), each with a header and the label first (`label<TAB>sentence`; the test
/// file says `content`). Labels 0/1 are named negative/positive.
///
/// Default split: the source's own (train, validation = dev, test).
public struct SST2Dataset: DatasetAdapter {
    public static let archive = "sst2.zip"

    public let name = "sst2"
    public let summary = "Stanford Sentiment Treebank (binary): 67,349 / 872 / 1,821 sentences, negative/positive"
    public var source: DatasetSource { .store(.dataset(name), files: [Self.archive]) }
    public var defaultSplitPolicy: SplitPolicy { .sourceSplits(train: "train", validation: "dev", test: "test") }

    public init() {}

    public func load(using store: Store) throws -> RawDataset {
        let zip = try store.resolve(.dataset(name), file: Self.archive)
        var format = CSVFormat.tsv
        format.quoting = .none
        // Columns by position: the header names differ between the files.
        let layout = TableLayout(format: format, textColumns: [1], labelColumn: 0,
                                 labels: .fixed(try LabelSet(["negative", "positive"]), map: ["0": "negative", "1": "positive"]))
        return try layout.read(["train", "dev", "test"].map { TableFile(split: $0, path: zip, member: "\($0).tsv") }, dataset: name)
    }
}
