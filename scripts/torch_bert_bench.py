#!/usr/bin/env python3
"""Anchor for `textclf bench bert`: transformers' BertModel on the same batches, 2 threads.

    python3 scripts/torch_bert_bench.py CASES.json

CASES.json (written by the bench): {"model": DIR, "repeats": N, "cases": [{"name": ..., "training": bool,
"batches": [{"ids": [[...], ...], "lengths": [...]}, ...]}, ...]}. For every case, runs all its batches
(once untimed, then `repeats` timed passes) and prints one JSON line
{"name": ..., "median_s": ..., "best_s": ...} with the time of one pass over the case's batches.

Inference: eval mode under torch.inference_mode(). Training: train mode (dropout on, as in fine-tuning),
every parameter trainable, forward then backward from d(last_hidden_state) = 0.01 everywhere, gradients
zeroed (kept allocated) after each batch. Attention is transformers' default (SDPA), mask from lengths.
"""
import json
import statistics
import sys
import time

import torch
from transformers import BertModel

torch.set_num_threads(2)
spec = json.load(open(sys.argv[1]))
model = BertModel.from_pretrained(spec["model"], add_pooling_layer=False)


def tensors(batch):
    ids = torch.tensor(batch["ids"], dtype=torch.int64)
    mask = torch.zeros_like(ids)
    for b, n in enumerate(batch["lengths"]):
        mask[b, :n] = 1
    return ids, mask


def run_case(case):
    batches = [tensors(b) for b in case["batches"]]
    if case["training"]:
        model.train()

        def one_pass():
            for ids, mask in batches:
                hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
                hidden.backward(torch.full_like(hidden, 0.01))
                model.zero_grad(set_to_none=False)
    else:
        model.eval()

        def one_pass():
            with torch.inference_mode():
                for ids, mask in batches:
                    model(input_ids=ids, attention_mask=mask)

    one_pass()  # warm-up
    times = []
    for _ in range(spec["repeats"]):
        start = time.perf_counter()
        one_pass()
        times.append(time.perf_counter() - start)
    return {"name": case["name"], "median_s": statistics.median(times), "best_s": min(times)}


for case in spec["cases"]:
    print(json.dumps(run_case(case)), flush=True)
