import Common
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

    /// `<br />`, `<br/>` and `<br>` (any case) → "\n". Works on UTF-8 bytes: this runs over
    /// 66 MB of reviews, where Character-by-Character scanning would dominate loading.
    public static func replaceLineBreakTags(_ text: String) -> String {
        var text = text
        let replaced = text.withUTF8 { bytes -> String? in
            guard let base = bytes.baseAddress else { return nil }
            /// The next "<" at or after `from` (memchr: most reviews have a handful).
            func nextOpen(_ from: Int) -> Int? {
                guard from < bytes.count, let hit = memchr(base + from, 0x3C, bytes.count - from) else { return nil }
                return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            guard var open = nextOpen(0) else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var copied = 0
            while true {
                if let length = lineBreakTagLength(bytes, at: open) {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied ..< open]))
                    out.append(UInt8(ascii: "\n"))
                    copied = open + length
                }
                guard let next = nextOpen(open + 1) else { break }
                open = next
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied...]))
            return String(decoding: out, as: UTF8.self)
        }
        return replaced ?? text
    }

    /// The length of `<br>`, `<br/>` or `<br />` (letters in any case) at `start`, or nil.
    private static func lineBreakTagLength(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Int? {
        func byte(_ k: Int) -> UInt8? { start + k < bytes.count ? bytes[start + k] | (k == 1 || k == 2 ? 0x20 : 0) : nil }
        guard byte(1) == UInt8(ascii: "b"), byte(2) == UInt8(ascii: "r") else { return nil }
        switch (byte(3), byte(4), byte(5)) {
        case (UInt8(ascii: ">")?, _, _): return 4
        case (UInt8(ascii: "/")?, UInt8(ascii: ">")?, _): return 5
        case (UInt8(ascii: " ")?, UInt8(ascii: "/")?, UInt8(ascii: ">")?): return 6
        default: return nil
        }
    }
}
