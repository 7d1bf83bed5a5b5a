/// GPT-2's pre-tokenisation: splits UTF-8 text into the pieces OpenAI's regex
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// finds, as byte ranges, without a regex engine. At each position the alternatives are tried in
/// order, exactly as the backtracking engine (tiktoken's fancy-regex) does:
/// 1. an apostrophe followed by s, t, re, ve, m, ll or d (lowercase only);
/// 2.-4. a run of letters, of numbers, or of "other" characters, optionally preceded by one
///    U+0020 space (only that space: a tab or U+00A0 never joins the following word);
/// 5. a run of whitespace; when non-space follows it, the run's last character is given back so
///    it can prefix the next word (`"   a"` → `"  "`, `" a"`), but a run of one character that
///    cannot give anything back is taken whole (`"\ta"` → `"\t"`, `"a"`).
/// BPE then works inside each piece, so pieces never merge across these boundaries.
struct GPT2PieceScanner {
    private let text: UnsafeBufferPointer<UInt8>
    private let basicPlane: [UInt8]
    private(set) var position = 0

    init(_ text: UnsafeBufferPointer<UInt8>) {
        self.text = text
        self.basicPlane = ScalarClass.basicPlane
    }

    /// The class and UTF-8 length of the scalar starting at byte `i` (the text is valid UTF-8,
    /// as every Swift string is).
    @inline(__always)
    private func classAt(_ i: Int) -> (scalarClass: UInt8, length: Int) {
        let b0 = UInt32(text[i])
        if b0 < 0x80 { return (basicPlane[Int(b0)], 1) }
        if b0 < 0xE0 {
            return (basicPlane[Int((b0 & 0x1F) << 6 | UInt32(text[i + 1]) & 0x3F)], 2)
        }
        if b0 < 0xF0 {
            let v = (b0 & 0x0F) << 12 | (UInt32(text[i + 1]) & 0x3F) << 6 | UInt32(text[i + 2]) & 0x3F
            return (basicPlane[Int(v)], 3)
        }
        let v = (b0 & 0x07) << 18 | (UInt32(text[i + 1]) & 0x3F) << 12 | (UInt32(text[i + 2]) & 0x3F) << 6 | UInt32(text[i + 3]) & 0x3F
        return (v < 0x40000 ? ScalarClass.supplementaryPlanes[Int(v) - 0x10000] : ScalarClass.of(v), 4)
    }

    /// Length of a contraction ('s 't 'm 'd 're 've 'll) starting at the apostrophe at `i`, or 0.
    @inline(__always)
    private func contractionLength(at i: Int) -> Int {
        guard i + 1 < text.count else { return 0 }
        switch text[i + 1] {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return 2
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return i + 2 < text.count && text[i + 2] == UInt8(ascii: "e") ? 3 : 0
        case UInt8(ascii: "l"):
            return i + 2 < text.count && text[i + 2] == UInt8(ascii: "l") ? 3 : 0
        default:
            return 0
        }
    }

    /// The next piece's byte range, or nil at the end of the text.
    @inline(__always)
    mutating func next() -> Range<Int>? {
        let count = text.count
        let start = position
        guard start < count else { return nil }
        let first = text[start]
        var end: Int
        if first == UInt8(ascii: "'"), case let length = contractionLength(at: start), length > 0 {
            end = start + length
        } else {
            var (runClass, length) = classAt(start)
            var runStart = start
            if first == 0x20, start + 1 < count {
                let following = classAt(start + 1)
                if following.scalarClass != ScalarClass.space {
                    (runClass, length) = following
                    runStart = start + 1
                }
            }
            end = runStart + length
            if runClass != ScalarClass.space {
                while end < count {
                    let (nextClass, nextLength) = classAt(end)
                    if nextClass != runClass { break }
                    end += nextLength
                }
            } else {
                var lastStart = start
                var scalars = 1
                while end < count {
                    let (nextClass, nextLength) = classAt(end)
                    if nextClass != ScalarClass.space { break }
                    lastStart = end
                    end += nextLength
                    scalars += 1
                }
                if end < count && scalars > 1 { end = lastStart }
            }
        }
        position = end
        return start ..< end
    }
}
