#!/usr/bin/env python3
"""Writes the BERT test fixtures under Tests/BackbonesTests/Fixtures/tiny-bert/.

    python3 scripts/make_bert_fixtures.py [MIRROR] [OUTDIR]

MIRROR defaults to $TEXTCLF_MIRROR (first entry) or ../shared/mirror beside the checkout; it
must hold models/all-MiniLM-L6-v2. Needs torch, transformers, safetensors, numpy, and
sentence-transformers (for the MiniLM sentence embeddings). Deterministic: the same library
versions give the same tensors. The README in the output directory says what each file holds.

Nothing of the mirror is copied: minilm_reference.safetensors holds only the token ids of a few
invented sentences and the model's outputs for them.
"""
import json
import os
import sys

import numpy as np
import torch
import transformers
from safetensors.numpy import save_file
from safetensors.torch import load_file
from transformers import BertConfig, BertModel, BertTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def default_mirror():
    for entry in os.environ.get("TEXTCLF_MIRROR", "").split(":"):
        if entry and os.path.isdir(entry):
            return entry
    return os.path.join(os.path.dirname(ROOT), "shared", "mirror")


MIRROR = sys.argv[1] if len(sys.argv) > 1 else default_mirror()
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "Tests/BackbonesTests/Fixtures/tiny-bert")
MINILM = os.path.join(MIRROR, "models", "all-MiniLM-L6-v2")
SEED = 20240719

# An invented 100-token uncased vocabulary: the five specials first, then punctuation, words and
# a few continuation pieces.
VOCAB = (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "!", "?", "'"]
         + """the a an to of and in is it you i we my your for on at be this that not no yes
         call now free prize win won claim text reply stop home see dog fox ran run walk lunch
         dinner meet later today tonight week weekend draw entry cash money phone message
         spam ham hi hello ok good great love time day night late soon are was
         can will""".split()
         + ["##s", "##ed", "##ing", "##ly", "##er", "##y", "##t", "##n", "##e", "##d",
            "##o", "##r", "##a", "##i", "##l", "##k", "##m", "##p", "##u"])
assert len(VOCAB) == 100 and len(set(VOCAB)) == 100, len(VOCAB)

TINY = dict(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            max_position_embeddings=64, type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-12,
            hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, pad_token_id=0)
# Single texts and one pair (token types 0 then 1), right-padded to the longest.
TINY_TEXTS = [("Free prize! Call now to claim your cash.", None),
              ("Is it spam?", "No, it is not."),
              ("Hi", None)]

MINILM_TEXTS = [
    "Congratulations! You have won a free weekend break. Text WIN to claim now.",
    "Running late, see you at lunch.",
    "ok",
    "The quick brown fox jumped over the lazy dog twice before dinner.",
]


def masked(x, lengths):
    """x [B, T, ...] with rows t >= lengths[b] set to 0 (padding outputs depend on masking details)."""
    x = x.clone()
    for b, n in enumerate(lengths):
        x[b, n:] = 0
    return x


def f32(t):
    return t.detach().to(torch.float32).contiguous().numpy()


def make_tiny():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "vocab.txt"), "w") as f:
        f.write("".join(token + "\n" for token in VOCAB))
    with open(os.path.join(OUT, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": 64,
                   "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                   "mask_token": "[MASK]"}, f, indent=2)
        f.write("\n")
    tokenizer = BertTokenizer(os.path.join(OUT, "vocab.txt"), do_lower_case=True)

    torch.manual_seed(SEED)
    model = BertModel(BertConfig(**TINY), add_pooling_layer=True)
    # Default init has zero biases and unit LayerNorm gains; perturb them (and make the weights
    # larger than std 0.02) so that a swapped weight/bias or a dropped term shows in the outputs.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("LayerNorm.weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(0.05 * torch.randn_like(p))
            else:
                p.copy_(0.1 * torch.randn_like(p))
    model.save_pretrained(OUT, safe_serialization=True)
    for extra in ["generation_config.json"]:
        if os.path.exists(os.path.join(OUT, extra)):
            os.remove(os.path.join(OUT, extra))

    # The float64 reference, from the float32 values just written.
    ref = BertModel(BertConfig(**TINY), add_pooling_layer=True).double().eval()
    state = {k: v.double() for k, v in load_file(os.path.join(OUT, "model.safetensors")).items()}
    ref.load_state_dict(state, strict=False)

    encoded = [tokenizer(t, p) if p else tokenizer(t) for t, p in TINY_TEXTS]
    T = max(len(e["input_ids"]) for e in encoded)
    ids = torch.zeros(len(encoded), T, dtype=torch.int64)
    types = torch.zeros(len(encoded), T, dtype=torch.int64)
    mask = torch.zeros(len(encoded), T, dtype=torch.int64)
    for b, e in enumerate(encoded):
        n = len(e["input_ids"])
        ids[b, :n] = torch.tensor(e["input_ids"])
        types[b, :n] = torch.tensor(e["token_type_ids"])
        mask[b, :n] = 1
    lengths = mask.sum(1).tolist()

    out = ref(input_ids=ids, token_type_ids=types, attention_mask=mask, output_hidden_states=True)
    hidden = out.last_hidden_state
    g = torch.Generator().manual_seed(SEED + 1)
    R = torch.randn(hidden.shape, generator=g, dtype=torch.float32).double()
    loss = (masked(hidden, lengths) * R).sum()
    ref.zero_grad()
    loss.backward()

    tensors = {
        "input_ids": ids.numpy(), "token_type_ids": types.numpy(), "lengths": np.array(lengths, dtype=np.int64),
        "embeddings": f32(masked(out.hidden_states[0], lengths)),
        "last_hidden_state": f32(masked(hidden, lengths)),
        "R": f32(R), "loss": f32(loss),
    }
    for i in range(TINY["num_hidden_layers"]):
        tensors[f"layer_output.{i}"] = f32(masked(out.hidden_states[i + 1], lengths))
    for name, p in ref.named_parameters():
        if name.startswith("pooler."):
            continue
        tensors[f"grad.{name}"] = f32(p.grad)
    save_file(tensors, os.path.join(OUT, "reference.safetensors"),
              metadata={"texts": json.dumps(TINY_TEXTS), "loss": "sum over b, t < lengths[b], c of last_hidden_state * R"})
    print(f"tiny: lengths {lengths}, loss {loss.item():.6f}, {sum(1 for k in tensors if k.startswith('grad.'))} gradients")


def make_minilm():
    if not os.path.exists(os.path.join(MINILM, "model.safetensors")):
        sys.exit(f"{MINILM} has no model.safetensors (pass the mirror as the first argument)")
    tokenizer = BertTokenizer.from_pretrained(MINILM)
    batch = tokenizer(MINILM_TEXTS, padding=True, return_tensors="pt")
    ids, mask = batch["input_ids"], batch["attention_mask"]
    lengths = mask.sum(1).tolist()
    assert max(lengths) <= 24, lengths

    model64 = BertModel.from_pretrained(MINILM, add_pooling_layer=False).double().eval()
    model32 = BertModel.from_pretrained(MINILM, add_pooling_layer=False).eval()
    with torch.no_grad():
        hidden64 = model64(input_ids=ids, attention_mask=mask).last_hidden_state
        hidden32 = model32(input_ids=ids, attention_mask=mask).last_hidden_state
    diff = (masked(hidden64, lengths) - masked(hidden32.double(), lengths)).abs().max().item()

    # sentence-transformers' own mean pooling over the real tokens (the mirror has no
    # modules.json, so SentenceTransformer builds Transformer + mean Pooling and, unlike the
    # published model, no Normalize step: the embeddings are compared before normalisation).
    from sentence_transformers import SentenceTransformer
    import sentence_transformers
    st = SentenceTransformer(MINILM, device="cpu")
    st_ids = st.tokenize(MINILM_TEXTS)["input_ids"]
    assert torch.equal(st_ids, ids), "sentence-transformers tokenized differently"
    embeddings = torch.tensor(st.encode(MINILM_TEXTS, batch_size=len(MINILM_TEXTS), convert_to_numpy=True))
    m = mask.unsqueeze(-1).double()
    ours = (hidden64 * m).sum(1) / m.sum(1)
    cos = torch.nn.functional.cosine_similarity(ours, embeddings.double(), dim=1)

    save_file({"input_ids": ids.numpy(), "lengths": np.array(lengths, dtype=np.int64),
               "last_hidden_state": f32(masked(hidden64, lengths)),
               "sentence_embeddings": f32(embeddings)},
              os.path.join(OUT, "minilm_reference.safetensors"),
              metadata={"texts": json.dumps(MINILM_TEXTS),
                        "versions": f"torch {torch.__version__}, transformers {transformers.__version__}, "
                                    f"sentence-transformers {sentence_transformers.__version__}"})
    print(f"minilm: lengths {lengths}; float32 torch vs float64 max |diff| {diff:.2e}; "
          f"float64 mean pool vs sentence-transformers cosine min {cos.min().item():.8f}")


if __name__ == "__main__":
    make_tiny()
    make_minilm()
