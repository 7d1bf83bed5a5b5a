/// One labelled text. `label` is the class id: an index into the dataset's `LabelSet`.
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

    public init(text: String, label: Int, id: String? = nil, row: Int) {
        self.text = text
        self.label = label
        self.id = id
        self.row = row
    }
}
