#!/usr/bin/env python3
"""Full-size GPT-2 parity (not in CI): textclf's forward pass against transformers on a real-sized
checkpoint, in both weight layouts.

    python3 scripts/check_gpt2_parity_full.py [DIR] [--textclf .build/release/textclf]

DIR (default /work/tmp-gpt2-124m) holds hf/ (config.json, model.safetensors, vocab.json, merges.txt)
and openai/ (hparams.json, model.ckpt.*, encoder.json, vocab.bpe), as written by
scripts/make_gpt2_random_checkpoint.py --vocab-from <mirror>/models/gpt2. For each layout, runs
`textclf debug hidden-states --model DIR/<layout>` on a right-padded batch (four texts and one
sequence of 120 random ids) and compares embeddings, every block's output, last_hidden_state and the
logits with GPT2LMHeadModel (float64, eager attention, same attention mask and positions) at the real
positions: max |textclf - reference| / max |reference| must be at most 1e-4 for every tensor.
transformers' own float32 result is shown beside it for scale. Exits 1 if any tensor is off.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors.numpy import load_file
from transformers import GPT2LMHeadModel, GPT2TokenizerFast

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXTS = ["Every effort moves you", "The quick brown fox jumps over the lazy dog.",
         "Hi!", "WINNER!! As a valued network customer you have been selected to receive a prize reward!"]
TOLERANCE = 1e-4


def reference(model, ids, lengths):
    """Embeddings, block outputs, last hidden state, logits of `model` on the padded batch."""
    T = ids.shape[1]
    mask = torch.tensor([[1] * n + [0] * (T - n) for n in lengths])
    positions = torch.arange(T).unsqueeze(0).expand(len(lengths), T)
    captured = {}
    hooks = [model.transformer.drop.register_forward_hook(lambda m, i, o: captured.__setitem__("embeddings", o))]
    for li, block in enumerate(model.transformer.h):
        hooks.append(block.register_forward_hook(
            lambda m, i, o, li=li: captured.__setitem__(f"block_output.{li}", o[0] if isinstance(o, tuple) else o)))
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, position_ids=positions, output_hidden_states=True, use_cache=False)
    for h in hooks:
        h.remove()
    captured["last_hidden_state"] = out.hidden_states[-1]
    captured["logits"] = out.logits
    return {k: v.double().numpy() for k, v in captured.items()}


def relative_error(actual, expected, lengths):
    real = [(b, slice(0, n)) for b, n in enumerate(lengths)]
    a = np.concatenate([actual[b, s].reshape(-1) for b, s in real]).astype(np.float64)
    e = np.concatenate([expected[b, s].reshape(-1) for b, s in real])
    return float(np.abs(a - e).max() / np.abs(e).max())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", default="/work/tmp-gpt2-124m")
    ap.add_argument("--textclf", default=os.path.join(ROOT, ".build/release/textclf"))
    args = ap.parse_args()
    torch.set_num_threads(2)
    hf_dir = os.path.join(args.dir, "hf")

    tokenizer = GPT2TokenizerFast.from_pretrained(hf_dir)
    sequences = [tokenizer.encode(t) for t in TEXTS]
    sequences.append(np.random.default_rng(0).integers(0, 50257, size=120).tolist())
    lengths = [len(s) for s in sequences]
    T = max(lengths)
    eot = tokenizer.eos_token_id
    ids = torch.tensor([s + [eot] * (T - len(s)) for s in sequences])

    model64 = GPT2LMHeadModel.from_pretrained(hf_dir, dtype=torch.float64, attn_implementation="eager").eval()
    ref = reference(model64, ids, lengths)
    del model64
    model32 = GPT2LMHeadModel.from_pretrained(hf_dir, dtype=torch.float32).eval()
    torch32 = reference(model32, ids, lengths)
    del model32

    names = ["embeddings"] + [f"block_output.{i}" for i in range(len([k for k in ref if k.startswith("block_output.")]))] \
        + ["last_hidden_state", "logits"]
    print(f"batch: {len(lengths)} sequences, lengths {lengths}; max |Δ| / max |ref| at real positions "
          f"(reference: transformers float64); tolerance {TOLERANCE:g}")
    failed = False
    for layout in ["hf", "openai"]:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "hidden.safetensors")
            lines = "".join(json.dumps({"ids": s}) + "\n" for s in sequences)
            run = subprocess.run([args.textclf, "debug", "hidden-states", "--model", os.path.join(args.dir, layout),
                                  "--output", out], input=lines.encode(), stderr=subprocess.PIPE)
            if run.returncode != 0:
                sys.exit(f"textclf failed ({run.returncode}): {run.stderr.decode()}")
            ours = load_file(out)
        print(f"\n{layout} ({os.path.join(args.dir, layout)}):")
        print(f"  {'tensor':<20} {'textclf':>10} {'torch f32':>10}")
        for name in names:
            err = relative_error(ours[name], ref[name], lengths)
            scale = relative_error(torch32[name], ref[name], lengths)
            ok = err <= TOLERANCE
            failed |= not ok
            print(f"  {name:<20} {err:10.2e} {scale:10.2e}  {'ok' if ok else 'FAIL'}")
        greedy_ours = ours["logits"][np.arange(len(lengths)), np.array(lengths) - 1].argmax(-1)
        greedy_ref = ref["logits"][np.arange(len(lengths)), np.array(lengths) - 1].argmax(-1)
        print(f"  next-token argmax at each sequence's last position: textclf {greedy_ours.tolist()}, "
              f"transformers {greedy_ref.tolist()}")
    print("\nPASS" if not failed else "\nFAIL")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
