import Common
import DataIO
import Foundation
import Store

/// AG's news corpus, test split only (the 120,000-row train split is not available):
/// `ag_news_csv/test.csv`, 7,600 rows, 1,900 per class, no header, columns class (1–4), title,
/// description. The class names come from `ag_news_csv/classes.txt` in the archive (World,
/// Sports, Business, Sci/Tech); class k is line k.
///
/// Text: title and description, each cleaned (`clean`), joined with ". " — or with a space when
/// the title already ends in `.`, `!`, `?` or `:`.
///
/// Default split: 80/20 train/test, stratified, then 10% of train (stratified) as validation;
/// seed 123. That is 1,368 / 152 / 380 examples per class.
public struct AGNewsDataset: DatasetAdapter {
    public static let archive = "ag_news_csv.zip"

    public let name = "ag-news"
    public let summary = "AG's news (test split only): 7,600 headlines + descriptions, 4 topics"
    public var source: DatasetSource { .store(.dataset(name), files: [Self.archive]) }
    public var defaultSplitPolicy: SplitPolicy {
        .ratios(train: 0.8, validation: 0, test: 0.2, validationFromTrain: 0.1, seed: 123, stratify: true)
    }

    public init() {}

    public func load(using store: Store) throws -> RawDataset {
        let zip = try store.resolve(.dataset(name), file: Self.archive)
        let reader = try ArchiveReader(path: zip.path)
        let classesMember = try reader.member("*classes.txt").name
        let classesText = try reader.open(member: classesMember).readAllText()
        let names = classesText.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .reversed().drop(while: \.isEmpty).reversed()
        let labels: LabelSet
        do { labels = try LabelSet(Array(names)) } catch let error as DatasetError {
            throw ReadError(.invalidValue, DataLocation(file: zip.path, member: classesMember), "not a list of class names, one per line: \(error.description)")
        }
        var format = CSVFormat.csv
        format.hasHeader = false
        let map = Dictionary(uniqueKeysWithValues: labels.names.enumerated().map { (String($0 + 1), $1) })
        let layout = TableLayout(format: format, textColumns: [1, 2], labelColumn: 0, labels: .fixed(labels, map: map),
                                 makeText: { Self.joinTitle(Self.clean($0[0]), Self.clean($0[1])) })
        return try layout.read([TableFile(split: "all", path: zip, member: "*test.csv")], dataset: name)
    }

    /// Title and description joined as the type documentation says.
    public static func joinTitle(_ title: String, _ description: String) -> String {
        if title.isEmpty { return description }
        if description.isEmpty { return title }
        let separator = title.last.map { ".!?:".contains($0) } == true ? " " : ". "
        return title + separator + description
    }

    /// Undoes the file's escapes, as found in it:
    /// - HTML entities whose `&` became a space (` #39;` → `'`, ` quot;` → `"`, ` amp;` → `&`,
    ///   ` #36;` → `$`, ` #151;` → `—`, ...) and intact ones (`&lt;`, `&gt;`): numeric ones
    ///   (codes 128–159 read as Windows-1252, the encoding they came from) and the named ones
    ///   quot, amp, lt, gt, apos, nbsp, hellip, mdash, ndash. The space standing for `&` goes.
    /// - `\$` → `$`; every other backslash is a line break the crawler escaped → "\n".
    /// - Runs of spaces → one space; leading and trailing whitespace dropped.
    /// HTML markup inside the texts (`<b>`, `<FONT ...>`, a few dozen rows) is kept.
    public static func clean(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "\\" {
                if i + 1 < scalars.count, scalars[i + 1] == "$" {
                    out.append("$")
                    i += 2
                } else {
                    out.append("\n")
                    i += 1
                }
                continue
            }
            if c == "&" || c == " " || i == 0, let (decoded, length) = entity(scalars, at: c == "&" || c == " " ? i + 1 : i) {
                out.append(decoded)
                i = (c == "&" || c == " " ? i + 1 : i) + length
                continue
            }
            if c == " ", out.last == " " { i += 1; continue }
            out.append(c)
            i += 1
        }
        return String(out).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static let namedEntities: [String: Unicode.Scalar] = [
        "quot": "\"", "amp": "&", "lt": "<", "gt": ">", "apos": "'", "nbsp": " ",
        "hellip": "\u{2026}", "mdash": "\u{2014}", "ndash": "\u{2013}",
    ]

    /// Windows-1252's characters for codes 128–159 (where Latin-1 has control characters).
    private static let windows1252: [UInt32: Unicode.Scalar] = [
        128: "\u{20AC}", 130: "\u{201A}", 131: "\u{0192}", 132: "\u{201E}", 133: "\u{2026}", 134: "\u{2020}", 135: "\u{2021}",
        136: "\u{02C6}", 137: "\u{2030}", 138: "\u{0160}", 139: "\u{2039}", 140: "\u{0152}", 142: "\u{017D}",
        145: "\u{2018}", 146: "\u{2019}", 147: "\u{201C}", 148: "\u{201D}", 149: "\u{2022}", 150: "\u{2013}",
        151: "\u{2014}", 152: "\u{02DC}", 153: "\u{2122}", 154: "\u{0161}", 155: "\u{203A}", 156: "\u{0153}",
        158: "\u{017E}", 159: "\u{0178}",
    ]

    /// An entity body (`#39;`, `quot;`) starting at `start`: the character and the body's length.
    private static func entity(_ scalars: [Unicode.Scalar], at start: Int) -> (Unicode.Scalar, Int)? {
        var end = start
        while end < scalars.count, end - start <= 8, scalars[end] != ";" { end += 1 }
        guard end < scalars.count, scalars[end] == ";", end > start else { return nil }
        let body = String(String.UnicodeScalarView(scalars[start ..< end]))
        if body.hasPrefix("#") {
            guard let code = UInt32(body.dropFirst()), code > 0 else { return nil }
            guard let scalar = windows1252[code] ?? Unicode.Scalar(code) else { return nil }
            return (scalar, end - start + 1)
        }
        guard let scalar = namedEntities[body] else { return nil }
        return (scalar, end - start + 1)
    }
}
