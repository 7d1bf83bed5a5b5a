#!/usr/bin/env python3
"""The SMS-spam fine-tuning recipe (Raschka, LLMs from scratch, ch. 6) in PyTorch + transformers,
on exactly textclf's split: the speed and accuracy reference of `textclf bench finetune-spam`.

    python3 scripts/torch_finetune_reference.py RUN/split.json MIRROR [--epochs 5] [--threads 2]

Recipe: the split recorded in split.json (rebuilt with scripts/split_from_record.py: balanced
SMS spam, 70/10/20, seed 123), GPT-2 tokens (tiktoken, gpt2.tiktoken from MIRROR/models/gpt2),
every text padded with <|endoftext|> (50256) to 120 tokens (--pad-to; longer texts are cut),
batch 8, shuffled, drop_last; GPT-2 124M with random
weights (torch.manual_seed), dropout 0; last block + ln_f + a new Linear(768, 2) head trainable;
the logits of the last position (the recipe's pooling; --pooling last-token reads the last real
token instead); AdamW(lr 5e-5, weight_decay 0.1); 5 epochs; every 50 steps and at each epoch end
the loss and accuracy on the first 5 batches of train and validation; then accuracy on all of
train, validation and test.

Padding: Raschka pads to the longest training text, which is 120 tokens in his split. textclf's
split (same recipe, another seeded shuffle) has one training text of 257 tokens; padding to it would
double PyTorch's work, so the reference keeps the recipe's 120 (--pad-to 0: the longest training
text of this split).

Prints JSON lines (an "eval" line per evaluation, an "epoch" line per epoch); the last line
(event "result") holds: torch, threads, pad_len, steps, train_seconds (5 epochs incl. periodic
evaluation), full_eval_seconds, total_seconds (from the start of the script), accuracy
{train, validation, test}, peak_rss_mb.
"""
import argparse
import json
import os
import resource
import sys
import time

START = time.time()

import tiktoken  # noqa: E402
import torch  # noqa: E402
from tiktoken.load import load_tiktoken_bpe  # noqa: E402
from transformers import GPT2Config, GPT2Model  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from split_from_record import load_split  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("split")
parser.add_argument("mirror")
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--seed", type=int, default=123)
parser.add_argument("--batch-size", type=int, default=8)
parser.add_argument("--lr", type=float, default=5e-5)
parser.add_argument("--weight-decay", type=float, default=0.1)
parser.add_argument("--eval-every", type=int, default=50)
parser.add_argument("--eval-iter", type=int, default=5)
parser.add_argument("--pooling", choices=["position-last", "last-token"], default="position-last")
parser.add_argument("--pad-to", type=int, default=120, help="padded length (0: the longest training text)")
args = parser.parse_args()
torch.set_num_threads(args.threads)

PAD = 50256
encoding = tiktoken.Encoding(
    name="gpt2", explicit_n_vocab=50257,
    pat_str=r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
    mergeable_ranks=load_tiktoken_bpe(os.path.join(args.mirror, "models", "gpt2", "gpt2.tiktoken")),
    special_tokens={"<|endoftext|>": PAD})

splits = load_split(args.split, args.mirror)
encoded = {name: [encoding.encode(text) for text, _ in examples] for name, examples in splits.items()}
pad_len = args.pad_to or max(len(ids) for ids in encoded["train"])


def tensors(name):
    ids = [x[:pad_len] + [PAD] * (pad_len - len(x[:pad_len])) for x in encoded[name]]
    lengths = [max(1, min(len(x), pad_len)) for x in encoded[name]]
    labels = [label for _, label in splits[name]]
    return torch.tensor(ids), torch.tensor(lengths), torch.tensor(labels)


data = {name: tensors(name) for name in ("train", "validation", "test")}

torch.manual_seed(args.seed)
config = GPT2Config(n_embd=768, n_layer=12, n_head=12, n_positions=1024, vocab_size=50257,
                    resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
body = GPT2Model(config)
head = torch.nn.Linear(768, 2)
for p in body.parameters():
    p.requires_grad = False
for p in list(body.h[-1].parameters()) + list(body.ln_f.parameters()):
    p.requires_grad = True
trainable = [p for p in body.parameters() if p.requires_grad] + list(head.parameters())
print(json.dumps({"event": "model", "trainable_parameters": sum(p.numel() for p in trainable), "pad_len": pad_len}), flush=True)
optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=args.weight_decay)
generator = torch.Generator().manual_seed(args.seed)


def logits_of(ids, lengths):
    hidden = body(input_ids=ids).last_hidden_state
    if args.pooling == "last-token":
        hidden = hidden[torch.arange(len(ids)), lengths - 1]
    else:
        hidden = hidden[:, -1]
    return head(hidden)


def batches(name, shuffle, drop_last):
    ids, lengths, labels = data[name]
    order = torch.randperm(len(ids), generator=generator) if shuffle else torch.arange(len(ids))
    stop = len(ids) - (len(ids) % args.batch_size if drop_last else 0)
    for start in range(0, stop, args.batch_size):
        index = order[start:start + args.batch_size]
        yield ids[index], lengths[index], labels[index]


@torch.no_grad()
def evaluate(name, max_batches=None):
    body.eval()
    correct = total = 0
    loss_sum = 0.0
    for k, (ids, lengths, labels) in enumerate(batches(name, False, False)):
        if max_batches is not None and k >= max_batches:
            break
        logits = logits_of(ids, lengths)
        loss_sum += torch.nn.functional.cross_entropy(logits, labels, reduction="sum").item()
        correct += (logits.argmax(-1) == labels).sum().item()
        total += len(labels)
    body.train()
    return loss_sum / total, correct / total


def record(kind, step, epoch):
    train_loss, train_accuracy = evaluate("train", args.eval_iter)
    validation_loss, validation_accuracy = evaluate("validation", args.eval_iter)
    print(json.dumps({"event": kind, "step": step, "epoch": epoch, "train_loss": train_loss, "train_accuracy": train_accuracy,
                      "validation_loss": validation_loss, "validation_accuracy": validation_accuracy}), flush=True)


train_start = time.time()
step = 0
for epoch in range(1, args.epochs + 1):
    epoch_start = time.time()
    for ids, lengths, labels in batches("train", True, True):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits_of(ids, lengths), labels)
        loss.backward()
        optimizer.step()
        step += 1
        if step % args.eval_every == 0:
            record("eval", step, epoch)
    record("epoch", step, epoch)
    print(json.dumps({"event": "epoch_time", "epoch": epoch, "seconds": time.time() - epoch_start}), flush=True)
train_seconds = time.time() - train_start

eval_start = time.time()
accuracy = {name: evaluate(name)[1] for name in ("train", "validation", "test")}
full_eval_seconds = time.time() - eval_start
print(json.dumps({"event": "result", "torch": torch.__version__, "threads": torch.get_num_threads(), "pad_len": pad_len,
                  "pooling": args.pooling, "steps": step, "train_seconds": train_seconds, "full_eval_seconds": full_eval_seconds,
                  "total_seconds": time.time() - START, "accuracy": accuracy,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
