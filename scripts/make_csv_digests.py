#!/usr/bin/env python3
"""Makes Tests/DataIOTests/Fixtures/csv_digests.json: what Python's csv module reads from the
mirror's delimited datasets, as counts and hashes (no text, so nothing of the data is committed).

DataIO's acceptance tests read the same members with CSVReader and must agree exactly: row count,
field count, label counts, and for every column an FNV-1a 64 digest over all its values, plus
digests of each block of 1,000 whole rows (to locate a mismatch) and per-field byte lengths and
digests of a few sample rows.

Digest: FNV-1a 64 over, for each value in order, its UTF-8 bytes followed by one 0xFF byte (a
byte that never occurs in UTF-8, so value boundaries are unambiguous).

Rows Python returns as [] (blank lines) are left out, as csv.DictReader does.

Usage: scripts/make_csv_digests.py [MIRROR]   (default: $TEXTCLF_MIRROR or ../shared/mirror)
"""
import collections
import csv
import io
import json
import os
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import textclf_corpora  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "DataIOTests", "Fixtures", "csv_digests.json")
BLOCK = 1000

# archive (under mirror/datasets), member, delimiter, quoting, header?, label column (name or index)
FILES = [
    ("sms-spam/sms+spam+collection.zip", "SMSSpamCollection", "\t", "none", False, 0),
    ("imdb/imdb.zip", "imdb_train.csv", ",", "rfc4180", True, "label"),
    ("imdb/imdb.zip", "imdb_test.csv", ",", "rfc4180", True, "label"),
    ("ag-news/ag_news_csv.zip", "ag_news_csv/test.csv", ",", "rfc4180", False, 0),
    ("sst2/sst2.zip", "train.tsv", "\t", "rfc4180", True, "label"),
    ("sst2/sst2.zip", "dev.tsv", "\t", "rfc4180", True, "label"),
    ("sst2/sst2.zip", "test.tsv", "\t", "rfc4180", True, "label"),
    ("bbc-news/bbc-news.zip", "bbc_news_2225.csv", ",", "rfc4180", True, "label"),
]

class FNV:
    def __init__(self):
        self.h = textclf_corpora.FNV_OFFSET

    def value(self, text):
        self.h = textclf_corpora.fnv1a64(text.encode("utf-8") + b"\xff", self.h)

    def hex(self):
        return f"{self.h:016x}"


def digest_values(values):
    f = FNV()
    for v in values:
        f.value(v)
    return f.hex()


def describe(mirror, archive, member, delimiter, quoting, has_header, label):
    with zipfile.ZipFile(os.path.join(mirror, "datasets", archive)) as z:
        text = z.read(member).decode("utf-8")  # strict: the files are valid UTF-8
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                        quoting=csv.QUOTE_NONE if quoting == "none" else csv.QUOTE_MINIMAL)
    rows = [r for r in reader if r]
    header = rows.pop(0) if has_header else None
    fields = len(header) if header else len(rows[0])
    assert all(len(r) == fields for r in rows), f"{member}: ragged rows"
    label_index = header.index(label) if isinstance(label, str) else label
    samples = sorted({0, len(rows) - 1, max(range(len(rows)), key=lambda i: sum(v.count("\n") for v in rows[i]))})
    return {
        "archive": archive,
        "member": member,
        "delimiter": delimiter,
        "quoting": quoting,
        "header": header,
        "rows": len(rows),
        "fields": fields,
        "labelColumn": label_index,
        "labelCounts": dict(sorted(collections.Counter(r[label_index] for r in rows).items())),
        "columnBytes": [sum(len(r[c].encode("utf-8")) for r in rows) for c in range(fields)],
        "columnDigests": [digest_values(r[c] for r in rows) for c in range(fields)],
        "blockRows": BLOCK,
        "blockDigests": [digest_values(v for r in rows[i:i + BLOCK] for v in r) for i in range(0, len(rows), BLOCK)],
        "samples": [{"row": i + 1,
                     "fieldBytes": [len(v.encode("utf-8")) for v in rows[i]],
                     "fieldDigests": [digest_values([v]) for v in rows[i]]} for i in samples],
    }


def main():
    mirror = textclf_corpora.mirror_from_argv()
    result = {
        "about": "Made by scripts/make_csv_digests.py with Python's csv module; see its docstring.",
        "digest": "FNV-1a 64 over each value's UTF-8 bytes followed by one 0xFF byte",
        "files": [],
    }
    for spec in FILES:
        entry = describe(mirror, *spec)
        print(f"{spec[1]}: {entry['rows']} rows, labels {entry['labelCounts']}", file=sys.stderr)
        result["files"].append(entry)
    with open(OUT, "w") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
