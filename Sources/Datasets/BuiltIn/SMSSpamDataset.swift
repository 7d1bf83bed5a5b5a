import Common
import DataIO
import Foundation
import Store

/// UCI SMS Spam Collection: one member `SMSSpamCollection`, lines `label<TAB>text`, no header,
/// no quoting (the texts hold raw `"`), labels ham (0) and spam (1). 5,574 rows: 4,827 ham, 747 spam.
///
/// Default split: the reference recipe (Raschka, LLMs from scratch, ch. 6): undersample ham to
/// the spam count, shuffle, cut 70/10/20 → 1,045 / 149 / 300 of 1,494, seed 123.
public struct SMSSpamDataset: DatasetAdapter {
    public static let archive = "sms+spam+collection.zip"
    public static let member = "SMSSpamCollection"

    public let name = "sms-spam"
    public let summary = "UCI SMS Spam Collection: 5,574 SMS, ham/spam"
    public var source: DatasetSource { .store(.dataset(name), files: [Self.archive]) }
    public var defaultSplitPolicy: SplitPolicy { .ratios(train: 0.7, validation: 0.1, test: 0.2, seed: 123, balance: true) }

    public init() {}

    public func load(using store: Store) throws -> RawDataset {
        let zip = try store.resolve(.dataset(name), file: Self.archive)
        var format = CSVFormat.tsv
        format.hasHeader = false
        format.quoting = .none
        let layout = TableLayout(format: format, textColumns: [1], labelColumn: 0, labels: .fixed(try LabelSet(["ham", "spam"])))
        return try layout.read([TableFile(split: "all", path: zip, member: Self.member)], dataset: name)
    }
}
