#!/usr/bin/env python3
"""Writes a randomly initialised full-size GPT-2 in both weight layouts (not for CI):

    python3 scripts/make_gpt2_random_checkpoint.py [SIZE] OUTDIR [--vocab-from DIR] [--seed N]

SIZE is gpt2 (124M, default), gpt2-medium, gpt2-large or gpt2-xl. Writes
  OUTDIR/hf/      config.json, model.safetensors (save_pretrained)      [+ vocab.json, merges.txt]
  OUTDIR/openai/  hparams.json, model.ckpt.{index,data-00000-of-00001,meta}, checkpoint
                                                                        [+ encoder.json, vocab.bpe]
with identical float32 weights, for the full-size parity checks and benchmarks (real weights
cannot be downloaded here). The tokenizer files are copied only with --vocab-from (a directory
holding GPT-2's encoder.json and vocab.bpe, e.g. the shared mirror); never commit them.
Check the result with the Swift readers:
    TEXTCLF_GPT2_CHECKPOINT=OUTDIR swift test -c release --filter GPT2LayoutParityTests
Needs torch, transformers, numpy; TensorFlow for a real TF checkpoint (else scripts/tf_bundle.py).
Memory: about 3x the model size (gpt2-xl: ~20 GB).
"""
import argparse
import json
import os
import shutil
import sys
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt2_layouts as L  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("size", nargs="?", default="gpt2", choices=sorted(L.SIZES))
    ap.add_argument("outdir")
    ap.add_argument("--vocab-from", help="directory with GPT-2's encoder.json and vocab.bpe")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    dims = L.SIZES[args.size]
    config = GPT2Config(vocab_size=50257, n_positions=1024, layer_norm_epsilon=1e-5,
                        activation_function="gelu_new", bos_token_id=50256, eos_token_id=50256, **dims)
    t0 = time.time()
    model = GPT2LMHeadModel(config)
    L.perturb_(model, torch.Generator().manual_seed(args.seed))
    hf_dir, oa_dir = os.path.join(args.outdir, "hf"), os.path.join(args.outdir, "openai")
    os.makedirs(hf_dir, exist_ok=True)
    model.save_pretrained(hf_dir, safe_serialization=True)
    state = L.hf_state_without_prefix(model)
    del model
    hparams = {"n_vocab": 50257, "n_ctx": 1024, "n_embd": dims["n_embd"], "n_head": dims["n_head"], "n_layer": dims["n_layer"]}
    writer = L.write_openai_checkpoint(oa_dir, state, hparams)

    if args.vocab_from:
        enc = os.path.join(args.vocab_from, "encoder.json")
        bpe = os.path.join(args.vocab_from, "vocab.bpe")
        shutil.copyfile(enc, os.path.join(oa_dir, "encoder.json"))
        shutil.copyfile(bpe, os.path.join(oa_dir, "vocab.bpe"))
        encoder = json.load(open(enc, encoding="utf-8"))
        lines = open(bpe, encoding="utf-8").read().split("\n")
        merges = [tuple(line.split(" ")) for line in lines[1:] if line]
        L.write_tokenizer_files(encoder, merges, hf_dir=hf_dir)

    n = sum(a.size for a in state.values())
    print(f"{args.size}: {n:,} parameters written to {args.outdir} in {time.time() - t0:.1f} s (OpenAI layout: {writer})")


if __name__ == "__main__":
    main()
