/// Cuts UTF-8 text at special tokens, as Hugging Face's added vocabulary and tiktoken's
/// `allowed_special` do: the earliest occurrence wins, the longest one where several begin at the
/// same byte. A token that strips (`lstrip` / `rstrip` in tokenizer.json's `added_tokens`) also
/// takes the whitespace before / after it, which then belongs to no ordinary segment.
struct SpecialTokenSplitter: Sendable {
    struct Special: Sendable {
        let bytes: [UInt8]
        let id: Int
        var lstrip = false
        var rstrip = false
    }

    let specials: [Special]

    init(_ specials: [Special]) { self.specials = specials.filter { !$0.bytes.isEmpty } }

    /// Calls `ordinary` with each range of text between special tokens (possibly empty) and
    /// `special` with each special token's id, in text order.
    func split(_ utf8: UnsafeBufferPointer<UInt8>, ordinary: (Range<Int>) -> Void, special: (Int) -> Void) {
        var start = 0
        // Each special's next occurrence at or after `start` (Int.max: none), searched again only
        // once passed, so a text full of specials is still read a bounded number of times.
        var next = [Int](repeating: -1, count: specials.count)
        while start <= utf8.count {
            var found: (at: Int, length: Int, special: Special)?
            for (i, candidate) in specials.enumerated() {
                if next[i] < start { next[i] = Self.firstOccurrence(of: candidate.bytes, in: utf8, from: start) ?? Int.max }
                let at = next[i]
                if at != Int.max, found == nil || at < found!.at || (at == found!.at && candidate.bytes.count > found!.length) {
                    found = (at, candidate.bytes.count, candidate)
                }
            }
            guard let found else {
                ordinary(start ..< utf8.count)
                return
            }
            var end = found.at
            if found.special.lstrip {
                while end > start, let length = Self.whitespaceLength(endingAt: end, in: utf8), end - length >= start { end -= length }
            }
            ordinary(start ..< end)
            special(found.special.id)
            start = found.at + found.length
            if found.special.rstrip {
                while let length = Self.whitespaceLength(startingAt: start, in: utf8) { start += length }
            }
        }
    }

    static func firstOccurrence(of needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let first = needle.first, haystack.count - start >= needle.count else { return nil }
        var i = start
        while i + needle.count <= haystack.count {
            if haystack[i] == first && needle.indices.allSatisfy({ haystack[i + $0] == needle[$0] }) { return i }
            i += 1
        }
        return nil
    }

    /// The byte length of the whitespace scalar (Unicode White_Space, as Rust's
    /// `char::is_whitespace`) that ends at byte `end`, or nil.
    private static func whitespaceLength(endingAt end: Int, in utf8: UnsafeBufferPointer<UInt8>) -> Int? {
        var begin = end - 1
        while begin > 0, end - begin < 4, utf8[begin] & 0xC0 == 0x80 { begin -= 1 }
        guard begin >= 0 else { return nil }
        return isWhitespace(utf8, begin ..< end) ? end - begin : nil
    }

    private static func whitespaceLength(startingAt start: Int, in utf8: UnsafeBufferPointer<UInt8>) -> Int? {
        guard start < utf8.count else { return nil }
        var end = start + 1
        while end < utf8.count, end - start < 4, utf8[end] & 0xC0 == 0x80 { end += 1 }
        return isWhitespace(utf8, start ..< end) ? end - start : nil
    }

    private static func isWhitespace(_ utf8: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        let scalars = String(decoding: UnsafeBufferPointer(rebasing: utf8[range]), as: UTF8.self).unicodeScalars
        return scalars.count == 1 && scalars.first!.properties.isWhitespace && scalars.first!.value != 0xFFFD
    }
}
