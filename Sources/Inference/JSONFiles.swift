// JSON files people read and edit: the model's classifier.json, the trainer's state.
import Common
import Foundation

public enum JSONFiles {
    /// JSON with sorted keys and indentation, for files people read.
    public static func pretty<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }

    /// `url` decoded as `type`; a one-line InvalidInput naming the file, and the key at fault.
    public static func read<T: Decodable>(_ type: T.Type, from url: URL, what: String) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw InvalidInput("\(url.path): cannot read the \(what): \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw InvalidInput("\(url.path): not a valid \(what): \(describeDecodingError(error))")
        }
    }
}
