#!/usr/bin/env python3
"""Writes the RoBERTa and DistilBERT test fixtures under Tests/BackbonesTests/Fixtures/.

    python3 scripts/make_roberta_distilbert_fixtures.py [OUTDIR]

OUTDIR defaults to Tests/BackbonesTests/Fixtures; the script writes tiny-roberta/ and
tiny-distilbert/ there. Needs torch, transformers, tokenizers, safetensors, numpy. No pretrained
weights or vocabularies are read: the RoBERTa byte-level BPE vocabulary is trained here by
`tokenizers` on a few invented sentences (ids then laid out as RoBERTa's are: <s> 0, <pad> 1,
</s> 2, <unk> 3, the ordinary tokens in a shuffled order so that an id is not its merge rank,
<mask> last), and DistilBERT reuses the invented 100-token WordPiece vocabulary of tiny-bert.
Deterministic: the same library versions give the same files.

Each directory gets the model in Hugging Face's layout (config.json, model.safetensors, tokenizer
files), reference.safetensors (float64 outputs of every stage and the gradients of a fixed loss on a
right-padded batch of mixed lengths) and tokenizer_reference.json (the fast tokenizer's ids).
"""
import json
import os
import random
import shutil
import sys

import numpy as np
import tokenizers
import torch
import transformers
from safetensors.numpy import save_file
from safetensors.torch import load_file
from tokenizers import AddedToken, ByteLevelBPETokenizer
from transformers import (AutoTokenizer, DistilBertConfig, DistilBertModel, DistilBertTokenizer, RobertaConfig,
                          RobertaModel, RobertaTokenizer)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Tests/BackbonesTests/Fixtures")
SEED = 20261203

CORPUS = [
    "Free prize! Call now to claim your cash.", "Is it spam? No, it is not.", "Hi there, see you at lunch today.",
    "The quick brown fox jumps over the lazy dog.", "Running late; meet me at 6pm?", "I'm sure it's fine, don't worry.",
    "WINNER!! You have been selected to receive a prize reward.", "See you tonight at the weekend draw.",
]

# Batch of mixed lengths for the model references (right-padded).
BATCH = ["Free prize! Call now to claim your cash.", "Is it spam? No, it is not.", "Hi"]

# Texts for the tokenizer references: specials in the text, spaces, Unicode, digits, contractions.
TOKENIZER_TEXTS = [
    "Hello world", "Free prize! Call now to claim your cash.", "  leading and trailing spaces  ",
    "tabs\tand\nnew lines\r\n", "I'm sure it's fine, don't worry; they'll've gone.", "Naïve café — émigré 日本語 🙂",
    "a <mask> in the middle", "<s>starts</s> and <pad> inside <unk>", "numbers 12345 and 6pm", "", " ",
    "WINNER!! ~~~ $$$ ???", "spam!spam!spam!", "x  <mask>  y",
    "[CLS] [MASK] [SEP] and [PAD] inside", "UPPER Case Words", "hello,world...done",
]


def masked(x, lengths):
    x = x.clone()
    for b, n in enumerate(lengths):
        x[b, n:] = 0
    return x


def f32(t):
    return t.detach().to(torch.float32).contiguous().numpy()


def perturb(model):
    """Default init has zero biases and unit LayerNorm gains; perturb them (and make the weights
    larger than std 0.02) so that a swapped weight/bias or a dropped term shows in the outputs."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm.weight" in name or "layer_norm.weight" in name:
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(0.05 * torch.randn_like(p))
            else:
                p.copy_(0.1 * torch.randn_like(p))


def references(model_class, config, out, ids, mask, lengths, metadata):
    """float64 outputs and gradients of L = Σ real rows last_hidden_state · R, from the saved float32 weights."""
    ref = model_class(config).double().eval()
    state = {k: v.double() for k, v in load_file(os.path.join(out, "model.safetensors")).items()}
    missing, unexpected = ref.load_state_dict(state, strict=False)
    assert not unexpected and all("position_ids" in m or "token_type_ids" in m for m in missing), (missing, unexpected)
    res = ref(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    hidden = res.last_hidden_state
    g = torch.Generator().manual_seed(SEED + 1)
    R = torch.randn(hidden.shape, generator=g, dtype=torch.float32).double()
    loss = (masked(hidden, lengths) * R).sum()
    ref.zero_grad()
    loss.backward()
    tensors = {"input_ids": ids.numpy(), "lengths": np.array(lengths, dtype=np.int64),
               "embeddings": f32(masked(res.hidden_states[0], lengths)),
               "last_hidden_state": f32(masked(hidden, lengths)), "R": f32(R), "loss": f32(loss)}
    for i in range(len(res.hidden_states) - 1):
        tensors[f"layer_output.{i}"] = f32(masked(res.hidden_states[i + 1], lengths))
    for name, p in ref.named_parameters():
        tensors[f"grad.{name}"] = f32(p.grad)
    # transformers' own float32 model, for the scale of float32 rounding (README).
    model32 = model_class(config).eval()
    model32.load_state_dict(load_file(os.path.join(out, "model.safetensors")), strict=False)
    with torch.no_grad():
        h32 = model32(input_ids=ids, attention_mask=mask).last_hidden_state.double()
    f32_diff = (masked(h32, lengths) - masked(hidden.detach(), lengths)).abs().max().item()
    save_file(tensors, os.path.join(out, "reference.safetensors"),
              metadata={**metadata, "loss": "sum over b, t < lengths[b], c of last_hidden_state * R",
                        "versions": f"torch {torch.__version__}, transformers {transformers.__version__}"})
    grads = sum(1 for k in tensors if k.startswith("grad."))
    print(f"{os.path.basename(out)}: lengths {lengths}, loss {loss.item():.6f}, {grads} gradients, "
          f"float32 torch vs float64 max |diff| {f32_diff:.2e}")


def padded(encoded, pad_id):
    T = max(len(e) for e in encoded)
    ids = torch.full((len(encoded), T), pad_id, dtype=torch.int64)
    mask = torch.zeros(len(encoded), T, dtype=torch.int64)
    for b, e in enumerate(encoded):
        ids[b, :len(e)] = torch.tensor(e)
        mask[b, :len(e)] = 1
    return ids, mask, mask.sum(1).tolist()


def tokenizer_reference(tokenizer, out):
    cases = [{"text": t, "ids": tokenizer(t)["input_ids"],
              "ordinary": tokenizer(t, add_special_tokens=False)["input_ids"],
              "truncated_8": tokenizer(t, truncation=True, max_length=8)["input_ids"]} for t in TOKENIZER_TEXTS]
    with open(os.path.join(out, "tokenizer_reference.json"), "w") as f:
        json.dump({"tokenizer": type(tokenizer).__name__, "versions": f"transformers {transformers.__version__}, "
                   f"tokenizers {tokenizers.__version__}", "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")


def make_roberta():
    out = os.path.join(OUT, "tiny-roberta")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    trainer = ByteLevelBPETokenizer()
    trainer.train_from_iterator(CORPUS * 4, vocab_size=320, min_frequency=2, show_progress=False,
                                special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    trained = json.loads(trainer._tokenizer.to_str())["model"]
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    ordinary = [t for t, _ in sorted(trained["vocab"].items(), key=lambda kv: kv[1]) if t not in specials]
    random.Random(SEED).shuffle(ordinary)  # ids need not follow merge ranks (RoBERTa's do not)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for token in ordinary:
        vocab[token] = len(vocab)
    vocab["<mask>"] = len(vocab)
    merges = [m if isinstance(m, str) else " ".join(m) for m in trained["merges"]]
    with open(os.path.join(out, "vocab.json"), "w") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(out, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n" + "".join(m + "\n" for m in merges))
    # <mask> eats the spaces before it, as roberta-base's tokenizer.json says.
    tokenizer = RobertaTokenizer(vocab=vocab, merges=[tuple(m.split(" ")) for m in merges],
                                 mask_token=AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True),
                                 model_max_length=64)
    tokenizer.save_pretrained(out)
    reloaded = AutoTokenizer.from_pretrained(out)
    assert reloaded("a <mask> b")["input_ids"] == tokenizer("a <mask> b")["input_ids"]
    tokenizer_reference(reloaded, out)
    print(f"tiny-roberta: vocabulary {len(vocab)} ids, {len(merges)} merges")

    config = RobertaConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                           intermediate_size=32, max_position_embeddings=66, type_vocab_size=1, hidden_act="gelu",
                           layer_norm_eps=1e-5, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
                           pad_token_id=1, bos_token_id=0, eos_token_id=2)
    torch.manual_seed(SEED)
    model = RobertaModel(config, add_pooling_layer=False)
    perturb(model)
    model.save_pretrained(out, safe_serialization=True)
    ids, mask, lengths = padded([reloaded(t)["input_ids"] for t in BATCH], 1)
    references(lambda c: RobertaModel(c, add_pooling_layer=False), config, out, ids, mask, lengths,
               {"texts": json.dumps(BATCH)})


def make_distilbert():
    out = os.path.join(OUT, "tiny-distilbert")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    with open(os.path.join(OUT, "tiny-bert", "vocab.txt")) as f:
        vocab = [line.rstrip("\n") for line in f]
    tokenizer = DistilBertTokenizer(vocab={t: i for i, t in enumerate(vocab)}, do_lower_case=True, model_max_length=64)
    tokenizer.save_pretrained(out)
    with open(os.path.join(out, "vocab.txt"), "w") as f:
        f.write("".join(t + "\n" for t in vocab))
    reloaded = AutoTokenizer.from_pretrained(out)
    tokenizer_reference(reloaded, out)

    config = DistilBertConfig(vocab_size=len(vocab), dim=16, hidden_dim=32, n_layers=2, n_heads=4,
                              max_position_embeddings=64, dropout=0.1, attention_dropout=0.1, activation="gelu",
                              pad_token_id=0, sinusoidal_pos_embds=False)
    torch.manual_seed(SEED)
    model = DistilBertModel(config)
    perturb(model)
    model.save_pretrained(out, safe_serialization=True)
    ids, mask, lengths = padded([reloaded(t)["input_ids"] for t in BATCH], 0)
    references(DistilBertModel, config, out, ids, mask, lengths, {"texts": json.dumps(BATCH)})


if __name__ == "__main__":
    make_roberta()
    make_distilbert()
    for d in ["tiny-roberta", "tiny-distilbert"]:
        extra = os.path.join(OUT, d, "generation_config.json")
        if os.path.exists(extra):
            os.remove(extra)
