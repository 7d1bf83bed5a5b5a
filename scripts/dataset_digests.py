#!/usr/bin/env python3
"""Digests of every built-in dataset as the textclf adapters read it, computed independently
with Python's csv module (and the adapters' text cleaning re-implemented here), for
Tests/DatasetsTests/BuiltInDatasetTests.swift. The texts themselves are never committed.

    python3 scripts/dataset_digests.py MIRROR

Per source split: the example count and FNV-1a 64 over every example in file order (text UTF-8
bytes, 0xFF, class id in decimal, 0xFF), as in split records."""
import sys

from split_from_record import digest, source_examples

LABELS = {
    "sms-spam": ["ham", "spam"],
    "sst2": ["negative", "positive"],
    "imdb": ["negative", "positive"],
    "ag-news": ["World", "Sports", "Business", "Sci/Tech"],
    "bbc-news": ["business", "entertainment", "politics", "sports", "tech"],
}


def banking77_labels(mirror):
    """The 77 intents in categories.json order (the adapter's class ids)."""
    import json, zipfile
    with zipfile.ZipFile(f"{mirror}/datasets/banking77/banking77.zip") as archive:
        return json.loads(archive.read("categories.json"))

if __name__ == "__main__":
    mirror = sys.argv[1] if len(sys.argv) > 1 else "../shared/mirror"
    for dataset, labels in {**LABELS, "banking77": banking77_labels(mirror)}.items():
        for split, examples in source_examples(dataset, mirror).items():
            coded = [(text, labels.index(label)) for text, label in examples]
            print(f'"{dataset}/{split}": ({len(coded)}, "{digest(coded)}"),')
