#!/usr/bin/env python3
"""Writes the WordPiece (BERT) tokenizer fixtures of Tests/TokenizersTests/Fixtures from Hugging Face
transformers (`AutoTokenizer.from_pretrained`, the `tokenizers`-backed BertTokenizer):

  wordpiece_cases.jsonl       hand-written hard cases encoded with all-MiniLM-L6-v2's tokenizer from the
                              mirror: {"name", "text", "ids" ([CLS] ... [SEP], no truncation),
                              "ids_16" (truncation=True, max_length=16), "words" (normalizer +
                              pre-tokenizer output; absent where the text holds special-token text),
                              "decoded", "decoded_skip" (decode with/without skip_special_tokens)}
  wordpiece_tiny_vocab.txt    a made-up 400-odd token vocabulary (no mirror content), cased and uncased
                              pieces, accented letters, CJK, an added special token
  wordpiece_tiny_cases.jsonl  the same texts through that vocabulary under several settings:
                              {"variant", "name", "text", "ids"}; each variant's files are described
                              by a {"variant", "files": {name: JSON content}} line first
                              (tokenizer_config.json / tokenizer.json written beside vocab.txt)

Usage: python3 scripts/make_wordpiece_fixture.py [MIRROR]   (default: $TEXTCLF_MIRROR)
Needs transformers (and tokenizers). The texts are invented here; none come from the mirror.
"""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import textclf_corpora  # noqa: E402

from transformers import AutoTokenizer  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "TokenizersTests", "Fixtures")

LONG_SENTENCE = "The film's opening act, which runs about forty minutes, is remarkably patient. " * 6

HARD_CASES = {
    # basics
    "empty": "", "space": " ", "letter": "a", "hello": "Hello, World!", "upper": "HELLO WORLD", "sentence":
    "The quick brown fox jumps over the lazy dog.", "unknown-word": "qwrtplkjhgf xyzzyq", "subwords": "unaffable tokenization",
    # whitespace
    "only-whitespace": " \t\n\r  ", "mixed-whitespace": "a \t b\n\nc\r\nd", "unicode-spaces": "a\u00a0b\u2003c\u3000d\u2009e\u202ff",
    "line-para-sep": "a\u2028b\u2029c", "nel-vt-ff": "a\u0085b\u000bc\u000cd", "only-unicode-spaces": "\u3000\u00a0\u2003",
    "ogham-space": "a\u1680b", "mongolian-vs": "a\u180eb", "tab-in-word": "foo\tbar",
    # control and format characters, NUL, U+FFFD
    "controls": "a\x00b\x01c\x7fd\x1be\x1cf", "nul-only": "\x00", "replacement-char": "caf\ufffd ok\ufffd",
    "zero-width": "a\u200bb\u200cc\u200dd\u2060e", "bom": "\ufeffhello", "soft-hyphen": "co\u00adoperate",
    "bidi-marks": "abc\u200e\u200fdef\u202aghi\u202c", "private-use": "a\ue000b\U000f0000c", "unassigned": "a\u0378b\U0001fffeb",
    "c1-controls": "a\x80b\x9fc", "interlinear": "a\ufff9b\ufffbc",
    # accents, composed and decomposed
    "accents-composed": "café naïve résumé Ångström façade", "accents-decomposed": "cafe\u0301 nai\u0308ve re\u0301sume\u0301",
    "accents-upper": "ÉCOLE ÑANDÚ ÇA", "dotted-i": "İstanbul DİYARBAKIR", "sharp-s": "Straße STRASSE ẞ",
    "greek": "ΟΔΥΣΣΕΥΣ Σίσυφος ἄνθρωπος", "cyrillic": "Привет, мир! Ёлка Й", "vietnamese": "Tiếng Việt có dấu",
    "stacked-marks": "a\u0301\u0316 e\u0327\u0301 o\u031b\u0323\u0302", "mark-alone": "\u0301 \u0327x",
    "ohm-angstrom-kelvin": "\u2126 \u212b \u212a", "greek-varia": "a\u1fefb \u1fed \u037e",
    "hangul": "안녕하세요 세계", "hangul-jamo": "\u1100\u1161\u11a8", "devanagari": "नमस्ते दुनिया", "thai": "สวัสดีครับ",
    "arabic": "مرحبا بالعالم مَرْحَبًا", "hebrew": "שָׁלוֹם עולם", "titlecase-digraph": "ǅemal ǈ ǋ",
    "fullwidth": "ＨＥＬＬＯ ｗｏｒｌｄ １２３！", "ligature": "ﬁne ﬂow", "math-alnum": "𝐇𝐞𝐥𝐥𝐨 𝟙𝟚",
    "roman-numerals": "Ⅻ ⅻ Ⅷ", "circled": "Ⓐ ⓑ ①", "superscripts": "x² y³ ½",
    # CJK
    "chinese": "我爱北京天安门。", "chinese-mixed": "abc中文def", "japanese": "こんにちは世界、カタカナ！",
    "compat-ideographs": "\uf900\ufa0e\ufa6a", "cjk-ext-b": "\U00020000\U0002a6d6x", "cjk-ext-e-f": "\U0002b820\U0002b920\U0002ceaf",
    "compat-supplement": "\U0002f800\U0002fa1d", "cjk-radicals": "\u2f00\u2e80", "cjk-ext-a": "\u3400\u4dbf",
    # emoji and symbols
    "emoji": "I ❤️ NY 👍🏽 🇫🇷", "emoji-zwj": "👨‍👩‍👧 family", "emoji-only": "😀😃😄", "symbols": "℃ ™ © ® ° € £ ¥ ∞ ≠ ≤",
    "box-drawing": "┌─┐│└┘", "arrows": "→ ← ⇒",
    # punctuation
    "ascii-symbols": "$+<=>^`|~ @#%&*()[]{}\\/_-", "ascii-punct-run": "!!!???...,,,;;;:::", "sentence-punct": "Wait... what?! No way!!!",
    "unicode-punct": "¡Hola! ¿Qué? «quoted» “smart” ‘single’ — – … • · § ¶ † ‡ ※ ‰",
    "cjk-punct": "「引用」『書名』【注】〈a〉", "fullwidth-punct": "，。！？：；", "quotes-mixed": "\"double\" 'single' `back`",
    "new-punct": "\u2e42 \u2e4f \U00011c70 \U0001e95e", "recategorised": "\u166d\u1734\u1885\ua9bd\U000111c9",
    # numbers
    "numbers": "3.14159 1,000,000 2024-01-01 10:30pm $5.99 50% -7 +3e10", "digits-long": "12345678901234567890",
    "other-digits": "٠١٢٣ ۱۲۳ १२३", "phone": "+1 (555) 123-4567",
    # apostrophes
    "apostrophes": "don't can't it's O'Neill rock'n'roll 'quoted' dogs'", "curly-apostrophes": "don’t it’s ‘quoted’",
    "contractions-upper": "DON'T IT'S",
    # special-token text
    "cls-like": "[CLS] hello [SEP]", "cls-inside": "x[CLS]y [cls] [SEP][SEP] [MASK]s", "partial-special": "[CLS [SEP [UNK [PAD]]",
    "special-only": "[PAD]", "special-nested": "[[SEP]] [[CLS]]", "special-unk": "an [UNK] token", "mask-sentence":
    "The capital of France is [MASK].", "added-token-text": "a <extra> b [NEW] c<extra>d [new]",
    # long words
    "word-100": "a" * 100, "word-101": "a" * 101, "word-long-mixed": "supercalifragilistic" * 6, "word-long-with-punct":
    "x" * 150 + "." + "y" * 50, "long-accented": "é" * 120, "dotted-i-60": "İ" * 60, "long-decomposed": "e\u0301" * 70,
    # web text
    "url": "https://example.com/path/to/page?q=1&r=two#frag", "email": "john.doe+tag@example.org", "html": "<br /><br />This movie was great",
    "hashtags": "#MachineLearning @user_name", "path": "C:\\Users\\me\\file.txt", "code": "if (x >= 10) { return y[i] ** 2; }",
    "repeated-chars": "soooooo goooood!!!!!!", "camel": "CamelCaseWords iPhone eBay", "underscores": "snake_case_name __init__",
    # truncation
    "long-text": LONG_SENTENCE, "long-cjk": "中文字符" * 40,
}

# The tiny vocabulary: specials, characters (cased and uncased), their ## forms, some words.
TINY_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<extra>"]
TINY_CHARS = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") + list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + \
    list("éèêëïîçñüöäåøßæœ") + list("ÉÀÇ") + list("αβγδεσςπΣ") + list("абвгдеж") + list("中文字符我爱北京天安门") + \
    ["\u0301", "\u0308", "\u0327", "…", "—", "“", "”", "¡", "¿", "«", "»", "€", "°", "²", "½"]
TINY_WORDS = ["the", "The", "un", "##aff", "##able", "hello", "Hello", "world", "World", "##s", "##ing", "##ed", "play",
              "café", "cafe", "naïve", "naive", "resume", "résumé", "token", "##ization", "##ize", "don", "can", "it",
              "http", "https", "example", "com", "##ple", "##ment", "quick", "brown", "fox", "straße", "strasse", "istanbul",
              "ok", "##ok", "cls", "sep", "mask", "##cls"]


def tiny_vocab():
    vocab = []
    for token in TINY_SPECIALS + TINY_CHARS + ["##" + c for c in TINY_CHARS if c not in "[]"] + TINY_WORDS:
        if token not in vocab:
            vocab.append(token)
    return vocab


def tiny_tokenizer_json(vocab):
    """A tokenizer.json run as it is (no tokenizer_config.json): cased, accents kept, no text cleaning,
    words of more than 12 characters become [UNK], and BertProcessing instead of a template."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors, decoders
    from tokenizers.models import WordPiece
    tok = Tokenizer(WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]", max_input_chars_per_word=12))
    tok.normalizer = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.BertProcessing(("[SEP]", vocab.index("[SEP]")), ("[CLS]", vocab.index("[CLS]")))
    tok.decoder = decoders.WordPiece()
    tok.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    return json.loads(tok.to_str())


# Settings under which the tiny vocabulary is checked: the files beside vocab.txt.
def tiny_variants(vocab):
    added = {"0": {"content": "[PAD]", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True},
             "1": {"content": "[UNK]", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True},
             "2": {"content": "[CLS]", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True},
             "3": {"content": "[SEP]", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True},
             "4": {"content": "[MASK]", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True},
             "5": {"content": "<extra>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True}}
    return {
        # transformers needs config.json to pick BertTokenizer here; textclf, finding only vocab.txt, takes BERT anyway.
        "defaults-vocab-only": {"config.json": {"model_type": "bert"}},
        "uncased": {"tokenizer_config.json": {"tokenizer_class": "BertTokenizer", "do_lower_case": True}},
        "cased": {"tokenizer_config.json": {"tokenizer_class": "BertTokenizer", "do_lower_case": False}},
        "lowercase-keep-accents": {"tokenizer_config.json": {"tokenizer_class": "BertTokenizerFast", "do_lower_case": True, "strip_accents": False}},
        "cased-strip-accents": {"tokenizer_config.json": {"tokenizer_class": "BertTokenizer", "do_lower_case": False, "strip_accents": True}},
        "no-chinese-split": {"tokenizer_config.json": {"tokenizer_class": "BertTokenizer", "tokenize_chinese_chars": False}},
        "split-special-tokens": {"tokenizer_config.json": {"tokenizer_class": "BertTokenizer", "split_special_tokens": True}},
        "added-tokens-decoder": {"tokenizer_config.json": {"tokenizer_class": "BertTokenizer", "added_tokens_decoder": added,
                                                           "model_max_length": 64}},
        "special-tokens-map": {"tokenizer_config.json": {"tokenizer_class": "BertTokenizer", "do_lower_case": False},
                               "special_tokens_map.json": {"unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]",
                                                           "pad_token": "[PAD]", "mask_token": "[MASK]",
                                                           "additional_special_tokens": ["<extra>", "[NEW]"]}},
        "tokenizer-json-only": {"tokenizer.json": tiny_tokenizer_json(vocab)},
    }


def hf_tokenizer(directory):
    return AutoTokenizer.from_pretrained(directory)


def words_of(tok, text):
    backend = tok.backend_tokenizer
    return [w for w, _ in backend.pre_tokenizer.pre_tokenize_str(backend.normalizer.normalize_str(text))]


def main():
    mirror = sys.argv[1] if len(sys.argv) > 1 else textclf_corpora.mirror_root()
    if not mirror or not os.path.isdir(os.path.join(mirror, "models", "all-MiniLM-L6-v2")):
        sys.exit("no mirror with models/all-MiniLM-L6-v2: pass MIRROR or set TEXTCLF_MIRROR")
    tok = hf_tokenizer(os.path.join(mirror, "models", "all-MiniLM-L6-v2"))
    specials = set(tok.all_special_tokens)
    with open(os.path.join(OUT, "wordpiece_cases.jsonl"), "w", encoding="utf-8") as f:
        for name, text in HARD_CASES.items():
            ids = tok(text)["input_ids"]
            case = {"name": name, "text": text, "ids": ids, "ids_16": tok(text, truncation=True, max_length=16)["input_ids"],
                    "decoded": tok.decode(ids), "decoded_skip": tok.decode(ids, skip_special_tokens=True)}
            if not any(s in text for s in specials):
                case["words"] = words_of(tok, text)
            f.write(json.dumps(case, ensure_ascii=False) + "\n")

    vocab = tiny_vocab()
    with open(os.path.join(OUT, "wordpiece_tiny_vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in vocab))
    with open(os.path.join(OUT, "wordpiece_tiny_cases.jsonl"), "w", encoding="utf-8") as out:
        for variant, files in tiny_variants(vocab).items():
            out.write(json.dumps({"variant": variant, "files": files}, ensure_ascii=False) + "\n")
            directory = tempfile.mkdtemp()
            try:
                if "tokenizer.json" not in files:
                    shutil.copy(os.path.join(OUT, "wordpiece_tiny_vocab.txt"), os.path.join(directory, "vocab.txt"))
                for file_name, content in files.items():
                    with open(os.path.join(directory, file_name), "w", encoding="utf-8") as f:
                        json.dump(content, f, ensure_ascii=False)
                tiny = hf_tokenizer(directory)
                for name, text in HARD_CASES.items():
                    ids = tiny(text)["input_ids"]
                    out.write(json.dumps({"variant": variant, "name": name, "text": text, "ids": ids,
                                          "decoded_skip": tiny.decode(ids, skip_special_tokens=True)}, ensure_ascii=False) + "\n")
            finally:
                shutil.rmtree(directory)
    print(f"wrote {len(HARD_CASES)} cases, a {len(vocab)}-token tiny vocabulary and its variants to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
