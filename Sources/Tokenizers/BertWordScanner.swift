/// Receives what `BertWordScanner` finds in a text, in order.
protocol BertWordSink {
    /// A word after normalization and splitting: UTF-8 bytes and the number of scalars.
    mutating func word(_ bytes: UnsafeBufferPointer<UInt8>, scalarCount: Int)
    /// A special token written literally in the text ("[CLS]"), with its id.
    mutating func special(_ index: Int)
}

/// BERT's normalizer and pre-tokenizer in one pass over the UTF-8 bytes, as Hugging Face's
/// `BertNormalizer` + `BertPreTokenizer` define them:
///
/// 1. special tokens written in the text are cut out first and kept whole (`never_split`);
/// 2. clean text: drop NUL, U+FFFD and control/format characters, whitespace becomes a space;
/// 3. put spaces around CJK ideographs;
/// 4. strip accents: NFD, then drop nonspacing marks (Mn);
/// 5. lowercase;
/// 6. split on whitespace (dropped) and around each punctuation character (kept as a word).
///
/// ASCII takes a table-driven fast path; other scalars go through `BertCharacterClass` and a
/// per-scratch cache of their normalized form.
struct BertWordScanner: Sendable {
    let cleanText: Bool
    let tokenizeChineseChars: Bool
    let stripAccents: Bool
    let lowercase: Bool
    /// Special tokens recognised in text, longest first (so a match is the longest one at its
    /// position, as Hugging Face's leftmost-longest matcher gives).
    let specials: [[UInt8]]

    // Per-byte action for ASCII, with `mayStartSpecial` added where a special token may begin.
    private static let skip: UInt8 = 0, boundary: UInt8 = 1, isolate: UInt8 = 2, append: UInt8 = 3
    private static let mayStartSpecial: UInt8 = 0x80
    private let byteActions: [UInt8]
    private let asciiLowered: [UInt8]

    init(cleanText: Bool, tokenizeChineseChars: Bool, stripAccents: Bool, lowercase: Bool, specials: [String]) {
        self.cleanText = cleanText
        self.tokenizeChineseChars = tokenizeChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
        self.specials = specials.map { Array($0.utf8) }.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        var actions = [UInt8](repeating: 0, count: 256)
        for b in 0 ..< 128 {
            let flags = BertCharacterClass.flags(UInt32(b))
            if cleanText && flags & BertCharacterClass.removedByCleaning != 0 {
                actions[b] = Self.skip
            } else if flags & BertCharacterClass.whitespace != 0 {
                actions[b] = Self.boundary
            } else if flags & BertCharacterClass.punctuation != 0 {
                actions[b] = Self.isolate
            } else {
                actions[b] = Self.append
            }
        }
        for special in self.specials { actions[Int(special[0])] |= Self.mayStartSpecial }
        byteActions = actions
        asciiLowered = (0 ..< 256).map { b in
            lowercase && (65 ... 90).contains(b) ? UInt8(b + 32) : UInt8(truncatingIfNeeded: b)
        }
    }

    /// Scans `text`, handing each word and special token to `sink`.
    func scan<Sink: BertWordSink>(_ text: UnsafeBufferPointer<UInt8>, scratch: BertScratch, sink: inout Sink) {
        guard let base = text.baseAddress else { return }
        var word = scratch.word
        defer { scratch.word = word }
        word.count = 0
        word.scalars = 0
        scratch.marks.removeAll(keepingCapacity: true)
        let n = text.count
        var i = 0
        while i < n {
            let b = base[i]
            let action = byteActions[Int(b)]
            if action == Self.append {
                // A run of ordinary ASCII: one byte out for each byte in.
                if !scratch.marks.isEmpty { flushMarks(scratch, &word) }
                word.reserve(n - i)
                let start = i
                repeat {
                    word.append(asciiLowered[Int(base[i])])
                    i += 1
                } while i < n && byteActions[Int(base[i])] == Self.append
                word.scalars += i - start
                continue
            }
            if action & Self.mayStartSpecial != 0, let special = matchSpecial(text, at: i) {
                finishWord(scratch, &word, &sink)
                sink.special(special)
                i += specials[special].count
                continue
            }
            if b < 0x80 {
                switch action & ~Self.mayStartSpecial {
                case Self.append:
                    if !scratch.marks.isEmpty { flushMarks(scratch, &word) }
                    word.reserve(1)
                    word.append(asciiLowered[Int(b)])
                    word.scalars += 1
                case Self.boundary:
                    finishWord(scratch, &word, &sink)
                case Self.isolate:
                    finishWord(scratch, &word, &sink)
                    word.reserve(1)
                    word.append(b)
                    word.scalars = 1
                    finishWord(scratch, &word, &sink)
                default:
                    break
                }
                i += 1
                continue
            }
            // A multi-byte scalar (the text is valid UTF-8: it came from a Swift String).
            let value: UInt32
            if b < 0xE0 {
                value = UInt32(b & 0x1F) << 6 | UInt32(base[i + 1] & 0x3F)
                i += 2
            } else if b < 0xF0 {
                value = UInt32(b & 0x0F) << 12 | UInt32(base[i + 1] & 0x3F) << 6 | UInt32(base[i + 2] & 0x3F)
                i += 3
            } else {
                value = UInt32(b & 0x07) << 18 | UInt32(base[i + 1] & 0x3F) << 12 | UInt32(base[i + 2] & 0x3F) << 6 | UInt32(base[i + 3] & 0x3F)
                i += 4
            }
            nonASCII(value, scratch, &word, &sink)
        }
        finishWord(scratch, &word, &sink)
    }

    private func matchSpecial(_ text: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        for (index, special) in specials.enumerated() where i + special.count <= text.count {
            var equal = true
            for j in 0 ..< special.count where text[i + j] != special[j] {
                equal = false
                break
            }
            if equal { return index }
        }
        return nil
    }

    private func nonASCII<Sink: BertWordSink>(_ value: UInt32, _ scratch: BertScratch, _ word: inout WordBuffer, _ sink: inout Sink) {
        let flags = BertCharacterClass.flags(value)
        if cleanText && flags & BertCharacterClass.removedByCleaning != 0 { return }
        if flags & BertCharacterClass.whitespace != 0 {
            finishWord(scratch, &word, &sink)
            return
        }
        let isChinese = tokenizeChineseChars && flags & BertCharacterClass.chinese != 0
        if isChinese { finishWord(scratch, &word, &sink) }
        if (stripAccents || lowercase) && flags & BertCharacterClass.mayChange != 0 {
            let slot = scratch.expansionSlot(value) { BertExpansion.of($0, stripAccents: stripAccents, lowercase: lowercase) }
            for k in Int(scratch.expansionStarts[slot]) ..< Int(scratch.expansionStarts[slot + 1]) {
                let entry = scratch.expansionData[k]
                if entry == BertExpansion.runBreak {
                    if !scratch.marks.isEmpty { flushMarks(scratch, &word) }
                } else {
                    emit(BertExpansion.scalar(entry), combiningClass: BertExpansion.combiningClass(entry), scratch, &word, &sink)
                }
            }
        } else {
            emit(value, combiningClass: 0, scratch, &word, &sink)
        }
        if isChinese { finishWord(scratch, &word, &sink) }
    }

    /// One normalized scalar: a combining mark joins the pending run; anything else is split on
    /// (whitespace), isolated (punctuation) or added to the word.
    @inline(__always)
    private func emit<Sink: BertWordSink>(_ value: UInt32, combiningClass: UInt8, _ scratch: BertScratch,
                                          _ word: inout WordBuffer, _ sink: inout Sink) {
        if combiningClass != 0 {
            // Stable insertion by class: NFD's canonical ordering of the run.
            let entry = BertExpansion.pack(value, combiningClass)
            var at = scratch.marks.count
            while at > 0 && BertExpansion.combiningClass(scratch.marks[at - 1]) > combiningClass { at -= 1 }
            scratch.marks.insert(entry, at: at)
            return
        }
        if !scratch.marks.isEmpty { flushMarks(scratch, &word) }
        let flags = BertCharacterClass.flags(value)
        if flags & BertCharacterClass.whitespace != 0 {
            finishWord(scratch, &word, &sink)
        } else if flags & BertCharacterClass.punctuation != 0 {
            finishWord(scratch, &word, &sink)
            appendScalar(value, &word)
            finishWord(scratch, &word, &sink)
        } else {
            appendScalar(value, &word)
        }
    }

    private func flushMarks(_ scratch: BertScratch, _ word: inout WordBuffer) {
        for entry in scratch.marks { appendScalar(BertExpansion.scalar(entry), &word) }
        scratch.marks.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private func appendScalar(_ value: UInt32, _ word: inout WordBuffer) {
        word.reserve(4)
        word.scalars += 1
        if value < 0x80 {
            word.append(UInt8(value))
        } else if value < 0x800 {
            word.append(0xC0 | UInt8(value >> 6))
            word.append(0x80 | UInt8(value & 0x3F))
        } else if value < 0x10000 {
            word.append(0xE0 | UInt8(value >> 12))
            word.append(0x80 | UInt8(value >> 6 & 0x3F))
            word.append(0x80 | UInt8(value & 0x3F))
        } else {
            word.append(0xF0 | UInt8(value >> 18))
            word.append(0x80 | UInt8(value >> 12 & 0x3F))
            word.append(0x80 | UInt8(value >> 6 & 0x3F))
            word.append(0x80 | UInt8(value & 0x3F))
        }
    }

    @inline(__always)
    private func finishWord<Sink: BertWordSink>(_ scratch: BertScratch, _ word: inout WordBuffer, _ sink: inout Sink) {
        if !scratch.marks.isEmpty { flushMarks(scratch, &word) }
        if word.count == 0 { return }
        sink.word(word.bytes, scalarCount: word.scalars)
        word.count = 0
        word.scalars = 0
    }
}
