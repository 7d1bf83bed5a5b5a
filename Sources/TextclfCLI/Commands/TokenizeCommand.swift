import ArgumentParser
import DataIO
import Foundation
import Tokenizers

/// `textclf tokenize`: shows how GPT-2's tokenizer cuts a text, or (with no text) turns JSON
/// lines `{"text": ...}` on stdin into `{"ids": [...]}` lines on stdout, one per input, for
/// pipelines and for checking against tiktoken (scripts/check_gpt2_tokenizer.py).
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode text with GPT-2's tokenizer and show the ids and tokens.",
        discussion: """
        With a TEXT argument, prints one line per token: id, the vocabulary's spelling (Ġ is a \
        leading space), and the token's text. With --json, one line {"ids": [...], "tokens": [...]}.

        Without TEXT, reads JSON lines {"text": "..."} from stdin and writes {"ids": [...]} per line, \
        in order.

        The vocabulary comes from --model DIR (encoder.json + vocab.bpe, vocab.json + merges.txt, \
        or gpt2.tiktoken), else from the gpt2 model's files found by the Store: the cache \
        ($TEXTCLF_HOME, ~/.cache/textclf), a $TEXTCLF_MIRROR directory, or a verified download \
        (not with TEXTCLF_OFFLINE=1).

        Examples:
          textclf tokenize "Hello world, it's 2024!"
          textclf tokenize --json "Hello<|endoftext|>" --allow-special
          echo '{"text": "Hello world"}' | textclf tokenize
        """
    )

    @Argument(help: "Text to encode. Omit it to read JSON lines from stdin.")
    var text: String?

    @OptionGroup var vocabulary: GPT2VocabularyOptions

    @Flag(help: "Encode <|endoftext|> in the text as the special token (otherwise it is plain text).")
    var allowSpecial = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let tokenizer = try GPT2Tokenizer(vocabulary: vocabulary.load())
        let allowed: Set<String> = allowSpecial ? [BytePairVocabulary.endOfText] : []
        if let text {
            let ids = tokenizer.encode(text, allowedSpecial: allowed)
            let tokens = ids.map { tokenizer.token(for: $0) ?? "" }
            if output.json {
                JSONLines.emit(["ids": ids, "tokens": tokens])
            } else {
                print("\(ids.count) tokens: \(ids.map(String.init).joined(separator: " "))")
                for (id, token) in zip(ids, tokens) {
                    let piece = displayText(tokenizer.tokenBytes(for: id) ?? [])
                    print("\(String(id).leftPadded(to: 6))  \(token.rightPadded(to: 16)) \(piece)")
                }
            }
        } else {
            try encodeJSONLines(tokenizer, allowed: allowed)
        }
    }

    /// Streams stdin in batches so both cores work while output flows out.
    private func encodeJSONLines(_ tokenizer: GPT2Tokenizer, allowed: Set<String>) throws {
        var reader = TextLinesReader(handle: FileHandle.standardInput, name: "stdin")
        var out: [UInt8] = []
        while let batch = try reader.nextBatch(maxCount: 1024) {
            let encoded = tokenizer.encodeBatch(batch, allowedSpecial: allowed)
            out.removeAll(keepingCapacity: true)
            for ids in encoded { appendIDsLine(ids, to: &out) }
            FileHandle.standardOutput.write(Data(out))
        }
    }
}

/// Appends `{"ids":[1,2,3]}\n`; written by hand because this is the bulk of a pipeline's output.
func appendIDsLine(_ ids: [Int], to out: inout [UInt8]) {
    out.append(contentsOf: #"{"ids":["#.utf8)
    var digits = [UInt8](repeating: 0, count: 20)
    for (i, id) in ids.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        var value = id.magnitude, count = 0
        repeat {
            digits[count] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
            count += 1
        } while value > 0
        if id < 0 { out.append(UInt8(ascii: "-")) }
        for j in stride(from: count - 1, through: 0, by: -1) { out.append(digits[j]) }
    }
    out.append(contentsOf: "]}\n".utf8)
}

/// Reads JSON lines `{"text": ...}` (stdin or a file) in batches; a line that is not such an
/// object is an input error naming the source and line.
struct TextLinesReader {
    let handle: FileHandle
    let name: String
    private var buffer: [UInt8] = []   // read but not yet parsed
    private var lineNumber = 0
    private var atEnd = false

    init(handle: FileHandle, name: String) {
        self.handle = handle
        self.name = name
    }

    /// Up to `maxCount` texts, or nil when the input is exhausted.
    mutating func nextBatch(maxCount: Int) throws -> [String]? {
        var batch: [String] = []
        while batch.count < maxCount {
            var lines: [Range<Int>] = []
            let consumed = buffer.withUnsafeBufferPointer { bytes -> Int in
                guard let base = bytes.baseAddress else { return 0 }
                var start = 0
                while batch.count + lines.count < maxCount, start < bytes.count,
                      let newline = memchr(base + start, 0x0A, bytes.count - start) {
                    let end = UnsafePointer(newline.assumingMemoryBound(to: UInt8.self)) - base
                    lines.append(start ..< end)
                    start = end + 1
                }
                return start
            }
            for line in lines { batch.append(try parse(buffer[line])) }
            buffer.removeFirst(consumed)
            if batch.count >= maxCount { break }
            if atEnd {
                if !buffer.isEmpty { batch.append(try parse(buffer[...])) }
                buffer.removeAll()
                break
            }
            let chunk = handle.availableData
            if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
        }
        return batch.isEmpty ? nil : batch
    }

    private mutating func parse(_ line: ArraySlice<UInt8>) throws -> String {
        lineNumber += 1
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(line))
        } catch {
            throw InvalidInput("\(name), line \(lineNumber): not valid JSON in UTF-8\(line.isEmpty ? " (empty line)" : "")")
        }
        guard let record = object as? [String: Any], let text = record["text"] as? String else {
            throw InvalidInput("\(name), line \(lineNumber): expected a JSON object with a string \"text\"")
        }
        return text
    }

    /// All texts of a JSON-lines file.
    static func readAll(path: String) throws -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw InvalidInput("\(path): cannot be opened") }
        defer { try? handle.close() }
        var reader = TextLinesReader(handle: handle, name: path)
        var texts: [String] = []
        while let batch = try reader.nextBatch(maxCount: 4096) { texts += batch }
        return texts
    }
}

/// A token's bytes for people: quoted text with control characters escaped, or hex when the
/// token is only part of a UTF-8 character (GPT-2 splits rare characters into bytes).
func displayText(_ bytes: [UInt8]) -> String {
    guard let text = String(validating: bytes, as: UTF8.self) else {
        return "<" + bytes.map { String($0, radix: 16) }.joined(separator: " ") + ">"
    }
    var shown = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n": shown += "\\n"
        case "\r": shown += "\\r"
        case "\t": shown += "\\t"
        case "\"": shown += "\\\""
        case "\\": shown += "\\\\"
        default:
            if scalar.properties.generalCategory == .control || scalar.properties.isWhitespace && scalar != " " {
                shown += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
    }
    return shown + "\""
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
    func rightPadded(to width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
