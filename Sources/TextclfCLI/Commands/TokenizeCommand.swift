import ArgumentParser
import Backbones
import Common
import Foundation
import Tokenizers

/// `textclf tokenize`: shows how a model's tokenizer (GPT-2's BPE by default, or a BERT model's
/// WordPiece) cuts a text, or (with no text) turns JSON lines `{"text": ...}` on stdin into
/// `{"ids": [...]}` lines on stdout, one per input, for pipelines and for checking against the
/// reference tokenizers (scripts/check_gpt2_tokenizer.py, scripts/check_wordpiece_tokenizer.py).
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode text with a model's tokenizer (GPT-2 by default) and show the ids and tokens.",
        discussion: """
        With a TEXT argument, prints one line per token: id, the vocabulary's spelling (GPT-2's Ġ \
        is a leading space, WordPiece's ## continues a word), and the token's text. With --json, one \
        line {"ids": [...], "tokens": [...]}.

        Without TEXT, reads JSON lines {"text": "..."} from stdin and writes {"ids": [...]} per line, \
        in order.

        The ids are what the model reads, as Hugging Face's tokenizer(text) gives them: BERT's \
        [CLS] ... [SEP] are added, GPT-2 adds nothing. Nothing is truncated.

        --model is a directory (GPT-2's encoder.json + vocab.bpe, vocab.json + merges.txt or \
        gpt2.tiktoken; or a BERT directory with vocab.txt) or a model name (gpt2, \
        all-MiniLM-L6-v2) whose tokenizer files the Store finds: the cache ($TEXTCLF_HOME, \
        ~/.cache/textclf), a $TEXTCLF_MIRROR directory, or a verified download (not with \
        TEXTCLF_OFFLINE=1). Default: gpt2.

        Examples:
          textclf tokenize "Hello world, it's 2024!"
          textclf tokenize --json "Hello<|endoftext|>" --allow-special
          textclf tokenize --model all-MiniLM-L6-v2 "Unaffable tokenizers"
          echo '{"text": "Hello world"}' | textclf tokenize
        """
    )

    @Argument(help: "Text to encode. Omit it to read JSON lines from stdin.")
    var text: String?

    @Option(name: [.customLong("model"), .customLong("vocab")],
            help: ArgumentHelp("A tokenizer directory or a model name (default: gpt2).", valueName: "dir|name"))
    var model: String?

    @Flag(help: "GPT-2: encode <|endoftext|> in the text as the special token (otherwise it is plain text).")
    var allowSpecial = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let tokenizer = try loadTokenizer()
        let encode: ([String]) -> [[Int]]
        if let gpt2 = tokenizer as? GPT2Tokenizer {
            let allowed: Set<String> = allowSpecial ? [BytePairVocabulary.endOfText] : []
            encode = { gpt2.encodeBatch($0, allowedSpecial: allowed) }
        } else {
            guard !allowSpecial else { throw ValidationError("--allow-special is for GPT-2's tokenizer; BERT's recognises [CLS], [SEP], ... in text anyway") }
            encode = { tokenizer.encodeBatchForModel($0, maxLength: .max).map(\.ids) }
        }
        if let text {
            let ids = encode([text])[0]
            let tokens = ids.map { tokenizer.token(for: $0) ?? "" }
            if output.json {
                JSONLines.emit(["ids": ids, "tokens": tokens])
            } else {
                print("\(ids.count) tokens: \(ids.map(String.init).joined(separator: " "))")
                for (id, token) in zip(ids, tokens) {
                    let bytes = (tokenizer as? GPT2Tokenizer)?.tokenBytes(for: id) ?? Array(tokenizer.decode([id]).utf8)
                    print("\(String(id).leftPadded(to: 6))  \(token.rightPadded(to: 16)) \(displayText(bytes))")
                }
            }
        } else {
            try encodeJSONLines(encode)
        }
    }

    /// A directory as its files say (any supported layout, no manifest check, so custom
    /// vocabularies work), else the named model's tokenizer through the Store.
    private func loadTokenizer() throws -> any Tokenizer {
        let name = model ?? "gpt2"
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: name, isDirectory: &isDirectory), isDirectory.boolValue {
            return try TokenizerLoader.load(directory: URL(fileURLWithPath: name))
        }
        if GPT2ModelName(name) != nil || model == nil { return try GPT2Tokenizer.pretrained(name) }
        return try BertTokenizer.pretrained(name)
    }

    /// Streams stdin in batches so both cores work while output flows out.
    private func encodeJSONLines(_ encode: ([String]) -> [[Int]]) throws {
        var reader = TextLinesReader(handle: FileHandle.standardInput, name: "stdin")
        var out: [UInt8] = []
        while let batch = try reader.nextBatch(maxCount: 1024) {
            out.removeAll(keepingCapacity: true)
            for ids in encode(batch) { appendIDsLine(ids, to: &out) }
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
