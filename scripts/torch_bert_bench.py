#!/usr/bin/env python3
"""Anchor for `textclf bench bert`: transformers' BertModel on the same batches, 2 threads.

    python3 scripts/torch_bert_bench.py CASES.json

CASES.json (written by the bench): {"model": DIR, "cases": [{"name": ..., "training": bool,
"batches": [{"ids": [[...], ...], "lengths": [...]}, ...]}, ...]}. Prints "ready" once the model is
loaded, then for every case index N read from stdin runs one pass over case N's batches and prints
its wall time in seconds; exits at the end of stdin. The bench interleaves these passes with its
own, so both run under the same load.

Inference: eval mode under torch.inference_mode(). Training: train mode (dropout on, as in fine-tuning),
every parameter trainable, forward then backward from d(last_hidden_state) = 0.01 everywhere, gradients
zeroed (kept allocated) after each batch. Attention is transformers' default (SDPA), mask from lengths.
With "bf16": true in CASES.json, every pass runs under torch.autocast("cpu", dtype=torch.bfloat16).
With "int8": true, inference runs the model after torch.ao.quantization.quantize_dynamic: every
nn.Linear with per-output-channel symmetric s8 weights and activations quantised per call (u8), as
`textclf predict --int8` does (PyTorch's quantised engine: x86, i.e. fbgemm/oneDNN with VNNI).
"""
import contextlib
import json
import sys
import time

import torch
from transformers import BertModel

torch.set_num_threads(2)
spec = json.load(open(sys.argv[1]))
model = BertModel.from_pretrained(spec["model"], add_pooling_layer=False)
if spec.get("int8"):
    model.eval()
    model = torch.ao.quantization.quantize_dynamic(
        model, {torch.nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig}, dtype=torch.qint8)


def tensors(batch):
    ids = torch.tensor(batch["ids"], dtype=torch.int64)
    mask = torch.zeros_like(ids)
    for b, n in enumerate(batch["lengths"]):
        mask[b, :n] = 1
    return ids, mask


cases = [(case["training"], [tensors(b) for b in case["batches"]]) for case in spec["cases"]]


def one_pass(training, batches):
    precision = torch.autocast("cpu", dtype=torch.bfloat16) if spec.get("bf16") else contextlib.nullcontext()
    with precision:
        run_batches(training, batches)


def run_batches(training, batches):
    if training:
        model.train()
        for ids, mask in batches:
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            hidden.backward(torch.full_like(hidden, 0.01))
            model.zero_grad(set_to_none=False)
    else:
        model.eval()
        with torch.inference_mode():
            for ids, mask in batches:
                model(input_ids=ids, attention_mask=mask)


print("ready", flush=True)
for line in sys.stdin:
    training, batches = cases[int(line)]
    start = time.perf_counter()
    one_pass(training, batches)
    print(time.perf_counter() - start, flush=True)
