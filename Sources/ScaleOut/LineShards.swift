// A text file split across the ranks of a job by byte ranges, on line boundaries: rank r of N
// takes the lines whose first byte lies in [r·L/N, (r+1)·L/N) of the file's L bytes. Each rank
// reads only its range (and the few bytes that find its ends), so no rank reads the whole file.
import Common
import Foundation

public enum LineShards {
    /// Rank `rank`'s bytes of the file at `url`, whole lines only.
    public static func read(_ url: URL, rank: Int, size: Int) throws -> Data {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw InvalidInput("\(url.path): cannot be read: \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        do {
            let length = try handle.seekToEnd()
            let nominal = { (index: Int) in length * UInt64(index) / UInt64(size) }
            let start = try lineStart(atOrAfter: nominal(rank), in: handle, length: length)
            let end = try lineStart(atOrAfter: nominal(rank + 1), in: handle, length: length)
            guard end > start else { return Data() }
            try handle.seek(toOffset: start)
            return try handle.read(upToCount: Int(end - start)) ?? Data()
        } catch let error as InvalidInput {
            throw error
        } catch {
            throw InvalidInput("\(url.path): cannot be read: \(error.localizedDescription)")
        }
    }

    /// The first offset ≥ `offset` at which a line starts (the file's length if none does).
    static func lineStart(atOrAfter offset: UInt64, in handle: FileHandle, length: UInt64) throws -> UInt64 {
        if offset == 0 { return 0 }
        guard offset < length else { return length }
        // A line starts at `offset` when the byte before it ends one.
        var position = offset - 1
        try handle.seek(toOffset: position)
        while position < length {
            guard let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty else { break }
            if let newline = chunk.firstIndex(of: 0x0A) { return position + UInt64(newline - chunk.startIndex) + 1 }
            position += UInt64(chunk.count)
        }
        return length
    }
}
