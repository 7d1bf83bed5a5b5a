import Common
import DataIO
import Foundation
import Store

/// The text set the benches share: the 25,000 IMDB training reviews, which is also what the
/// tiktoken anchor reads, so figures compare like with like. The zip comes from the Store
/// (cache, $TEXTCLF_MIRROR, or a verified download); the texts from DataIO's CSV reader.
enum BenchTexts {
    static let imdb = EntryRef.dataset("imdb")
    static let imdbArchive = "imdb.zip"
    static let imdbTrainMember = "imdb_train.csv"
    static let textColumn = "text"

    /// The Store from the environment, with `mirror` (if given) searched before $TEXTCLF_MIRROR.
    static func store(mirror: String? = nil) throws -> Store {
        var configuration = StoreConfiguration.fromEnvironment()
        if let mirror { configuration.mirrors.insert(URL(fileURLWithPath: mirror, isDirectory: true), at: 0) }
        return try Store(configuration: configuration)
    }

    /// The IMDB zip, checked against the manifest.
    static func imdbZip(store: Store) throws -> ResolvedFile {
        try store.locate(imdb, file: imdbArchive)
    }

    /// The `text` column of imdb_train.csv, in file order.
    static func imdbTrain(store: Store) throws -> [String] {
        try column(textColumn, of: imdbTrainMember, in: imdbZip(store: store).url.path)
    }

    /// One column of a CSV (with a header) inside an archive, or of a plain CSV file.
    static func column(_ name: String, of member: String?, in archive: String) throws -> [String] {
        let reader = try CSVReader(path: archive, member: member, columns: [.name(name)])
        var texts: [String] = []
        while let row = try reader.next() { texts.append(row[0]) }
        return texts
    }
}
