/// The settings of a BERT tokenizer, named as in Hugging Face's `tokenizer_config.json`
/// (`do_lower_case` → `doLowerCase`, ...). `BertTokenizer.load(directory:)` reads them from the
/// model's files; the defaults are those of Hugging Face's `BertTokenizer`.
public struct BertTokenizerConfiguration: Sendable, Equatable {
    /// Lowercase the text (uncased vocabularies).
    public var doLowerCase = true
    /// Strip accents (NFD, then drop nonspacing marks); nil: do so exactly when lowercasing,
    /// as the original BERT does.
    public var stripAccents: Bool?
    /// Put spaces around CJK ideographs so each becomes a word of its own.
    public var tokenizeChineseChars = true
    /// Drop control characters, NUL and U+FFFD, and turn every whitespace character into a space.
    public var cleanText = true

    public var unkToken = "[UNK]"
    public var clsToken = "[CLS]"
    public var sepToken = "[SEP]"
    public var padToken = "[PAD]"
    public var maskToken = "[MASK]"
    /// Further special tokens (Hugging Face's `additional_special_tokens` and the special entries
    /// of `added_tokens_decoder`): recognised whole in text, left out by `skipSpecialTokens`.
    public var additionalSpecialTokens: [String] = []
    /// Added tokens that are not special: recognised whole in text, but decoded like words.
    public var addedTokens: [String] = []
    /// Ids the post-processor gives [CLS] and [SEP] where the files state them (tokenizer.json's
    /// `post_processor`); otherwise the vocabulary's ids of `clsToken` and `sepToken`.
    public var clsTokenID: Int?
    public var sepTokenID: Int?

    /// Leave special-token text in the input as ordinary text ("[CLS]" → "[", "cl", "##s", "]")
    /// instead of recognising it (Hugging Face's `split_special_tokens`; off by default there too).
    public var splitSpecialTokens = false
    /// Longest input the model takes (`model_max_length`), when the files say.
    public var modelMaxLength: Int?
    /// A word with more scalars than this becomes [UNK] whole.
    public var maxInputCharsPerWord = 100
    public var continuingSubwordPrefix = "##"
    /// After decoding, also apply transformers' `clean_up_tokenization` (" ." → ".", " 's" → "'s", ...).
    public var cleanUpTokenizationSpaces = false

    public init() {}

    /// Whether accents are stripped after `stripAccents`' default is resolved.
    public var stripsAccents: Bool { stripAccents ?? doLowerCase }

    /// The named special tokens and the additional ones, without repeats.
    public var specialTokens: [String] {
        var all: [String] = []
        for name in [unkToken, sepToken, padToken, clsToken, maskToken] + additionalSpecialTokens where !all.contains(name) {
            all.append(name)
        }
        return all
    }
}
