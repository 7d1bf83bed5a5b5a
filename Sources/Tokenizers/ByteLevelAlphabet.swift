/// GPT-2's `bytes_to_unicode`: each byte gets a printable Unicode character so that a
/// vocabulary of byte strings can be stored as text (encoder.json, vocab.bpe). Printable
/// Latin-1 bytes stand for themselves; the other 68 bytes map to U+0100 onwards, which is
/// why a leading space shows up as "Ġ" (U+0120) in GPT-2 tokens.
enum ByteLevelAlphabet {
    /// The character standing for each byte.
    static let scalarForByte: [Unicode.Scalar] = {
        func printable(_ b: Int) -> Bool { (0x21 ... 0x7E).contains(b) || (0xA1 ... 0xAC).contains(b) || (0xAE ... 0xFF).contains(b) }
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 0x100
        for b in 0 ..< 256 {
            if printable(b) {
                table[b] = Unicode.Scalar(UInt8(b))
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The inverse: byte for each character value below 0x144, -1 where a character stands for no byte.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (b, scalar) in scalarForByte.enumerated() { table[Int(scalar.value)] = Int16(b) }
        return table
    }()

    static func byte(for scalar: UInt32) -> UInt8? {
        guard scalar < UInt32(byteForScalar.count) else { return nil }
        let b = byteForScalar[Int(scalar)]
        return b < 0 ? nil : UInt8(b)
    }

    /// A token's bytes in the vocabulary files' spelling ("Ġworld").
    static func spelling(of bytes: some Sequence<UInt8>) -> String {
        var text = String.UnicodeScalarView()
        for b in bytes { text.append(scalarForByte[Int(b)]) }
        return String(text)
    }
}
