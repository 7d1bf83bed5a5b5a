import Common
import DataIO

/// A problem with a dataset as a whole (an empty split, a class missing from the training split,
/// a label set that makes no sense). Errors about one row are DataIO `ReadError`s instead, which
/// name the file, member, line and row.
public struct DatasetError: InputError, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description.escapingLineBreaks }
}
