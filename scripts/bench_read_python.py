#!/usr/bin/env python3
"""Python reference for `textclf bench read`: the same three phases on the same member, with
zipfile + the csv module (median of RUNS runs, after one warm-up). MB = 10^6 bytes of the
decompressed member.

Usage: scripts/bench_read_python.py [MIRROR] [RUNS]   (default: $TEXTCLF_MIRROR or ../shared/mirror, 5)
"""
import csv
import io
import os
import statistics
import sys
import time
import zipfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
mirror = sys.argv[1] if len(sys.argv) > 1 else (os.environ.get("TEXTCLF_MIRROR", "").split(":")[0]
                                                 or os.path.join(root, "..", "shared", "mirror"))
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
path = os.path.join(mirror, "datasets", "imdb", "imdb.zip")


def median_time(f):
    f()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def decompress():
    with zipfile.ZipFile(path) as z:
        return z.read("imdb_train.csv")


data = decompress()
mb = len(data) / 1e6


def parse():
    return [r["text"] for r in csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))]


def full():
    with zipfile.ZipFile(path) as z:
        text = z.read("imdb_train.csv").decode("utf-8")
    return [r["text"] for r in csv.DictReader(io.StringIO(text, newline=""))]


rows = len(parse())
for name, f in [("decompress only        ", decompress), ("CSV parse + str        ", parse), ("decompress+parse+str   ", full)]:
    s = median_time(f)
    print(f"python {name} {mb / s:7.1f} MB/s  ({mb:.1f} MB, {rows if f is not decompress else 0} rows, median {s:.3f} s of {runs} runs)")
