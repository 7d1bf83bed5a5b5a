#!/usr/bin/env python3
"""Writes the GPT-2 tokenizer fixtures of Tests/TokenizersTests/Fixtures from tiktoken:

  gpt2_cases.jsonl          hand-picked hard cases + seeded random mixes: {"name", "text", "ids"}
                            (and "allowed_special": true where <|endoftext|> is to be special)
  tiny_bpe.tiktoken         a made-up 400-token vocabulary (bytes + merges over "abcd"), so BPE
  tiny_bpe_cases.jsonl      merge order can be tested without the mirror, including long pieces

The corpora's texts are checked through digests instead (scripts/make_gpt2_corpus_digests.py):
no text of the mirror is copied into a fixture.

Usage: python3 scripts/make_gpt2_tokenizer_fixture.py [MIRROR]   (default: $TEXTCLF_MIRROR)
Needs tiktoken. The GPT-2 encoding is built as in ../shared/anchors/tiktoken_speed.py.
"""
import base64
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import textclf_corpora  # noqa: E402

import tiktoken  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "TokenizersTests", "Fixtures")


def bad_utf8(raw):
    return raw.decode("utf-8", errors="replace")


HARD_CASES = {
    # basics
    "empty": "", "space": " ", "letter": "a", "hello": "Hello world", "sentence": "The quick brown fox jumps over the lazy dog.",
    "leading-space": " Hello", "trailing-space": "Hello ", "only-punct": "!", "endoftext-as-text": "<|endoftext|>",
    "endoftext-in-text": "a<|endoftext|>b <|endoftext|> c",
    # contractions
    "its": "it's", "ITS": "IT'S", "im": "I'm", "youre": "you're", "weve": "we've", "theyll": "they'll", "hed": "he'd",
    "dont": "don't", "cant": "can't", "bare-s": "'s", "bare-S": "'S", "bare-LL": "'LL", "bare-Re": "'Re",
    "apos-mid": "x'sy", "apos-space-s": "' s", "space-apos-s": " 's", "double-apos": "''s", "rocknroll": "rock'n'roll",
    "contraction-chain": "'ll've'd're'm't's", "apos-end": "dogs'", "apos-digit": "'90s", "apos-run": "'''''",
    "curly-its": "it\u2019s", "curly-single": "\u2018quoted\u2019", "curly-double": "\u201cdouble\u201d",
    "apos-after-punct": "!!'s", "apos-upper-word": "JOHN'S CAR'S", "apos-lr": "'lr", "apos-ve-no-e": "'vx",
    "apos-newline": "'\ns", "apos-unicode": "'\u00e9",
    # whitespace
    "spaces-before-word": "   a", "spaces-after-word": "a   ", "spaces-between": "a     b", "tabs-before": "\t\ta",
    "tab-before": "\ta", "newlines": "\n\n\nb", "crlf": "a\r\nb", "crlf-run": "a\r\n\r\n\r\nb", "cr": "a\rb",
    "space-tab-space": " \t a", "tab-space": "\t a", "space-newline": "a \nb", "newline-space": "a\n b",
    "mixed-ws-before-word": "x \t\n  \u00a0 y", "only-spaces": "     ", "only-newlines": "\n\n", "only-tab": "\t",
    "ws-end": "word \t\n", "formfeed-vtab": "a\f\vb", "ws-before-digit": "   123", "ws-before-punct": "   !!!",
    "ws-before-emoji": "   \U0001F600", "space-before-cjk": " \u4f60\u597d",
    # Unicode spaces (White_Space) and look-alikes that are not
    "nbsp": "a\u00a0b", "nbsp-before-word": "\u00a0word", "nbsp-run": "a\u00a0\u00a0\u00a0b", "ideographic-space": "\u3000\u3000x",
    "thin-space": "10\u2009000", "narrow-nbsp": "a\u202fb", "em-space-run": "\u2003\u2003a", "ogham": "a\u1680b",
    "line-sep": "a\u2028b", "para-sep": "a\u2029b", "nel": "a\u0085b", "math-space": "a\u205fb",
    "zwsp-not-space": "a\u200bb", "zwnj": "a\u200cb", "mongolian-vs": "a\u180eb", "bom": "\ufeffa",
    "info-separators": "a\x1c\x1d\x1e\x1fb", "space-then-nbsp": "a \u00a0b", "nbsp-then-space": "a\u00a0 b",
    # digits and numbers
    "digits": "1234567890", "long-number": "12345678901234567890123456789", "decimal": "3.14159", "thousands": "1,000,000",
    "year": " 2024", "phone": "+1 (555) 123-4567", "arabic-indic": "\u0660\u0661\u0662\u0663", "ext-arabic-indic": "\u06f1\u06f2\u06f3",
    "devanagari-digits": "\u0967\u0968\u0969", "roman-numeral-nl": "\u216b \u2167", "small-roman": "\u2170\u2171",
    "vulgar-fraction": "\u00bd \u00be", "superscripts": "x\u00b2 + y\u00b3", "circled": "\u2460\u2461\u2462",
    "math-digits": "\U0001d7d8\U0001d7d9", "osmanya-digit": "\U000104a0", "ideographic-zero": "\u3007", "chinese-numerals": "\u4e00\u4e8c\u4e09",
    "letter-digit-mix": "x1y2z3", "digit-letter": "4th 21st 1990s", "number-word": "mp3 h264 x86_64",
    # letters in many scripts
    "chinese": "\u4f60\u597d\uff0c\u4e16\u754c\uff01", "japanese": "\u3053\u3093\u306b\u3061\u306f \u30ab\u30bf\u30ab\u30ca",
    "korean": "\uc548\ub155\ud558\uc138\uc694", "arabic": "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "hebrew": "\u05e9\u05dc\u05d5\u05dd", "thai": "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35", "devanagari": "\u0928\u092e\u0938\u094d\u0924\u0947",
    "cyrillic": "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440", "greek": "\u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5",
    "cjk-ext-b": "\U00020000\U0002a6d6", "mixed-scripts": "abc\u4e2d\u6587123\u0645\u0631", "titlecase": "\u01c5\u01c8",
    "modifier-letters": "\u02b0\u02b7 \u02bcx",
    # accents, composed and decomposed; combining marks
    "cafe-composed": "caf\u00e9", "cafe-decomposed": "cafe\u0301", "naive": "na\u00efve", "angstrom-decomposed": "A\u030angstro\u0308m",
    "combining-run": "a\u0300\u0301\u0302\u0303", "zalgo": "z\u0351\u0360\u0346a\u0352\u0357l\u0313g\u033do\u0310",
    "combining-after-space": " \u0301a", "combining-alone": "\u0301", "resume-s": "r\u00e9sum\u00e9's", "german": "Stra\u00dfe \u00fcber",
    "vietnamese": "Ti\u1ebfng Vi\u1ec7t", "enclosing-keycap": "1\ufe0f\u20e3",
    # emoji
    "robot": "\U0001F916", "thumbs-skin": "\U0001F44D\U0001F3FD", "family-zwj": "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466",
    "rainbow-flag": "\U0001F3F3\ufe0f\u200d\U0001F308", "flags": "\U0001F1FA\U0001F1F8\U0001F1EC\U0001F1E7", "heart-vs16": "\u2764\ufe0f",
    "smiley-bmp": "\u263a", "sparkles-run": "\u2728\u2728\u2728", "emoji-between-words": "hi\U0001F916there", "space-emoji": " \U0001F600",
    "emoji-sentence": "I love it \U0001F60D\U0001F60D\U0001F60D so much!!", "skin-tones": "\U0001F44B\U0001F3FB\U0001F44B\U0001F3FF",
    "woman-technologist": "\U0001F469\U0001F3FD\u200d\U0001F4BB", "tag-flag": "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F",
    # invalid UTF-8 decoded with replacement
    "invalid-ff-fe": bad_utf8(b"\xff\xfe abc"), "latin1-byte": bad_utf8(b"caf\xe9 au lait"), "truncated-3byte": bad_utf8(b"x\xe2\x82"),
    "bad-continuation": bad_utf8(b"\xc3\x28"), "overlong": bad_utf8(b"\xc0\xaf"), "surrogate-bytes": bad_utf8(b"\xed\xa0\x80"),
    "replacement-char": "\ufffd\ufffd", "replacement-in-word": "ab\ufffdcd",
    # long words and runs
    "a-1000": "a" * 1000, "ab-500": "ab" * 500, "ha-200": "ha" * 200, "supercal": "supercalifragilisticexpialidocious",
    "url": "https://www.example.com/path/to/some/really/long/resource?query=value&another=thing#fragment",
    "digits-500": "1234567890" * 50, "bang-300": "!" * 300, "robot-100": "\U0001F916" * 100, "space-400": " " * 400,
    "newline-200": "\n" * 200, "cjk-300": "\u6f22\u5b57" * 150, "accented-word-200": "\u00e9a" * 200,
    "long-mixed-word": "Pneumonoultramicroscopicsilicovolcanoconiosis" * 5, "dashes": "-" * 150 + "x",
    # punctuation runs
    "bang-question": "!!!???", "ellipsis": "...", "unicode-ellipsis": "\u2026", "br-tags": "great<br /><br />movie",
    "double-dash": "a--b", "parens": "((a))", "symbols": "@#$%^&*", "cpp": "C++ and C#", "smiley": ":-) ;-( :D",
    "quote-punct": "\"Hello,\" she said.", "html": "<a href=\"x\">y</a>", "markdown": "**bold** _it_ `code`",
    "em-dash": "yes\u2014no\u2013maybe", "guillemets": "\u00abbonjour\u00bb", "cjk-punct": "\u3002\u3001\uff01",
    # oddities
    "nul": "a\x00b", "bell": "\x07", "del": "a\x7fb", "private-use": "\ue000\U000f0000", "noncharacter": "\uffff\ufdd0",
    "soft-hyphen": "co\u00adoperate", "variation-selector": "\u845b\U000e0100", "lone-zwj": "\u200d", "rtl-mark": "a\u200fb",
    "unicode16-cyrillic": "\u1c89\u1c8a", "unicode16-garay": "\U00010d50\U00010d70", "unicode15-kawi": "\U00011f04\U00011f50",
    "cjk-ext-i": "\U0002ebf0", "cjk-ext-h": "\U00031350", "kaktovik": "\U0001d2c0\U0001d2c1",
}

ALLOWED_SPECIAL_CASES = {
    "special-alone": "<|endoftext|>", "special-between": "Hello<|endoftext|>world", "special-twice": "<|endoftext|><|endoftext|>",
    "special-spaces": "a <|endoftext|> b", "special-partial": "<|endoftext|<|endoftext|>|>", "special-none": "plain text",
}

RANDOM_ALPHABET = (list("aZ09 '\t\n\r.,!?-") + [" ", " ", "  ", "'s", "'ll", "\u00a0", "\u3000", "\u2009", "\u00e9", "e\u0301",
                   "\u4f60", "\u0661", "\u216b", "\u00bd", "\U0001F916", "\U0001F44D\U0001F3FD", "\u200d", "\ufe0f", "\u0301",
                   "\ufffd", "\x1c", "\u0085", "\u2028", "\U0001d7d8", "\u0e31", "<|endoftext|>", "'S", "\u2019s"])


def random_cases(rng, count):
    for i in range(count):
        yield f"random-{i}", "".join(rng.choice(RANDOM_ALPHABET) for _ in range(rng.randint(1, 40)))


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=True) + "\n")
    print(f"wrote {len(rows)} cases to {os.path.relpath(path)}")


def tiny_vocabulary(rng):
    """Bytes in byte order, then 144 merges of pairs of tokens over "abcd" in a random order, so
    merge priorities are unrelated to token length (harder than GPT-2's)."""
    ranks = {bytes([b]): b for b in range(256)}
    tokens = [bytes([c]) for c in b"abcd"]
    while len(ranks) < 400:
        left, right = rng.choice(tokens), rng.choice(tokens)
        merged = left + right
        if merged not in ranks and len(merged) <= 6:
            ranks[merged] = len(ranks)
            tokens.append(merged)
    return ranks


def main():
    mirror = textclf_corpora.mirror_from_argv()
    enc = textclf_corpora.gpt2_tiktoken(mirror)
    rng = random.Random(20240611)
    os.makedirs(OUT, exist_ok=True)

    cases = [{"name": n, "text": t, "ids": enc.encode_ordinary(t)} for n, t in HARD_CASES.items()]
    cases += [{"name": n, "text": t, "ids": enc.encode_ordinary(t)} for n, t in random_cases(rng, 150)]
    cases += [{"name": n, "text": t, "allowed_special": True, "ids": enc.encode(t, allowed_special={"<|endoftext|>"})}
              for n, t in ALLOWED_SPECIAL_CASES.items()]
    write_jsonl(os.path.join(OUT, "gpt2_cases.jsonl"), cases)

    ranks = tiny_vocabulary(rng)
    with open(os.path.join(OUT, "tiny_bpe.tiktoken"), "w") as f:
        for token, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
            f.write(f"{base64.b64encode(token).decode()} {rank}\n")
    tiny = tiktoken.Encoding(name="tiny", pat_str=enc._pat_str, mergeable_ranks=ranks, special_tokens={"<|endoftext|>": len(ranks)})
    texts = ["".join(rng.choice("abcd") for _ in range(n)) for n in [1, 2, 3, 5, 8, 13, 40, 127, 128, 129, 130, 300, 1000, 2000]]
    texts += ["".join(rng.choice("abcd ") for _ in range(rng.randint(1, 400))) for _ in range(40)]
    texts += ["a" * 129, "ab" * 100, "abcd" * 64, "dcba" * 300]
    write_jsonl(os.path.join(OUT, "tiny_bpe_cases.jsonl"), [{"text": t, "ids": tiny.encode_ordinary(t)} for t in texts])


if __name__ == "__main__":
    main()
