// Tokenizer files (downloaded with a model, so untrusted): the first byte picks the parser —
// 0 tokenizer JSON (tokenizer.json, tokenizer_config.json), 1 encoder.json, 2 merges (vocab.bpe),
// 3 a .tiktoken file, 4 vocab.txt — for the rest. Each must parse or throw a TokenizerFileError
// naming the file; a vocabulary that parses must build a tokenizer whose encode round-trips a
// fixed text (BPE) or stays in range (WordPiece).
@testable import Tokenizers
import Foundation
import FuzzSupport

let probe = "Hello world, it's 2024! Café naïve 你好 \u{1F600}"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 5 {
    case 0:
        let file = "/fuzz/tokenizer.json"
        expectingInputError(naming: file) {
            _ = try JSONFile(parsing: bytes, file: file)
        }
    case 1:
        let file = "/fuzz/encoder.json"
        if let entries = expectingInputError(naming: file, { try VocabularyFileParsers.parseEncoderJSON(bytes, file: file) }) {
            _ = entries.count
        }
    case 2:
        let file = "/fuzz/vocab.bpe"
        if let merges = expectingInputError(naming: file, { try VocabularyFileParsers.parseMerges(bytes, file: file) }) {
            for merge in merges { require(merge.line >= 1, "merge on line \(merge.line)") }
        }
    case 3:
        let file = "/fuzz/gpt2.tiktoken"
        guard let tokens = expectingInputError(naming: file, { try VocabularyFileParsers.parseTiktoken(bytes, file: file) }),
              let vocabulary = expectingInputError(naming: file, {
                  try BytePairVocabulary(tokens: tokens, specialTokens: [BytePairVocabulary.endOfText: tokens.count], source: file)
              }),
              let tokenizer = expectingInputError(naming: file, { try GPT2Tokenizer(vocabulary: vocabulary) }) else { return 0 }
        let ids = tokenizer.encode(probe)
        require(ids.allSatisfy { $0 >= 0 && $0 < tokens.count }, "ids out of range")
        require(tokenizer.decode(ids) == probe, "decode(encode(probe)) differs under a fuzzed vocabulary")
    default:
        // Bytes, not a file: Foundation's Data(contentsOf:) (under load(vocabFile:)) leaks 4 KiB
        // reading an empty file in this toolchain, which LeakSanitizer reports.
        let file = "/fuzz/vocab.txt"
        guard let vocabulary = expectingInputError(naming: file, { try WordPieceVocabulary.parse(vocabText: bytes, file: file) }),
              let tokenizer = expectingInputError(naming: file, { try BertTokenizer(vocabulary: vocabulary) }) else { return 0 }
        let ids = tokenizer.encode(probe)
        require(ids.allSatisfy { $0 >= 0 && $0 < tokenizer.vocabularySize }, "ids out of range")
        _ = tokenizer.decode(ids)
    }
    return 0
}
