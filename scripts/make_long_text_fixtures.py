#!/usr/bin/env python3
"""Writes Tests/TrainingTests/Fixtures/long_text_windows.json: the model inputs Hugging Face's
fast BERT tokenizer (the `tokenizers` library) makes of a few texts with
`truncation=True, max_length=L, stride=S, return_overflowing_tokens=True`, for the tiny BERT
fixture's vocabulary. textclf's `--long-text chunks:S` must cut the same windows.

Run from the repository root: python3 scripts/make_long_text_fixtures.py
"""
import json
import pathlib

from transformers import BertTokenizerFast

root = pathlib.Path(__file__).resolve().parent.parent
vocab = root / "Tests/BackbonesTests/Fixtures/tiny-bert"
tokenizer = BertTokenizerFast.from_pretrained(str(vocab))
texts = [
    "",
    "good",
    "the movie was good and the actors were great",
    "a very long and rather dull film with a sad end , but the music was nice and the day was bright . "
    "i hate how it ends ; still , some of it is fine and the cast love the thing they do .",
]
cases = []
for text in texts:
    for max_length, stride in [(4, 0), (4, 1), (6, 1), (6, 3), (8, 2), (8, 5), (12, 4), (128, 16)]:
        encoded = tokenizer(text, truncation=True, max_length=max_length, stride=stride, return_overflowing_tokens=True)
        cases.append({"text": text, "max_length": max_length, "stride": stride, "windows": encoded["input_ids"]})
out = root / "Tests/TrainingTests/Fixtures/long_text_windows.json"
out.write_text(json.dumps({"tokenizer": "tiny-bert (BertTokenizerFast)", "cases": cases}, indent=1) + "\n")
print(f"wrote {out} ({len(cases)} cases)")
