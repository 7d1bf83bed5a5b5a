// GPT-2 byte-level BPE: any bytes, as text (invalid UTF-8 becomes U+FFFD), must encode to ids in
// the vocabulary that decode back to exactly that text, with and without <|endoftext|> allowed;
// the pre-tokenisation pieces must cover the text; arbitrary ids must decode without a crash.
//
// The vocabulary is the committed tiny one (Tests/TokenizersTests/Fixtures/tiny_bpe.tiktoken);
// FUZZ_GPT2_VOCAB may name a .tiktoken file or a directory with GPT-2's files instead.
import Foundation
import FuzzSupport
import Tokenizers

let tokenizer: GPT2Tokenizer = {
    let fixture = repositoryRoot.appendingPathComponent("Tests/TokenizersTests/Fixtures/tiny_bpe.tiktoken")
    let place = ProcessInfo.processInfo.environment["FUZZ_GPT2_VOCAB"].map { URL(fileURLWithPath: $0) } ?? fixture
    do {
        if place.pathExtension == "tiktoken" { return try GPT2Tokenizer(vocabulary: .load(tiktoken: place)) }
        return try GPT2Tokenizer.load(directory: place)
    } catch {
        fatalError("cannot load the GPT-2 vocabulary at \(place.path): \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes, as: UTF8.self)

    let ids = tokenizer.encode(text)
    for id in ids { require(id >= 0 && id < tokenizer.vocabularySize && id != tokenizer.endOfTextID, "id \(id) out of range") }
    require((try? tokenizer.decodeBytes(ids)) == Array(text.utf8), "decodeBytes(encode(text)) differs from the text")
    require(tokenizer.decode(ids) == text, "decode(encode(text)) differs from the text")
    require(tokenizer.pieces(of: text).joined() == text, "the pieces do not make up the text")

    let withSpecial = tokenizer.encode(text, allowedSpecial: [BytePairVocabulary.endOfText])
    require(tokenizer.decode(withSpecial) == text, "decode(encode(text, allowedSpecial:)) differs from the text")
    // Bytes, not Characters: "<|endoftext|>" followed by a combining mark is still the special
    // (as in tiktoken), though String.contains does not find it there.
    if !containsBytes(Array(text.utf8), Array(BytePairVocabulary.endOfText.utf8)) {
        require(withSpecial == ids, "allowing a special absent from the text changed the ids")
    }

    let (model, truncated) = tokenizer.encodeForModel(text, maxLength: 8)
    require(model == Array(ids.prefix(8)) && truncated == (ids.count > 8), "encodeForModel disagrees with encode")

    // Arbitrary ids, four bytes each, signed: unknown ones become U+FFFD or a thrown error.
    var arbitrary: [Int] = []
    var k = 0
    while k + 4 <= size {
        arbitrary.append(Int(Int32(bitPattern: UInt32(data[k]) | UInt32(data[k + 1]) << 8 | UInt32(data[k + 2]) << 16 | UInt32(data[k + 3]) << 24)) % (tokenizer.vocabularySize + 2))
        k += 4
    }
    _ = tokenizer.decode(arbitrary)
    do { _ = try tokenizer.decodeBytes(arbitrary) } catch {
        require(arbitrary.contains { $0 < 0 || $0 >= tokenizer.vocabularySize }, "decodeBytes threw for ids in range: \(error)")
    }
    for id in arbitrary.prefix(4) { _ = tokenizer.token(for: id); _ = tokenizer.tokenBytes(for: id) }
    return 0
}

func containsBytes(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard haystack.count >= needle.count else { return false }
    return (0 ... haystack.count - needle.count).contains { haystack[$0 ..< $0 + needle.count].elementsEqual(needle) }
}
