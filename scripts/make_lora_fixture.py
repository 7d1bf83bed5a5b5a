#!/usr/bin/env python3
"""LoRA reference for TrainingTests (Tests/TrainingTests/Fixtures/lora_step.safetensors), computed
with peft's LoraConfig on transformers' GPT2Model, in float64, on the tiny GPT-2 fixture
(Tests/BackbonesTests/Fixtures/tiny-gpt2/hf) and the inputs of its classifier_step.safetensors:

- "step.*": rank 4, alpha 8, adapters on every dense layer (c_attn, attn.c_proj, c_fc,
  mlp.c_proj: textclf's `lora:4:8:attention,mlp`), A as drawn by peft (kaiming-uniform, a = √5)
  then rounded to float32, B zero; a linear head on the last real token; one step of
  torch.optim.AdamW(lr 1e-2, wd 0.1) on adapters + head. Logits, loss, gradients, updated values.
- "trained.*": the same adapters with B drawn N(0, 0.1²) (as after training, so A gets a
  gradient too): logits, loss, gradients of A, B and the head; and the weights after peft's
  merge_and_unload ("merged.<name>").

    python3 scripts/make_lora_fixture.py
"""
import json
import os

import numpy as np
import peft
import torch
import transformers
from peft import LoraConfig, get_peft_model
from safetensors.numpy import load_file, save_file
from transformers import GPT2Model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = os.path.join(ROOT, "Tests/BackbonesTests/Fixtures/tiny-gpt2")
OUT = os.path.join(ROOT, "Tests/TrainingTests/Fixtures/lora_step.safetensors")
RANK, ALPHA, SEED = 4, 8.0, 20261203
torch.set_num_threads(1)


def np32(t):
    return t.detach().to(torch.float32).numpy().copy()


def model_with_adapters(b_std):
    body = GPT2Model.from_pretrained(os.path.join(TINY, "hf"), dtype=torch.float64, attn_implementation="eager")
    config = LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=0.0, bias="none", fan_in_fan_out=True,
                        target_modules=["c_attn", "c_proj", "c_fc"])
    torch.manual_seed(SEED)
    model = get_peft_model(body, config)
    gen = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_A" in name:
                p.copy_(p.to(torch.float32).to(torch.float64))  # the values the fixture stores
            elif "lora_B" in name and b_std > 0:
                p.copy_((torch.randn(p.shape, generator=gen, dtype=torch.float64) * b_std).to(torch.float32).to(torch.float64))
    model.train()  # dropout is 0 everywhere
    return model


def short(name):
    # base_model.model.h.0.attn.c_attn.lora_A.default.weight -> h.0.attn.c_attn.lora_A.weight
    return name.replace("base_model.model.", "").replace(".default", "")


def run(prefix, b_std, step, out):
    model = model_with_adapters(b_std)
    torch.manual_seed(SEED + 2)
    head = torch.nn.Linear(32, 3).to(torch.float32)
    out[prefix + "initial.head.weight"], out[prefix + "initial.head.bias"] = np32(head.weight), np32(head.bias)
    head = head.to(torch.float64)
    params = {short(n): p for n, p in model.named_parameters() if p.requires_grad}
    for name, p in params.items():
        out[prefix + "initial." + name] = np32(p)
    params["head.weight"], params["head.bias"] = head.weight, head.bias
    hidden = model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).last_hidden_state
    logits = head(hidden[torch.arange(len(lengths)), lengths - 1])
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    out[prefix + "logits"], out[prefix + "loss"] = np32(logits), np.array(loss.item(), dtype=np.float32)
    for name, p in params.items():
        out[prefix + "grad." + name] = np32(p.grad)
    if step:
        opt = torch.optim.AdamW(list(params.values()), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
        opt.step()
        for name, p in params.items():
            out[prefix + "updated." + name] = np32(p)
    else:
        merged = model.merge_and_unload()
        for name, p in merged.named_parameters():
            if name.endswith(("c_attn.weight", "c_proj.weight", "c_fc.weight")):
                out[prefix + "merged." + name] = np32(p)
    return sorted(params)


reference = load_file(os.path.join(TINY, "classifier_step.safetensors"))
input_ids = torch.tensor(reference["input_ids"])
lengths = torch.tensor(reference["lengths"])
labels = torch.tensor(reference["labels"])
attention_mask = (torch.arange(input_ids.shape[1])[None, :] < lengths[:, None]).long()
tensors = {"input_ids": reference["input_ids"], "lengths": reference["lengths"], "labels": reference["labels"]}
trainable = run("step.", 0.0, True, tensors)
run("trained.", 0.1, False, tensors)
meta = {
    "trainable": json.dumps(trainable),
    "lora": f"LoraConfig(r={RANK}, lora_alpha={ALPHA}, lora_dropout=0, fan_in_fan_out=True, target_modules=[c_attn, c_proj, c_fc])",
    "optimizer": "step.*: torch.optim.AdamW(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1), one step",
    "pooling": "last_hidden_state[b, lengths[b]-1]; head nn.Linear(32, 3)",
    "computed_in": "float64, stored as float32",
    "torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
}
save_file(tensors, OUT, metadata=meta)
print(f"{len(tensors)} tensors, {os.path.getsize(OUT)} bytes -> {OUT}")
