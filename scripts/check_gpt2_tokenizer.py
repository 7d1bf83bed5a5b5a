#!/usr/bin/env python3
"""Full-corpus exactness check of textclf's GPT-2 tokenizer against tiktoken.

Encodes every text of SMS spam, SST-2 (train, dev, test) and IMDB (train + test) with tiktoken
(built as in ../shared/anchors/tiktoken_speed.py) and with `textclf tokenize` (JSON lines on
stdin), plus a sweep of every Unicode code point in several contexts, and reports mismatches per
corpus. Exit status: 0 all equal (or tiktoken missing: skipped), 1 mismatches, 2 bad usage.

Usage: python3 scripts/check_gpt2_tokenizer.py [--textclf .build/release/textclf] [--mirror DIR]
                                               [--only sms-spam,sst2,imdb,codepoints]
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import textclf_corpora  # noqa: E402


def codepoint_probe_vocabulary(points):
    """A made-up vocabulary that makes pre-tokenisation visible in the ids: besides the 256 bytes
    it holds, for each code point C, the tokens "aC", "1C" and "!C". In the probe text
    "aC\\n1C\\n!C\\n" each of them is a whole piece, and so one token, only if C is a letter
    (\\p{L}), a number (\\p{N}) or "other" respectively; whitespace (\\s) is none of the three.
    (With GPT-2's own vocabulary a misclassified rare character usually gives the same byte tokens
    either way, so a sweep with it would prove little.)"""
    ranks = {bytes([b]): b for b in range(256)}
    for c in points:
        for probe in ("a", "1", "!"):
            ranks.setdefault((probe + chr(c)).encode(), len(ranks))
    return ranks


def codepoint_sweep_chunks(chunk_size=65536):
    """Every code point but surrogates, in chunks; yields (probe vocabulary, [(name, text)])."""
    points = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    for start in range(0, len(points), chunk_size):
        chunk = points[start:start + chunk_size]
        rows = []
        for line in range(0, len(chunk), 64):
            cps = chunk[line:line + 64]
            rows.append((f"codepoints:U+{cps[0]:04X}", "".join(f"a{chr(c)}\n1{chr(c)}\n!{chr(c)}\n" for c in cps)))
        yield codepoint_probe_vocabulary(chunk), rows


def check_codepoints(binary, pat_str):
    """Runs the code point sweep; returns the mismatching rows."""
    import base64
    import tempfile
    import tiktoken
    mismatches, texts_seen, tokens = [], 0, 0
    for ranks, rows in codepoint_sweep_chunks():
        with tempfile.TemporaryDirectory() as directory:
            with open(os.path.join(directory, "gpt2.tiktoken"), "w") as f:
                f.writelines(f"{base64.b64encode(t).decode()} {r}\n" for t, r in ranks.items())
            enc = tiktoken.Encoding(name="probe", pat_str=pat_str, mergeable_ranks=ranks, special_tokens={})
            texts = [text for _, text in rows]
            expected = enc.encode_ordinary_batch(texts, num_threads=2)
            got = textclf_encode(binary, directory, texts)
        texts_seen += len(texts)
        tokens += sum(map(len, expected))
        mismatches += [(where, text, want, have, enc) for (where, text), want, have in zip(rows, expected, got) if want != have]
    return texts_seen, tokens, mismatches


def textclf_encode(binary, model_dir, texts):
    payload = "".join(json.dumps({"text": t}) + "\n" for t in texts).encode()
    run = subprocess.run([binary, "tokenize", "--model", model_dir], input=payload, capture_output=True)
    if run.returncode != 0:
        sys.exit(f"textclf tokenize failed ({run.returncode}): {run.stderr.decode()[:500]}")
    lines = run.stdout.decode().splitlines()
    if len(lines) != len(texts):
        sys.exit(f"textclf tokenize wrote {len(lines)} lines for {len(texts)} texts")
    return [json.loads(line)["ids"] for line in lines]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    parser.add_argument("--textclf", default=os.path.join(root, ".build", "release", "textclf"))
    parser.add_argument("--mirror", default=textclf_corpora.mirror_root())
    parser.add_argument("--only", default="sms-spam,sst2,imdb,codepoints")
    args = parser.parse_args()
    try:
        import tiktoken  # noqa: F401
    except ImportError:
        print("skipped: tiktoken is not installed")
        return 0
    if not args.mirror or not os.path.isdir(args.mirror):
        print("no mirror: pass --mirror or set TEXTCLF_MIRROR", file=sys.stderr)
        return 2
    if not os.access(args.textclf, os.X_OK):
        print(f"no textclf binary at {args.textclf} (swift build -c release)", file=sys.stderr)
        return 2
    enc = textclf_corpora.gpt2_tiktoken(args.mirror)
    total_mismatches = 0
    for name in args.only.split(","):
        started = time.perf_counter()
        if name == "codepoints":
            count, tokens, mismatches = check_codepoints(args.textclf, enc._pat_str)
        elif name in textclf_corpora.CORPORA:
            rows = list(textclf_corpora.CORPORA[name](args.mirror))
            texts = [text for _, text in rows]
            expected = enc.encode_ordinary_batch(texts, num_threads=2)
            got = textclf_encode(args.textclf, os.path.join(args.mirror, "models", "gpt2"), texts)
            mismatches = [(where, text, want, have, enc) for (where, text), want, have in zip(rows, expected, got) if want != have]
            count, tokens = len(texts), sum(map(len, expected))
        else:
            print(f"unknown corpus {name}", file=sys.stderr)
            return 2
        print(f"{name}: {count} texts, {tokens} tokens, {len(mismatches)} mismatches ({time.perf_counter() - started:.1f} s)")
        for where, text, want, have, used in mismatches[:5]:
            at = next((i for i, (a, b) in enumerate(zip(want, have)) if a != b), min(len(want), len(have)))
            print(f"  {where}: first difference at token {at}: tiktoken {want[max(0, at - 2):at + 4]} textclf {have[max(0, at - 2):at + 4]}"
                  f" near {used.decode(want[max(0, at - 2):at + 4])!r}")
        total_mismatches += len(mismatches)
    print("OK: identical to tiktoken" if total_mismatches == 0 else f"FAILED: {total_mismatches} mismatches")
    return 0 if total_mismatches == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
