import Common
import Foundation
import Store

/// BBC News (Greene & Cunningham 2006): `bbc_news_2225.csv`, header `label,file,text`, 2,225
/// multi-line articles in 5 classes, named as in the data: business (510), entertainment (386),
/// politics (417), sports (511), tech (401). The text is kept as is (title, blank line, body).
///
/// Default split: 70/10/20, stratified, seed 123.
public struct BBCNewsDataset: DatasetAdapter {
    public static let archive = "bbc-news.zip"

    public let name = "bbc-news"
    public let summary = "BBC News: 2,225 articles, 5 topics"
    public var source: DatasetSource { .store(.dataset(name), files: [Self.archive]) }
    public var defaultSplitPolicy: SplitPolicy { .ratios(train: 0.7, validation: 0.1, test: 0.2, seed: 123, stratify: true) }

    public init() {}

    public func load(using store: Store) throws -> RawDataset {
        let zip = try store.resolve(.dataset(name), file: Self.archive)
        let labels = try LabelSet(["business", "entertainment", "politics", "sports", "tech"])
        let layout = TableLayout(format: .csv, textColumns: ["text"], labelColumn: "label", labels: .fixed(labels))
        return try layout.read([TableFile(split: "all", path: zip, member: "bbc_news_2225.csv")], dataset: name)
    }
}
