#!/usr/bin/env python3
"""Full-corpus exactness check of textclf's BERT WordPiece tokenizer against Hugging Face.

Encodes every text of SMS spam, SST-2 (train, dev, test) and IMDB (train + test) with
all-MiniLM-L6-v2's tokenizer from the mirror (`AutoTokenizer.from_pretrained`, the `tokenizers`-backed
BertTokenizer): with [CLS]/[SEP] and no truncation, and with truncation=True, max_length=128.
Adds a sweep of every Unicode code point (in "a{C}b {C}": the normalizer + pre-tokenizer words and
the ids) and of pairs of combining marks that survive accent stripping (NFD reordering).

The expected values go to a JSON-lines file; then `swift test -c release --filter
WordPieceCorpusCheckTests` reads it (TEXTCLF_WORDPIECE_EXPECTED points to it; the test is skipped
without it), encodes the same texts with BertTokenizer and reports mismatches per corpus.
Exit status: 0 all equal, 1 mismatches or test failure, 2 bad usage.

--settings '{"do_lower_case": false}' runs the check with tokenizer_config.json settings changed (in a
temporary model directory that links to the mirror's files; TEXTCLF_WORDPIECE_MODEL tells the test),
to exercise the cased and keep-accents paths on real text with the same vocabulary.

Usage: python3 scripts/check_wordpiece_tokenizer.py [--mirror DIR] [--only sms-spam,sst2,imdb,codepoints,marks]
                                                    [--expected /tmp/textclf-wordpiece-expected.jsonl] [--no-swift]
                                                    [--settings JSON]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import textclf_corpora  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def words_of(tok, text):
    backend = tok.backend_tokenizer
    return [w for w, _ in backend.pre_tokenizer.pre_tokenize_str(backend.normalizer.normalize_str(text))]


def codepoint_rows():
    """Every code point but surrogates, 64 per text, each as "a{C}b {C}" on its own line."""
    points = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    for start in range(0, len(points), 64):
        chunk = points[start:start + 64]
        yield f"codepoints:U+{chunk[0]:04X}", "".join(f"a{chr(c)}b {chr(c)}\n" for c in chunk)


def mark_pair_rows(tok):
    """Pairs of combining marks (nonzero combining class) that accent stripping keeps, in both
    orders, directly adjacent and with U+034F (a nonspacing mark of class 0, stripped) between."""
    normalizer = tok.backend_tokenizer.normalizer
    kept = [c for c in range(0x300, 0x110000) if not 0xD800 <= c < 0xE000 and unicodedata.combining(chr(c))
            and normalizer.normalize_str("a" + chr(c)) == "a" + chr(c)]
    for x in kept:
        text = "".join(f"a{chr(x)}{chr(z)}b a{chr(x)}\u034f{chr(z)}b\n" for z in kept)
        yield f"marks:U+{x:04X}", text


def expected_rows(tok, name, rows, with_words):
    rows = list(rows)
    texts = [text for _, text in rows]
    full = tok(texts)["input_ids"]
    cut = tok(texts, truncation=True, max_length=128)["input_ids"]
    for i, ((where, text), ids, ids128) in enumerate(zip(rows, full, cut)):
        line = {"corpus": name, "where": where, "text": text, "ids": ids, "ids_128": ids128}
        if with_words:
            line["words"] = words_of(tok, text)
        yield line


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", default=textclf_corpora.mirror_root())
    parser.add_argument("--only", default="sms-spam,sst2,imdb,codepoints,marks")
    parser.add_argument("--expected", default="/tmp/textclf-wordpiece-expected.jsonl")
    parser.add_argument("--no-swift", action="store_true", help="only write the expected file")
    parser.add_argument("--settings", help="JSON object of tokenizer_config.json settings to change")
    args = parser.parse_args()
    try:
        from transformers import AutoTokenizer
    except ImportError:
        print("skipped: transformers is not installed")
        return 0
    if not args.mirror or not os.path.isdir(os.path.join(args.mirror, "models", "all-MiniLM-L6-v2")):
        print("no mirror with models/all-MiniLM-L6-v2: pass --mirror or set TEXTCLF_MIRROR", file=sys.stderr)
        return 2
    model_dir = os.path.join(args.mirror, "models", "all-MiniLM-L6-v2")
    temporary = None
    if args.settings:
        temporary = tempfile.mkdtemp(prefix="textclf-wordpiece-model-")
        for name in os.listdir(model_dir):
            if name != "tokenizer_config.json":
                os.symlink(os.path.join(model_dir, name), os.path.join(temporary, name))
        with open(os.path.join(model_dir, "tokenizer_config.json"), encoding="utf-8") as f:
            config = json.load(f)
        config.update(json.loads(args.settings))
        with open(os.path.join(temporary, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f)
        model_dir = temporary
        print(f"settings {args.settings}: model directory {model_dir}")
    try:
        return check(args, model_dir, AutoTokenizer.from_pretrained(model_dir))
    finally:
        if temporary:
            shutil.rmtree(temporary)


def check(args, model_dir, tok):
    started = time.perf_counter()
    counts = {}
    with open(args.expected, "w", encoding="utf-8") as out:
        for name in args.only.split(","):
            if name == "codepoints":
                rows, with_words = codepoint_rows(), True
            elif name == "marks":
                if tok.backend_tokenizer.normalizer.normalize_str("e\u0301") != "e":
                    print("marks: skipped (these settings keep accents, so NFD does not reorder marks)")
                    continue
                rows, with_words = mark_pair_rows(tok), True
            elif name in textclf_corpora.CORPORA:
                rows, with_words = textclf_corpora.CORPORA[name](args.mirror), False
            else:
                print(f"unknown corpus {name}", file=sys.stderr)
                return 2
            counts[name] = 0
            for line in expected_rows(tok, name, rows, with_words):
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                counts[name] += 1
    print(f"Hugging Face: {', '.join(f'{n} {c} texts' for n, c in counts.items())} -> {args.expected} "
          f"({time.perf_counter() - started:.1f} s)")
    if args.no_swift:
        return 0

    environment = dict(os.environ, TEXTCLF_WORDPIECE_EXPECTED=args.expected, TEXTCLF_WORDPIECE_MODEL=model_dir,
                       TEXTCLF_MIRROR=args.mirror)
    run = subprocess.run(["swift", "test", "-c", "release", "--filter", "WordPieceCorpusCheckTests"],
                         cwd=ROOT, env=environment, capture_output=True, text=True)
    report = [line for line in run.stdout.splitlines() if line.startswith("wordpiece-check")]
    failures = [line for line in run.stdout.splitlines() if ": error:" in line]
    for line in report + failures[:20]:
        print(line)
    if run.returncode != 0 or not report:
        if not report:
            print(run.stdout[-3000:], run.stderr[-3000:], sep="\n")
        print("FAILED")
        return 1
    print("OK: identical to Hugging Face")
    return 0


if __name__ == "__main__":
    sys.exit(main())
