#!/usr/bin/env python3
"""Writes Tests/SerializationTests/Fixtures/ (run after make_gpt2_fixtures.py):

  snappy/NAME.raw + NAME.snappy   inputs and their Snappy (raw format) compression by the real
                                  Snappy library (python-snappy), for the Swift decompressor;
  snappy-index/model.ckpt.index   the tiny GPT-2 TF index re-encoded with tiny blocks (several
                                  data blocks, restart interval 3) that are all Snappy-compressed,
                                  since TensorFlow's own writer never compresses; the entries (and
                                  so the data shard they point into) are those of
                                  Tests/BackbonesTests/Fixtures/tiny-gpt2/openai/model.ckpt.index.

    pip install python-snappy crc32c   # crc32c optional
    python3 scripts/make_serialization_fixtures.py
"""
import os
import random
import sys

import snappy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tf_bundle as B  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests/SerializationTests/Fixtures")
GPT2_INDEX = os.path.join(ROOT, "Tests/BackbonesTests/Fixtures/tiny-gpt2/openai/model.ckpt.index")


def main():
    rng = random.Random(7)
    text = open(os.path.join(ROOT, "scripts/make_gpt2_fixtures.py"), "rb").read()
    vectors = {
        "empty": b"",
        "short": b"hello, snappy",
        # Python source: literals mixed with 1- and 2-byte-offset copies.
        "text": text,
        # Incompressible: one long literal (length tags 60..61).
        "random": bytes(rng.randrange(256) for _ in range(3000)),
        # Runs longer than Snappy's 64 KiB fragments: overlapping copies, several fragments.
        # (No .raw file: the Swift test builds these bytes itself.)
        "runs": (b"a" * 70000) + b"xyz" * 5000 + bytes(range(256)) * 40,
    }
    os.makedirs(os.path.join(OUT, "snappy"), exist_ok=True)
    for name, raw in vectors.items():
        if name != "runs":
            with open(os.path.join(OUT, "snappy", name + ".raw"), "wb") as f:
                f.write(raw)
        comp = snappy.compress(raw)
        assert snappy.uncompress(comp) == raw
        with open(os.path.join(OUT, "snappy", name + ".snappy"), "wb") as f:
            f.write(comp)
        print(f"snappy/{name}: {len(raw)} -> {len(comp)} bytes")

    os.makedirs(os.path.join(OUT, "snappy-index"), exist_ok=True)
    items = B.read_table(GPT2_INDEX)
    out = os.path.join(OUT, "snappy-index", "model.ckpt.index")
    B.write_table(out, items, block_size=200, restart_interval=3, compression="snappy-always")
    assert B.read_table(out) == items
    print(f"snappy-index: {len(items)} entries, {os.path.getsize(out)} bytes")


if __name__ == "__main__":
    main()
