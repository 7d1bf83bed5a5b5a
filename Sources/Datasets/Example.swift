/// One labelled text. `label` is the class id: an index into the dataset's `LabelSet`.
/// A multi-label example (tags) carries every class id it has in `classIDs`, ascending and
/// distinct (possibly none, from 0/1 label columns); its `label` is then the first of them (0
/// when there is none), which is only what stratified splitting groups by.
///
/// `row` says where the example came from inside its source split: the 1-based data row of the
/// source file (the header is not counted, as in DataIO's error messages), or for examples not
/// read from a file, their 1-based position. Split records (`split.json`) refer to examples by
/// it, so a Python script can pick the same rows (`df.iloc[row - 1]` with pandas).
public struct Example: Sendable, Hashable {
    public var text: String
    public var label: Int
    /// The source's own identifier, when it has one (IMDB's review id, BBC's file name).
    public var id: String?
    public var row: Int
    /// Every class id of a multi-label example; nil for a single-label one.
    public var classIDs: [Int]?

    public init(text: String, label: Int, id: String? = nil, row: Int) {
        self.text = text
        self.label = label
        self.id = id
        self.row = row
    }

    /// A multi-label example: `classIDs` is sorted and deduplicated.
    public init(text: String, classIDs: [Int], id: String? = nil, row: Int) {
        let sorted = Array(Set(classIDs)).sorted()
        self.init(text: text, label: sorted.first ?? 0, id: id, row: row)
        self.classIDs = sorted
    }

    /// The class ids the example has: `classIDs`, or the one `label`.
    public var allLabels: [Int] { classIDs ?? [label] }
}
