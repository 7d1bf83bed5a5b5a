/// The character classes of OpenAI's pre-tokenisation regex, with the meanings tiktoken's Rust
/// regex engine gives them: `\s` is the Unicode White_Space property, `\p{L}` the general
/// categories Lu/Ll/Lt/Lm/Lo, `\p{N}` Nd/Nl/No. Everything else is "other".
///
/// The Unicode version matters for characters assigned recently: tiktoken 0.14's engine (Rust
/// regex-syntax 0.8) has Unicode 16.0 tables, while Swift 6.3's standard library knows 17.0.
/// Characters new in a later version are unassigned to tiktoken, hence "other" here too.
/// (scripts/check_gpt2_tokenizer.py sweeps every code point against tiktoken.)
enum ScalarClass {
    static let unicodeVersion: Unicode.Version = (major: 16, minor: 0)

    static let other: UInt8 = 0
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    static let space: UInt8 = 3

    static func of(_ value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value) else { return other }  // surrogate code points
        let properties = scalar.properties
        guard let age = properties.age, age <= unicodeVersion else { return other }
        if properties.isWhitespace { return space }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return number
        default:
            return other
        }
    }

    /// Classes of U+0000...U+FFFF, computed once per process (a few milliseconds); text is
    /// overwhelmingly in this plane, so the scanner's hot path is one table load.
    static let basicPlane: [UInt8] = (0 ..< 0x10000).map { of(UInt32($0)) }

    /// Classes of U+10000...U+3FFFF (emoji, historic scripts, CJK extensions), built only
    /// when the first such scalar shows up. Higher planes hold no letters or digits; they are
    /// classified directly.
    static let supplementaryPlanes: [UInt8] = (0x10000 ..< 0x40000).map { of(UInt32($0)) }
}
