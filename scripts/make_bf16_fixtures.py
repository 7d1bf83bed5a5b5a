#!/usr/bin/env python3
"""Writes Tests/BackbonesTests/Fixtures/tiny-bert/bf16_step_reference.safetensors: one training
step's gradients of the tiny BERT fixture under torch.autocast("cpu", dtype=torch.bfloat16), for the
bf16 fidelity test (the fp32 gradients are reference.safetensors' grad.*).

    python3 scripts/make_bf16_fixtures.py

Reads the fixture's model.safetensors and the batch and R of its reference.safetensors (written by
scripts/make_bert_fixtures.py); loss = sum over real rows of last_hidden_state * R, as there; eval
mode (no dropout). Needs torch, transformers, safetensors, numpy. Deterministic for one torch build.
"""
import os

import torch
from safetensors.numpy import save_file
from safetensors.torch import load_file
from transformers import BertModel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = os.path.join(ROOT, "Tests/BackbonesTests/Fixtures/tiny-bert")

reference = load_file(os.path.join(TINY, "reference.safetensors"))
ids, types, lengths, R = reference["input_ids"], reference["token_type_ids"], reference["lengths"], reference["R"]
mask = torch.zeros_like(ids)
for b, n in enumerate(lengths.tolist()):
    mask[b, :n] = 1


def gradients(bf16):
    model = BertModel.from_pretrained(TINY, add_pooling_layer=False).float().eval()
    context = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else torch.autocast("cpu", enabled=False)
    with context:
        hidden = model(input_ids=ids, token_type_ids=types, attention_mask=mask).last_hidden_state
    loss = (hidden.float() * R * mask[..., None]).sum()
    loss.backward()
    return {name: p.grad.detach().float().contiguous().numpy() for name, p in model.named_parameters()}


tensors = {f"bf16.grad.{name}": grad for name, grad in gradients(True).items()}
fp32 = gradients(False)
# Key biases get no gradient in exact arithmetic (softmax ignores a shift of every score): left out.
worst = max(abs(tensors[f"bf16.grad.{n}"] - g).max() / abs(g).max() for n, g in fp32.items() if not n.endswith("key.bias"))
print(f"largest max |bf16 - fp32| / max |fp32| over the tensors: {worst:.4f}")
save_file(tensors, os.path.join(TINY, "bf16_step_reference.safetensors"),
          metadata={"torch": torch.__version__, "loss": "sum over b, t < lengths[b], c of last_hidden_state * R"})
print(f"{len(tensors)} tensors, torch {torch.__version__}")
