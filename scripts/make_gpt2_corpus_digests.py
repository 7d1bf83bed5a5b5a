#!/usr/bin/env python3
"""Writes Tests/TokenizersTests/Fixtures/gpt2_corpus_digests.json: for every text of the mirror's
SMS spam, SST-2 (train, dev, test) and IMDB (train, test) corpora, what tiktoken's GPT-2 encoding
gives, as digests per block of texts. GPT2CorpusDigestTests encodes the same texts (read with
DataIO) and compares block by block, so CI checks exactness on every corpus text without Python
and without committing any text of the corpora.

Per block of BLOCK_TEXTS consecutive texts of one member (the last block may be shorter):
  tokens   the number of ids of the block's texts together
  fnv1a64  FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3) over the bytes: for
           each text in order, each id as 4 bytes little-endian (UInt32), then FF FF FF FF (an id
           no vocabulary has) to end the text; as 16 lowercase hex digits

Texts are read as scripts/textclf_corpora.py reads them (SMS: `label<TAB>text` lines, no header,
no quoting; SST-2: TSV with header, column 1, no quoting; IMDB: RFC 4180 CSV, column `text`), and
encoded with encode_ordinary (no special tokens).

Usage: python3 scripts/make_gpt2_corpus_digests.py [MIRROR]   (default: $TEXTCLF_MIRROR)
Needs tiktoken. Takes about a minute (the hash is plain Python).
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import textclf_corpora  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "TokenizersTests", "Fixtures",
                   "gpt2_corpus_digests.json")
BLOCK_TEXTS = 500
END_OF_TEXT = b"\xff\xff\xff\xff"


def block_digests(id_lists):
    blocks = []
    for start in range(0, len(id_lists), BLOCK_TEXTS):
        h, tokens = textclf_corpora.FNV_OFFSET, 0
        for ids in id_lists[start:start + BLOCK_TEXTS]:
            h = textclf_corpora.fnv1a64(struct.pack(f"<{len(ids)}I", *ids) + END_OF_TEXT, h)
            tokens += len(ids)
        blocks.append({"tokens": tokens, "fnv1a64": f"{h:016x}"})
    return blocks


def members(mirror):
    """(archive relative to datasets/, member, texts) for each member, in the test's order."""
    by_member = {}
    for corpus in (textclf_corpora.sms_spam, textclf_corpora.sst2, textclf_corpora.imdb):
        for name, text in corpus(mirror):
            # Names are "sms:LINE", "sst2/train.tsv:LINE", "imdb/imdb_train.csv:ROW".
            by_member.setdefault(name.rsplit(":", 1)[0], []).append(text)
    archives = {"sms": ("sms-spam/sms+spam+collection.zip", "SMSSpamCollection"),
                "sst2": ("sst2/sst2.zip", None), "imdb": ("imdb/imdb.zip", None)}
    for key, texts in by_member.items():
        corpus, _, member = key.partition("/")
        archive, fixed_member = archives[corpus]
        yield archive, fixed_member or member, texts


def main():
    mirror = textclf_corpora.mirror_from_argv()
    enc = textclf_corpora.gpt2_tiktoken(mirror)
    files = []
    for archive, member, texts in members(mirror):
        id_lists = enc.encode_ordinary_batch(texts, num_threads=os.cpu_count() or 1)
        blocks = block_digests(id_lists)
        files.append({"archive": archive, "member": member, "texts": len(texts),
                      "tokens": sum(b["tokens"] for b in blocks), "blocks": blocks})
        print(f"{archive} {member}: {len(texts)} texts, {files[-1]['tokens']} tokens, {len(blocks)} blocks", file=sys.stderr)
    # One block per line, so a regenerated fixture diffs block by block.
    lines = ['{"block_texts": %d,' % BLOCK_TEXTS,
             ' "hash": "fnv1a64 over each id as UInt32 LE, FF FF FF FF after each text",', ' "files": [']
    for i, entry in enumerate(files):
        head = {k: v for k, v in entry.items() if k != "blocks"}
        lines.append("  " + json.dumps(head)[:-1] + ', "blocks": [')
        lines += ["   " + json.dumps(b) + ("," if j + 1 < len(entry["blocks"]) else "") for j, b in enumerate(entry["blocks"])]
        lines.append("  ]}" + ("," if i + 1 < len(files) else ""))
    lines.append(" ]}")
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {os.path.relpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
