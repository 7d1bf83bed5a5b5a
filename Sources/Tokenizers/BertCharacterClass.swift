/// How BERT's normalizer and pre-tokenizer treat each Unicode scalar, with the meanings Hugging
/// Face's `tokenizers` library (Rust; what `BertTokenizerFast` runs) gives them:
///
/// - removed by `clean_text`: U+0000, U+FFFD and the "other" categories Cc, Cf, Co (but not
///   `\t`, `\n`, `\r`) — its `_is_control`;
/// - whitespace: Rust's `char::is_whitespace`, the White_Space property (`\t`, `\n`, `\r`
///   included) — its `_is_whitespace` and the pre-tokenizer's split;
/// - punctuation: ASCII 33–47, 58–64, 91–96, 123–126 or a P* category — `_is_punctuation`;
/// - Chinese: the CJK ideograph blocks of `_is_chinese_char`, which get spaces around them;
/// - nonspacing mark: category Mn, dropped after NFD when accents are stripped.
///
/// The Unicode versions matter for characters assigned or recategorised later: the categories
/// come from the `unicode_categories` crate (Unicode 8.0 tables) and NFD with its combining
/// classes from `unicode-normalization-alignments` (Unicode 9.0), while Swift 6.3 knows 17.0.
/// So categories are read as Unicode 8.0 had them (characters assigned later have none of the
/// classes above) and decompositions and combining classes as 9.0 had them.
/// (scripts/check_wordpiece_tokenizer.py sweeps every code point against `tokenizers`.)
enum BertCharacterClass {
    static let removedByCleaning: UInt8 = 1
    static let whitespace: UInt8 = 2
    static let punctuation: UInt8 = 4
    static let chinese: UInt8 = 8
    static let nonspacingMark: UInt8 = 16
    /// May map to something other than itself when lowercased or decomposed (NFD, Unicode 9.0),
    /// or has a nonzero combining class: the scalar needs `BertExpansion` when the text is
    /// lowercased or accents are stripped.
    static let mayChange: UInt8 = 32

    static let categoryVersion: Unicode.Version = (major: 8, minor: 0)
    static let normalizationVersion: Unicode.Version = (major: 9, minor: 0)

    static func of(_ value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value) else { return 0 }
        var flags: UInt8 = 0
        if isWhitespace(value) { flags |= whitespace }
        if isChinese(value) { flags |= chinese }
        let age = scalar.properties.age
        switch categoryInUnicode8(scalar, age: age) {
        case .control, .format, .privateUse, .surrogate:
            if value != 0x09 && value != 0x0A && value != 0x0D { flags |= removedByCleaning }
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            flags |= punctuation
        case .nonspacingMark:
            flags |= nonspacingMark
        default:
            break
        }
        if value == 0 || value == 0xFFFD { flags |= removedByCleaning }
        if isASCIIPunctuation(value) { flags |= punctuation }
        // Property lookups are what building the table costs, so the cheap test goes first
        // (and characters unknown to Unicode 9.0 have neither decomposition nor combining class).
        if value >= 0x80, let age, mayDecompose(scalar, age: age) || scalar.properties.changesWhenLowercased {
            flags |= mayChange
        }
        return flags
    }

    /// Rust's `char::is_whitespace`: the White_Space property, which has not changed since
    /// Unicode 6.3.
    static func isWhitespace(_ value: UInt32) -> Bool {
        switch value {
        case 0x09 ... 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000 ... 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// The general category Unicode 8.0 gave `scalar`; `.unassigned` for later characters.
    /// Seven characters changed category since; they are listed here (found by the sweep).
    static func categoryInUnicode8(_ scalar: Unicode.Scalar, age: Unicode.Version?) -> Unicode.GeneralCategory {
        switch scalar.value {
        case 0x166D, 0x111C9: return .otherPunctuation   // now So and Mn
        case 0x1734, 0x1171E: return .nonspacingMark     // now Mc
        case 0x1885, 0x1886: return .otherLetter         // now Mn
        case 0xA9BD: return .spacingMark                 // now Mn
        default:
            guard let age, age <= categoryVersion else { return .unassigned }
            return scalar.properties.generalCategory
        }
    }

    /// The canonical combining class NFD sorts marks by, as of Unicode 9.0 (0 for later characters).
    static func combiningClass(_ scalar: Unicode.Scalar) -> UInt8 {
        guard let age = scalar.properties.age, age <= normalizationVersion else { return 0 }
        return scalar.properties.canonicalCombiningClass.rawValue
    }

    /// False only where there is certainly no canonical decomposition and no combining class:
    /// characters unknown to Unicode 9.0, and the CJK unified ideographs (most non-Latin text).
    static func mayDecompose(_ scalar: Unicode.Scalar, age: Unicode.Version? = nil) -> Bool {
        guard let age = age ?? scalar.properties.age, age <= normalizationVersion else { return false }
        return !(0x4E00 ... 0x9FFF).contains(scalar.value) && !(0x3400 ... 0x4DBF).contains(scalar.value)
    }

    static func isASCIIPunctuation(_ value: UInt32) -> Bool {
        (33 ... 47).contains(value) || (58 ... 64).contains(value) || (91 ... 96).contains(value) || (123 ... 126).contains(value)
    }

    /// `_is_chinese_char`'s ranges as `tokenizers` has them (its fourth supplementary range
    /// starts at U+2B920, where Python's BertTokenizer has U+2B820).
    static func isChinese(_ value: UInt32) -> Bool {
        switch value {
        case 0x4E00 ... 0x9FFF, 0x3400 ... 0x4DBF, 0x20000 ... 0x2A6DF, 0x2A700 ... 0x2B73F,
             0x2B740 ... 0x2B81F, 0x2B920 ... 0x2CEAF, 0xF900 ... 0xFAFF, 0x2F800 ... 0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// Flags of U+0000...U+FFFF, computed once per process; text is overwhelmingly in this
    /// plane, so the hot path is one table load. Higher planes are classified directly.
    static let basicPlane: [UInt8] = (0 ..< 0x10000).map { of(UInt32($0)) }

    @inline(__always)
    static func flags(_ value: UInt32) -> UInt8 {
        value < 0x10000 ? basicPlane[Int(value)] : of(value)
    }
}
