// BERT WordPiece: any bytes, as text, under four configurations picked by the first byte, must
// encode to ids the vocabulary knows, fit encodeForModel's limits, and decode without a crash;
// where a round trip is defined (lowercase ASCII letters and digits in words split by single
// spaces, none unknown, lowercasing configuration) decode(encode(text)) must be the text.
//
// The vocabulary is the committed tiny one (Tests/TokenizersTests/Fixtures/wordpiece_tiny_vocab.txt);
// FUZZ_WORDPIECE_VOCAB may name another vocab.txt instead.
import Foundation
import FuzzSupport
import Tokenizers

let vocabulary: WordPieceVocabulary = {
    let fixture = repositoryRoot.appendingPathComponent("Tests/TokenizersTests/Fixtures/wordpiece_tiny_vocab.txt")
    let place = ProcessInfo.processInfo.environment["FUZZ_WORDPIECE_VOCAB"].map { URL(fileURLWithPath: $0) } ?? fixture
    do { return try WordPieceVocabulary.load(vocabFile: place) } catch {
        fatalError("cannot load the WordPiece vocabulary at \(place.path): \(error)")
    }
}()

let tokenizers: [BertTokenizer] = {
    var cased = BertTokenizerConfiguration()
    cased.doLowerCase = false
    var splitSpecials = BertTokenizerConfiguration()
    splitSpecials.splitSpecialTokens = true
    splitSpecials.stripAccents = false
    splitSpecials.maxInputCharsPerWord = 8
    var raw = BertTokenizerConfiguration()
    raw.cleanText = false
    raw.tokenizeChineseChars = false
    raw.cleanUpTokenizationSpaces = true
    raw.additionalSpecialTokens = ["<extra>", "[NEW]"]
    return [BertTokenizerConfiguration(), cased, splitSpecials, raw].map {
        do { return try BertTokenizer(vocabulary: vocabulary, configuration: $0) } catch { fatalError("\(error)") }
    }
}()

/// Lowercase ASCII letters and digits in words split by single spaces.
func hasRoundTrip(_ text: String) -> Bool {
    let words = text.split(separator: " ", omittingEmptySubsequences: false)
    return !text.isEmpty && words.allSatisfy { word in
        !word.isEmpty && word.count <= 100 && word.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let choice = Int(data[0]) % tokenizers.count
    let tokenizer = tokenizers[choice]
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)

    let ids = tokenizer.encode(text)
    for id in ids {
        require(id >= 0 && id < tokenizer.vocabularySize && tokenizer.token(for: id) != nil, "id \(id) is not in the vocabulary")
    }
    require(tokenizer.tokenize(text).count == ids.count, "tokenize and encode disagree")
    _ = tokenizer.basicTokens(of: text)
    // One limit per input (each call encodes again): 0 to 19.
    let maxLength = size % 20
    let (model, truncated) = tokenizer.encodeForModel(text, maxLength: maxLength)
    require(model.count <= maxLength, "encodeForModel(maxLength: \(maxLength)) gave \(model.count) ids")
    require(truncated == (ids.count + 2 > maxLength), "truncated is \(truncated) for \(ids.count) ids, maxLength \(maxLength)")
    if maxLength >= 1 { require(model.first == tokenizer.clsTokenID, "no [CLS] first") }
    if maxLength >= 2 {
        require(model.last == tokenizer.sepTokenID, "no [SEP] last")
        require(Array(model.dropFirst().dropLast()) == Array(ids.prefix(maxLength - 2)), "encodeForModel's ids are not encode's")
    }
    let decoded = tokenizer.decode(ids)
    _ = tokenizer.decode(ids, skipSpecialTokens: true)
    if choice == 0, hasRoundTrip(text), !ids.contains(tokenizer.unkTokenID) {
        require(decoded == text, "decode(encode(\(text.debugDescription))) is \(decoded.debugDescription)")
    }

    // Arbitrary ids, two bytes each, some out of range: decode must cope.
    var arbitrary: [Int] = []
    var k = 1
    while k + 2 <= size {
        arbitrary.append((Int(data[k]) | Int(data[k + 1]) << 8) - 64)
        k += 2
    }
    _ = tokenizer.decode(arbitrary)
    _ = tokenizer.decode(arbitrary, skipSpecialTokens: true)
    return 0
}
