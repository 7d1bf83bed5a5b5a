import ArgumentParser
import Common
import DataIO
import Foundation

/// `textclf bench read`: how fast DataIO turns a zipped CSV into Strings. Three phases, so a slow
/// figure points at its cause: decompression alone, CSV parsing of bytes already in memory, and
/// the whole path (decompress + parse + String creation) that dataset loading takes.
struct BenchRead: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Measure reading the IMDB train texts from the zip (MB/s, median of several runs).",
        discussion: """
        Phases: decompress only; CSV parse + String creation from bytes in memory; and the whole \
        path (decompress + parse + Strings). MB are 10^6 bytes of the decompressed CSV member; \
        text MB counts only the selected column. scripts/bench_read_python.py measures the same \
        phases with Python's zipfile and csv.

        With --json, one line per phase with keys: bench, phase, archive, member, column, runs, \
        mb, text_mb, rows, seconds (median), mb_per_s.

        The archive is the imdb dataset's imdb.zip as the Store finds it (cache, $TEXTCLF_MIRROR, \
        or a verified download), unless --archive names a file.

        Example:
          textclf bench read --runs 7
          textclf bench read --json --mirror ../shared/mirror
        """
    )

    @OptionGroup var output: OutputOptions

    @Option(help: "A mirror directory to search before $TEXTCLF_MIRROR.")
    var mirror: String?

    @Option(help: "Archive (or plain CSV file) to read instead of the imdb dataset's imdb.zip.")
    var archive: String?

    @Option(help: "Member of the archive (a name or a glob).")
    var member = BenchTexts.imdbTrainMember

    @Option(help: "Column whose values become Strings.")
    var column = BenchTexts.textColumn

    @Option(help: "Timed runs per phase; the median is reported.")
    var runs = 5

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        let path = try archive ?? BenchTexts.imdbZip(store: BenchTexts.store(mirror: mirror)).url.path
        let source = try ArchiveReader(path: path)

        // Decompression alone: stream the member's bytes and drop them.
        var memberBytes = 0
        let decompress = try BenchTiming.medianSeconds(runs: runs) {
            let stream = try source.open(member: member)
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
            defer { chunk.deallocate() }
            var total = 0
            while case let n = try stream.read(into: chunk), n > 0 { total += n }
            memberBytes = total
        }

        // Parsing alone, from bytes already in memory.
        let bytes = try source.readAll(member: member)
        var rows = 0, textBytes = 0
        let parse = try BenchTiming.medianSeconds(runs: runs) {
            let reader = try CSVReader(MemoryByteStream(bytes, location: DataLocation(file: path, member: member)), columns: [.name(column)])
            try Self.consume(reader, rows: &rows, textBytes: &textBytes)
        }

        // The whole path a dataset loader takes.
        let full = try BenchTiming.medianSeconds(runs: runs) {
            let reader = try CSVReader(path: path, member: member, columns: [.name(column)])
            try Self.consume(reader, rows: &rows, textBytes: &textBytes)
        }

        let mb = Double(memberBytes) / 1e6, textMB = Double(textBytes) / 1e6
        for (phase, seconds, phaseRows) in [("decompress", decompress, 0), ("parse", parse, rows), ("read", full, rows)] {
            if output.json {
                JSONLines.emit(["bench": "read", "phase": phase, "archive": path, "member": member, "column": column,
                                "runs": runs, "mb": mb, "text_mb": phase == "decompress" ? 0 : textMB, "rows": phaseRows,
                                "seconds": seconds, "mb_per_s": mb / seconds])
            } else {
                let what = switch phase {
                case "decompress": "decompress only        "
                case "parse": "CSV parse + Strings    "
                default: "decompress+parse+String"
                }
                print(String(format: "%@  %7.1f MB/s  (%.1f MB, %d rows, %.1f MB of %@, median %.3f s of %d runs)",
                             what, mb / seconds, mb, phaseRows, textMB, column, seconds, runs))
            }
        }
    }

    /// Reads every row, keeping a running byte count so the Strings are really made and used.
    private static func consume(_ reader: CSVReader, rows: inout Int, textBytes: inout Int) throws {
        var count = 0, total = 0
        while let row = try reader.next() {
            count += 1
            total += row[0].utf8.count
        }
        rows = count
        textBytes = total
    }
}
