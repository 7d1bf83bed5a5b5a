#!/usr/bin/env python3
"""Full-size RoBERTa and DistilBERT parity (not in CI): textclf against transformers on models of
distilroberta-base's and distilbert-base-uncased's shapes, with random weights drawn here.

    python3 scripts/check_roberta_distilbert_parity_full.py [--dir DIR] [--mirror MIRROR] [--no-swift]

No pretrained weights of either can be had here, so the weights are random (transformers' own
init, seeded) and only the architecture and the tokenizers are real-sized:
- distilroberta-base shape: RobertaModel, vocabulary 50265, hidden 768, 6 layers, 12 heads, FFN
  3072, 514 positions, one token type, LayerNorm eps 1e-5, pad 1. Its tokenizer is RoBERTa's layout
  built from the GPT-2 vocabulary in the mirror (models/gpt2 encoder.json + vocab.bpe, the same
  merges RoBERTa uses): <s> 0, <pad> 1, </s> 2, <unk> 3, GPT-2's tokens from 4 (so no id is its
  GPT-2 id), <mask> last with lstrip, written by transformers' RobertaTokenizer.
- distilbert-base-uncased shape: DistilBertModel, vocabulary 30522, dim 768, 6 layers, 12 heads,
  hidden_dim 3072, 512 positions; its tokenizer is DistilBertTokenizer on the mirror's
  all-MiniLM-L6-v2 vocab.txt (bert-base-uncased's vocabulary, which distilbert-base-uncased uses).

DIR (default a temporary directory) gets one model directory per family with expected.safetensors:
the Hugging Face fast tokenizer's ids for a right-padded batch of texts of mixed lengths and
transformers' float64 hidden states (embeddings, every layer, last_hidden_state). Then `swift test
-c release --filter FullSizeEncoderParityTests` runs with TEXTCLF_FULL_ENCODER_DIR=DIR: the ids
must be equal, and max |textclf - reference| / max |reference| at real positions at most 1e-4 for
every tensor. A corpus check of the tokenizers also runs: the first 2,000 SMS texts of the mirror's
sms-spam, ids equal to Hugging Face's.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors.numpy import save_file
from tokenizers import AddedToken
from transformers import (AutoTokenizer, DistilBertConfig, DistilBertModel, DistilBertTokenizer, RobertaConfig,
                          RobertaModel, RobertaTokenizer)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import textclf_corpora  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXTS = ["Every effort moves you", "The quick brown fox jumps over the lazy dog.", "Hi!",
         "WINNER!! As a valued network customer you have been selected to receive a £900 prize reward! <mask> now.",
         "Naïve café — émigré 日本語 🙂 and a long tail " + "of words " * 40]


def gpt2_as_roberta(mirror, out):
    encoder = json.load(open(os.path.join(mirror, "models/gpt2/encoder.json"), encoding="utf-8"))
    merges = [tuple(line.split(" ")) for line in open(os.path.join(mirror, "models/gpt2/vocab.bpe"), encoding="utf-8").read().split("\n")[1:] if line]
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for token, _ in sorted(encoder.items(), key=lambda kv: kv[1]):
        if token != "<|endoftext|>":
            vocab[token] = len(vocab)
    vocab["<mask>"] = len(vocab)
    tokenizer = RobertaTokenizer(vocab=vocab, merges=merges, model_max_length=512,
                                 mask_token=AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True))
    tokenizer.save_pretrained(out)
    return AutoTokenizer.from_pretrained(out)


def distilbert_tokenizer(mirror, out):
    vocab = [line.rstrip("\n") for line in open(os.path.join(mirror, "models/all-MiniLM-L6-v2/vocab.txt"), encoding="utf-8")]
    DistilBertTokenizer(vocab={t: i for i, t in enumerate(vocab)}, do_lower_case=True, model_max_length=512).save_pretrained(out)
    return AutoTokenizer.from_pretrained(out)


def write(model_class, config, tokenizer, out, corpus):
    torch.manual_seed(0)
    model = model_class(config).eval()
    model.save_pretrained(out, safe_serialization=True)
    encoded = [tokenizer(t)["input_ids"] for t in TEXTS]
    T = max(len(e) for e in encoded)
    ids = torch.full((len(encoded), T), tokenizer.pad_token_id, dtype=torch.int64)
    mask = torch.zeros(len(encoded), T, dtype=torch.int64)
    for b, e in enumerate(encoded):
        ids[b, :len(e)] = torch.tensor(e)
        mask[b, :len(e)] = 1
    with torch.no_grad():
        out64 = model.double()(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    tensors = {"input_ids": ids.numpy(), "lengths": mask.sum(1).numpy(),
               "embeddings": out64.hidden_states[0].float().numpy(), "last_hidden_state": out64.last_hidden_state.float().numpy()}
    for i, h in enumerate(out64.hidden_states[1:]):
        tensors[f"layer_output.{i}"] = h.float().numpy()
    save_file(tensors, os.path.join(out, "expected.safetensors"), metadata={"texts": json.dumps(TEXTS)})
    with open(os.path.join(out, "corpus.jsonl"), "w") as f:
        for text in corpus:
            f.write(json.dumps({"text": text, "ids": tokenizer(text, truncation=True, max_length=512)["input_ids"]}) + "\n")
    print(f"{out}: {type(model).__name__}, {sum(p.numel() for p in model.parameters()):,} parameters, lengths {mask.sum(1).tolist()}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default=None)
    ap.add_argument("--mirror", default=textclf_corpora.mirror_root())
    ap.add_argument("--no-swift", action="store_true", help="only write the models and expectations")
    args = ap.parse_args()
    if not args.mirror:
        sys.exit("no mirror: pass --mirror or set TEXTCLF_MIRROR")
    torch.set_num_threads(2)
    directory = args.dir or tempfile.mkdtemp(prefix="textclf-full-encoders-")
    corpus = [text for _, text in list(textclf_corpora.sms_spam(args.mirror))[:2000]]
    roberta = os.path.join(directory, "distilroberta-base-shape")
    os.makedirs(roberta, exist_ok=True)
    write(lambda c: RobertaModel(c, add_pooling_layer=False), RobertaConfig(vocab_size=50265, hidden_size=768, num_hidden_layers=6, num_attention_heads=12,
                                      intermediate_size=3072, max_position_embeddings=514, type_vocab_size=1,
                                      layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2),
          gpt2_as_roberta(args.mirror, roberta), roberta, corpus)
    distil = os.path.join(directory, "distilbert-base-uncased-shape")
    os.makedirs(distil, exist_ok=True)
    write(DistilBertModel, DistilBertConfig(vocab_size=30522, dim=768, n_layers=6, n_heads=12, hidden_dim=3072),
          distilbert_tokenizer(args.mirror, distil), distil, corpus)
    if args.no_swift:
        print(f"TEXTCLF_FULL_ENCODER_DIR={directory}")
        return
    env = dict(os.environ, TEXTCLF_FULL_ENCODER_DIR=directory)
    run = subprocess.run(["swift", "test", "-c", "release", "--filter", "FullSizeEncoderParityTests"], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = [l for l in run.stdout.splitlines() if "FullSizeEncoder" in l or "error" in l or "relative" in l or "tokenizer:" in l]
    print("\n".join(lines))
    print("PASS" if run.returncode == 0 else "FAIL")
    sys.exit(run.returncode)


if __name__ == "__main__":
    main()
