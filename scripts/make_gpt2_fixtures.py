#!/usr/bin/env python3
"""Writes the tiny GPT-2 test fixtures under Tests/BackbonesTests/Fixtures/tiny-gpt2/.

    python3 scripts/make_gpt2_fixtures.py [OUTDIR]
    python3 scripts/make_gpt2_fixtures.py --generation-only [OUTDIR]   # only generation.safetensors


Needs torch, transformers, safetensors, numpy, regex; TensorFlow (`pip install tensorflow-cpu`)
for a real TF checkpoint (without it the OpenAI layout is written by scripts/tf_bundle.py and the
.meta file is missing). Deterministic: the same library versions give the same bytes; the
README in the output directory says what each file holds and defines every reference quantity.
"""
import json
import os
import shutil
import sys
from collections import Counter

import numpy as np
import regex
import torch
import transformers
from safetensors.numpy import save_file
from transformers import GPT2Config, GPT2LMHeadModel, GPT2Model

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt2_layouts as L  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATION_ONLY = "--generation-only" in sys.argv[1:]
_paths = [a for a in sys.argv[1:] if a != "--generation-only"]
OUT = _paths[0] if _paths else os.path.join(ROOT, "Tests/BackbonesTests/Fixtures/tiny-gpt2")

N_MERGES = 43  # 256 byte tokens + 43 merges + <|endoftext|> = 300 ids
N_EMBD, N_LAYER, N_HEAD, N_CTX = 32, 2, 4, 32
SEED = 20240611

# Original sample text to learn the tiny vocabulary from (any English prose would do).
SAMPLE_TEXT = """
The quick brown fox jumps over the lazy dog. The dog was not amused, and the fox ran off
into the forest. In the forest there were many other animals: the owl, the deer and the
rabbit. They all watched the fox as it ran past them and into the night.
Spam messages often say that you have won a prize. Call now to claim your free prize!
This is not spam: I will call you when I get home tonight, then we can talk about the
weekend. The weather will be nice on the weekend, so we can go to the park with the dog.
Machine learning models learn from examples. A text classifier reads a message and says
which class it belongs to, for example spam or not spam. The model is trained on many
messages whose class is known, and then it is tested on messages it has never seen.
"""

# The reference batch: tokenized with this vocabulary, right-padded with <|endoftext|>.
TEXTS = ["The dog is not", "The fox and the dog ran.", "Hi!"]  # 7, 12 and 3 tokens
GREEDY_NEW_TOKENS = 20  # 12 + 20 = the whole context of the longest prompt
PAT = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def train_bpe(text: str, n_merges: int):
    """Plain byte-level BPE training (most frequent adjacent pair, ties broken by the pair's
    string order), on words pre-split with GPT-2's regex, exactly like GPT-2's own vocabulary."""
    b2u = L.bytes_to_unicode()
    words = Counter(tuple(b2u[b] for b in w.encode("utf-8")) for w in regex.findall(PAT, text))
    merges, vocab = [], set(b2u.values())
    while len(merges) < n_merges:
        pairs = Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        candidates = sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        pair = next(p for p, _ in candidates if p[0] + p[1] not in vocab)
        merges.append(pair)
        vocab.add(pair[0] + pair[1])
        new_words = Counter()
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == pair:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new_words[tuple(out)] += c
        words = new_words
    encoder = {ch: i for i, ch in enumerate(b2u.values())}
    for a, b in merges:
        encoder[a + b] = len(encoder)
    encoder["<|endoftext|>"] = len(encoder)
    return encoder, merges


def np32(t):
    return t.detach().to(torch.float32).contiguous().numpy()


def main():
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    shutil.rmtree(OUT, ignore_errors=True)
    hf_dir, oa_dir = os.path.join(OUT, "hf"), os.path.join(OUT, "openai")
    os.makedirs(hf_dir)
    os.makedirs(oa_dir)

    # ---- tokenizer (both layouts)
    encoder, merges = train_bpe(SAMPLE_TEXT, N_MERGES)
    n_vocab = len(encoder)
    eot = encoder["<|endoftext|>"]
    L.write_tokenizer_files(encoder, [tuple(m) for m in merges], hf_dir, oa_dir)
    tok = transformers.GPT2Tokenizer(os.path.join(hf_dir, "vocab.json"), os.path.join(hf_dir, "merges.txt"))
    ids = [tok.encode(t) for t in TEXTS]
    assert all(tok.decode(i) == t for i, t in zip(ids, TEXTS))
    assert [len(i) for i in ids] == [7, 12, 3], [len(i) for i in ids]

    # ---- model: random init + noise, saved the way save_pretrained does
    config = GPT2Config(vocab_size=n_vocab, n_positions=N_CTX, n_embd=N_EMBD, n_layer=N_LAYER, n_head=N_HEAD,
                        layer_norm_epsilon=1e-5, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                        activation_function="gelu_new", bos_token_id=eot, eos_token_id=eot)
    model = GPT2LMHeadModel(config)
    L.perturb_(model, gen)
    model.save_pretrained(hf_dir, safe_serialization=True)

    state = L.hf_state_without_prefix(model)
    hparams = {"n_vocab": n_vocab, "n_ctx": N_CTX, "n_embd": N_EMBD, "n_head": N_HEAD, "n_layer": N_LAYER}
    writer = L.write_openai_checkpoint(oa_dir, state, hparams)

    # ---- reference model in float64 (read back from the saved file, eager attention)
    ref = GPT2LMHeadModel.from_pretrained(hf_dir, dtype=torch.float64, attn_implementation="eager")
    ref.eval()
    lengths = [len(i) for i in ids]
    T = max(lengths)
    input_ids = torch.full((len(ids), T), eot, dtype=torch.long)
    attention_mask = torch.zeros((len(ids), T), dtype=torch.long)
    for b, seq in enumerate(ids):
        input_ids[b, :len(seq)] = torch.tensor(seq)
        attention_mask[b, :len(seq)] = 1
    position_ids = torch.arange(T).unsqueeze(0).expand(len(ids), T)

    captured = {}
    hooks = [ref.transformer.drop.register_forward_hook(lambda m, i, o: captured.__setitem__("embeddings", o))]
    for li, block in enumerate(ref.transformer.h):
        hooks.append(block.register_forward_hook(
            lambda m, i, o, li=li: captured.__setitem__(f"block_output.{li}", o[0] if isinstance(o, tuple) else o)))
    out = ref(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
              output_hidden_states=True, use_cache=False)
    for h in hooks:
        h.remove()
    logits = out.logits
    last_hidden = out.hidden_states[-1]  # after ln_f, == GPT2Model's last_hidden_state
    base = GPT2Model.from_pretrained(hf_dir, dtype=torch.float64, attn_implementation="eager").eval()
    base_out = base(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids, use_cache=False)
    assert torch.allclose(base_out.last_hidden_state, last_hidden, atol=1e-12)

    # LM loss: next-token cross-entropy over real positions only, averaged over all of them.
    lp = torch.log_softmax(logits, dim=-1)
    terms = [-lp[b, t, input_ids[b, t + 1]] for b in range(len(ids)) for t in range(lengths[b] - 1)]
    loss = torch.stack(terms).mean()
    ref.zero_grad()
    loss.backward()

    refd = {
        "input_ids": input_ids.numpy().astype(np.int64),
        "attention_mask": attention_mask.numpy().astype(np.int64),
        "lengths": np.array(lengths, dtype=np.int64),
        "embeddings": np32(captured["embeddings"]),
        "last_hidden_state": np32(base_out.last_hidden_state),
        "logits": np32(logits),
        "loss": np.array(loss.item(), dtype=np.float32),
    }
    for li in range(N_LAYER):
        refd[f"block_output.{li}"] = np32(captured[f"block_output.{li}"])
    for name, p in ref.named_parameters():
        refd["grad." + name] = np32(p.grad)
    # Float64 sums of the float32 weights as saved, so a reader can be checked independently.
    for name, arr in L.hf_state_without_prefix(model).items():
        refd["sum." + name] = np.array(arr.astype(np.float64).sum(), dtype=np.float64)
    meta = {
        "texts": json.dumps(TEXTS),
        "loss_definition": "mean over b, t < lengths[b]-1 of -log_softmax(logits[b,t])[input_ids[b,t+1]]",
        "computed_in": "float64 (weights read from hf/model.safetensors), stored as float32",
        "torch": torch.__version__, "transformers": transformers.__version__,
    }
    save_file(refd, os.path.join(OUT, "reference.safetensors"), metadata=meta)

    # ---- one fine-tuning step of a 3-class classifier on GPT2Model
    labels = torch.tensor([0, 2, 1])
    body = GPT2Model.from_pretrained(hf_dir, dtype=torch.float64, attn_implementation="eager")
    body.train()  # dropout is 0, so train() == eval(); train() as fine-tuning would do
    torch.manual_seed(SEED + 1)
    head = torch.nn.Linear(N_EMBD, 3).to(torch.float32)  # nn.Linear default init, float32 values
    initial_head = {"weight": head.weight.detach().clone(), "bias": head.bias.detach().clone()}
    head = head.to(torch.float64)
    trainable_prefixes = (f"h.{N_LAYER - 1}.", "ln_f.")
    params = {}
    for name, p in body.named_parameters():
        p.requires_grad_(name.startswith(trainable_prefixes))
        if p.requires_grad:
            params[name] = p
    params["head.weight"], params["head.bias"] = head.weight, head.bias
    opt = torch.optim.AdamW(list(params.values()), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
    hidden = body(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                  use_cache=False).last_hidden_state
    pooled = hidden[torch.arange(len(ids)), torch.tensor(lengths) - 1]
    cls_logits = head(pooled)
    cls_loss = torch.nn.functional.cross_entropy(cls_logits, labels)
    opt.zero_grad()
    cls_loss.backward()
    grads = {n: np32(p.grad) for n, p in params.items()}
    opt.step()
    clsd = {
        "input_ids": refd["input_ids"], "lengths": refd["lengths"], "labels": labels.numpy().astype(np.int64),
        "initial.head.weight": np32(initial_head["weight"]), "initial.head.bias": np32(initial_head["bias"]),
        "logits": np32(cls_logits), "loss": np.array(cls_loss.item(), dtype=np.float32),
    }
    for n, p in params.items():
        clsd["grad." + n] = grads[n]
        clsd["updated." + n] = np32(p)
    cmeta = {
        "trainable": json.dumps(sorted(params)),
        "optimizer": "torch.optim.AdamW(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1), one step, "
                     "decay on every trainable tensor",
        "pooling": "last_hidden_state[b, lengths[b]-1]",
        "loss_definition": "mean over b of cross_entropy(head(pooled[b]), labels[b])",
        "computed_in": "float64, stored as float32",
    }
    save_file(clsd, os.path.join(OUT, "classifier_step.safetensors"), metadata=cmeta)

    write_generation_fixture(ids, eot)

    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"OpenAI layout written with: {writer}")
    print(f"vocab {n_vocab} (eot {eot}); lengths {lengths}; LM loss {loss.item():.6f}; "
          f"classifier loss {cls_loss.item():.6f}; {total} bytes under {OUT}")


def write_generation_fixture(ids, eot):
    """generation.safetensors: HF's greedy `generate` (float64, KV cache) continuing each
    reference text on its own (batch of 1, no padding), for the Swift generation test."""
    model = GPT2LMHeadModel.from_pretrained(os.path.join(OUT, "hf"), dtype=torch.float64, attn_implementation="eager").eval()
    tensors, margins = {}, []
    for b, seq in enumerate(ids):
        prompt = torch.tensor([seq])
        with torch.no_grad():
            out = model.generate(prompt, max_new_tokens=GREEDY_NEW_TOKENS, do_sample=False, use_cache=True,
                                 eos_token_id=eot, pad_token_id=eot, output_scores=True, return_dict_in_generate=True)
        new = out.sequences[0, len(seq):]
        # The gap between the two best logits of every step: a float32 model can only be
        # expected to pick the same tokens when no step is a near tie.
        margins += [float(s[0].topk(2).values[0] - s[0].topk(2).values[1]) for s in out.scores]
        tensors[f"greedy.{b}"] = new.numpy().astype(np.int64)
    assert min(margins) > 1e-4, f"near tie in greedy decoding (margin {min(margins)})"
    meta = {"texts": json.dumps(TEXTS), "max_new_tokens": str(GREEDY_NEW_TOKENS),
            "definition": "greedy.<b> = GPT2LMHeadModel.generate(input_ids of texts[b] alone, do_sample=False, "
                          "use_cache=True, eos_token_id=<|endoftext|>) minus the prompt; stops early at <|endoftext|>",
            "smallest_top2_logit_gap": f"{min(margins):.6f}",
            "computed_in": "float64 (weights read from hf/model.safetensors)",
            "torch": torch.__version__, "transformers": transformers.__version__}
    save_file(tensors, os.path.join(OUT, "generation.safetensors"), metadata=meta)
    print("greedy continuations:", {k: v.tolist() for k, v in tensors.items()}, f"smallest top-2 gap {min(margins):.4f}")


def generation_only():
    tok = transformers.GPT2Tokenizer(os.path.join(OUT, "hf", "vocab.json"), os.path.join(OUT, "hf", "merges.txt"))
    write_generation_fixture([tok.encode(t) for t in TEXTS], tok.convert_tokens_to_ids("<|endoftext|>"))


if __name__ == "__main__":
    generation_only() if GENERATION_ONLY else main()
