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
        With a TEXT argument, prints one line per token: id, the vocabulary's spelling (Ġ is a
        leading space), and the token's text. With --json, one line {"ids": [...], "tokens": [...]}.

        Without TEXT, reads JSON lines {"text": "..."} from stdin and writes {"ids": [...]} per line.

        The vocabulary comes from --model DIR (encoder.json + vocab.bpe, vocab.json + merges.txt,
        or gpt2.tiktoken), else models/gpt2 in a $TEXTCLF_MIRROR directory or the cache.

        Examples:
          textclf tokenize "Hello world, it's 2024!"
          textclf tokenize --json "Hello<|endoftext|>" --allow-special
          echo '{"text": "Hello world"}' | textclf tokenize
        """
    )

    @Argument(help: "Text to encode. Omit it to read JSON lines from stdin.")
    var text: String?

    @Option(name: [.customLong("model"), .customLong("vocab")], help: "Directory holding the GPT-2 vocabulary files.")
    var model: String?

    @Flag(help: "Encode <|endoftext|> in the text as the special token (otherwise it is plain text).")
    var allowSpecial = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let tokenizer = try loadGPT2Tokenizer(model: model)
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
        while let batch = try reader.nextBatch(maxCount: 1024) {
            let encoded = allowed.isEmpty ? tokenizer.encodeBatch(batch)
                                          : batch.map { tokenizer.encode($0, allowedSpecial: allowed) }
            var out = ""
            out.reserveCapacity(encoded.reduce(0) { $0 + $1.count * 6 + 12 })
            for ids in encoded {
                out += "{\"ids\":["
                out += ids.map(String.init).joined(separator: ",")
                out += "]}\n"
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }
}

/// Reads JSON lines `{"text": ...}` (stdin or a file) in batches; a line that is not such an
/// object is an input error naming the source and line.
struct TextLinesReader {
    let handle: FileHandle
    let name: String
    private var pending = Data()
    private var lineNumber = 0
    private var atEnd = false

    init(handle: FileHandle, name: String) {
        self.handle = handle
        self.name = name
    }

    /// Up to about `maxCount` texts, or nil when the input is exhausted.
    mutating func nextBatch(maxCount: Int) throws -> [String]? {
        var batch: [String] = []
        while batch.count < maxCount && !atEnd {
            let chunk = handle.availableData
            if chunk.isEmpty {
                atEnd = true
                if !pending.isEmpty { batch.append(try parse(pending)) }
                pending = Data()
                break
            }
            pending.append(chunk)
            var lineStart = pending.startIndex
            while let newline = pending[lineStart...].firstIndex(of: 0x0A) {
                batch.append(try parse(pending[lineStart ..< newline]))
                lineStart = newline + 1
            }
            pending = Data(pending[lineStart...])
        }
        return batch.isEmpty && atEnd ? nil : batch
    }

    private mutating func parse(_ line: Data) throws -> String {
        lineNumber += 1
        let object = try? JSONSerialization.jsonObject(with: line)
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

/// Finds and loads GPT-2's tokenizer: `--model DIR` if given, else `models/gpt2` in the first
/// $TEXTCLF_MIRROR directory that has it, else the cache (~/.cache/textclf/models/gpt2).
/// A stand-in for the Store's model lookup; swap it when the Store lands.
func loadGPT2Tokenizer(model: String?) throws -> GPT2Tokenizer {
    if let model { return try GPT2Tokenizer.load(directory: URL(fileURLWithPath: model)) }
    guard let directory = defaultModelDirectory("gpt2") else {
        throw InvalidInput("no GPT-2 vocabulary found: pass --model DIR, or set TEXTCLF_MIRROR to a mirror holding models/gpt2")
    }
    return try GPT2Tokenizer.load(directory: directory)
}

/// `models/NAME` in $TEXTCLF_MIRROR's directories (colon-separated), then in the cache.
func defaultModelDirectory(_ name: String) -> URL? {
    let environment = ProcessInfo.processInfo.environment
    var roots = (environment["TEXTCLF_MIRROR"] ?? "").split(separator: ":").map { URL(fileURLWithPath: String($0)) }
    let cacheHome = environment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
    roots.append(cacheHome.appendingPathComponent("textclf"))
    return roots.map { $0.appendingPathComponent("models").appendingPathComponent(name) }
        .first { BytePairVocabulary.Layout.detect(in: $0) != nil }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
    func rightPadded(to width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
