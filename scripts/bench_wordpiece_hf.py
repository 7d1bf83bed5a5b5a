#!/usr/bin/env python3
"""Anchor for `textclf bench wordpiece`: Hugging Face BertTokenizerFast (all-MiniLM-L6-v2 from the mirror,
`AutoTokenizer.from_pretrained`) encode throughput on the IMDB train texts, no special tokens added.

  hf batchN: tok(texts, add_special_tokens=False)["input_ids"] with N threads (RAYON_NUM_THREADS)
  hf backendN: tok.backend_tokenizer.encode_batch(texts, add_special_tokens=False), N threads (Rust only,
               no conversion to Python lists)

Prints one line per mode: "hf <mode>: X MB/s (MB, tokens, seconds)", the median of --repeats runs.
Usage: python3 scripts/bench_wordpiece_hf.py MIRROR [--threads 2] [--repeats 3]
The thread count must be set before `tokenizers` starts, so run once per thread count.
"""
import argparse
import os
import statistics
import sys
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("mirror")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()
os.environ["RAYON_NUM_THREADS"] = str(args.threads)
os.environ["TOKENIZERS_PARALLELISM"] = "true" if args.threads > 1 else "false"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import textclf_corpora  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

tok = AutoTokenizer.from_pretrained(os.path.join(args.mirror, "models", "all-MiniLM-L6-v2"))
texts = [text for where, text in textclf_corpora.imdb(args.mirror) if where.startswith("imdb/imdb_train.csv")]
mb = sum(len(t.encode()) for t in texts) / 1e6
modes = [("batch", lambda: tok(texts, add_special_tokens=False)["input_ids"]),
         ("backend", lambda: [e.ids for e in tok.backend_tokenizer.encode_batch(texts, add_special_tokens=False)])]
for name, run in modes:
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        ids = run()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    print(f"hf {name}{args.threads}: {mb / seconds:.2f} MB/s ({mb:.1f} MB, {sum(map(len, ids))} tokens, {seconds:.2f} s)", flush=True)
