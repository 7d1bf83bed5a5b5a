#!/usr/bin/env python3
"""Writes a corpus's texts as JSON lines {"text": ...} for `textclf bench tokenize --texts FILE`
(until the bench reads the mirror's archives itself through DataIO).

Usage: python3 scripts/export_bench_texts.py [imdb-train|imdb|sst2|sms-spam] > texts.jsonl
The default, imdb-train, is the text set of /work/shared/anchors/tiktoken_speed.py.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import textclf_corpora  # noqa: E402


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "imdb-train"
    mirror = textclf_corpora.mirror_root()
    if not mirror:
        sys.exit("no mirror: set TEXTCLF_MIRROR")
    if name == "imdb-train":
        rows = (row for row in textclf_corpora.imdb(mirror) if row[0].startswith("imdb/imdb_train.csv:"))
    elif name in textclf_corpora.CORPORA:
        rows = textclf_corpora.CORPORA[name](mirror)
    else:
        sys.exit(f"unknown corpus {name!r}")
    out = sys.stdout
    count = 0
    for _, text in rows:
        out.write(json.dumps({"text": text}) + "\n")
        count += 1
    print(f"{count} texts", file=sys.stderr)


if __name__ == "__main__":
    main()
