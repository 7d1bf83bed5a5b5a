#!/usr/bin/env python3
"""Re-run a textclf BERT fine-tuning run (e.g. all-MiniLM-L6-v2) in PyTorch + transformers, with the
same recipe on exactly the same split: the speed and accuracy reference of scripts/compare_minilm.sh.

    python3 scripts/torch_minilm_finetune.py RUN_DIR MIRROR [--threads 2] [--max-steps N]

Reads RUN_DIR/config.json (the task: backbone, dropout, max_length, pooling, trainable policy,
optimizer, schedule, batch sizes, evaluation cadence, seed, monitor/restore_best) and rebuilds
RUN_DIR/split.json with scripts/split_from_record.py (digests checked). Mirrors textclf's trainer:
texts tokenised once, each batch padded to its longest text; training batches shuffled (the
anchor's dynamic padding; --batching textclf adds textclf's length buckets: shuffle, sort each run
of 50 batches by length, shuffle the batches, with torch's RNG, so the padding work matches but not
the exact batches); periodic evaluation every
`eval_every` steps and at epoch ends on the examples of the first `eval_batches` batches
(training batch size, example order) of train and validation; full evaluations before and after
training (every evaluation longest first in batches of `eval_batch_size`); the best weights by `monitor` restored before the final evaluation.
Not mirrored: textclf's frozen-prefix cache (PyTorch recomputes the frozen blocks every step) and
its head initialisation (here torch.manual_seed(seed) + nn.Linear).

Prints JSON lines: one {"event": "eval"} per evaluation, then {"event": "result"} with torch,
threads, steps, train_seconds (training loop incl. periodic evaluations), periodic_eval_seconds,
full_eval_seconds, total_seconds (from the start of the script, imports included), train_tokens,
train_tokens_per_second, peak_rss_mb, baseline / accuracy {train, validation, test}, per_class_f1 (test).
"""
import argparse
import json
import math
import os
import re
import resource
import sys
import time

START = time.time()

import torch  # noqa: E402
from transformers import BertModel, BertTokenizerFast  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from split_from_record import load_split  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("run_dir")
parser.add_argument("mirror")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--max-steps", type=int, default=None, help="stop training after N steps (quick tests)")
parser.add_argument("--batching", choices=["random", "textclf"], default="random",
                    help="random (default): shuffled batches, each padded to its longest text, as the issue's PyTorch "
                         "anchor and DataCollatorWithPadding do; textclf: also textclf's length buckets")
args = parser.parse_args()
torch.set_num_threads(args.threads)

task = json.load(open(os.path.join(args.run_dir, "config.json")))["task"]
t = task["training"]
split_path = os.path.join(args.run_dir, "split.json")
label_names = json.load(open(split_path))["labels"]
splits = load_split(split_path, args.mirror)
if t.get("accumulation_steps", 1) != 1 or task.get("head", {"kind": "linear"})["kind"] != "linear":
    raise SystemExit("only accumulation_steps 1 and a linear head are supported")

model_dir = os.path.join(args.mirror, "models", task["backbone"])
tokenizer = BertTokenizerFast.from_pretrained(model_dir)
max_length = task.get("max_length") or 512
# Tokenised once, like textclf's TokenizedExamples; batches are padded when built.
ids = {name: tokenizer([text for text, _ in examples], truncation=True, max_length=max_length)["input_ids"]
       for name, examples in splits.items()}
labels = {name: [label for _, label in examples] for name, examples in splits.items()}

# Dropout through the config too: the SDPA attention reads its probability from the config,
# not from an nn.Dropout module.
dropout = float(task.get("dropout") or 0)
body = BertModel.from_pretrained(model_dir, add_pooling_layer=False,
                                 hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
for module in body.modules():
    if isinstance(module, torch.nn.Dropout):
        module.p = dropout
torch.manual_seed(t["seed"])
head = torch.nn.Linear(body.config.hidden_size, len(label_names))

policy = t["trainable"]
if t.get("unfreeze", "none") != "none" or t.get("layer_lr_decay") is not None:
    raise SystemExit("gradual unfreezing and layer-wise learning-rate decay are not mirrored here")
body.requires_grad_(policy == "all")
if policy not in ("all", "head"):
    match = re.fullmatch(r"last-(\d+)-blocks", policy)
    if policy != "last-block" and not match:
        raise SystemExit(f"trainable policy {policy!r} not supported")
    body.encoder.layer[-(int(match.group(1)) if match else 1):].requires_grad_(True)  # BERT has no final norm
trainable = [p for p in body.parameters() if p.requires_grad] + list(head.parameters())
opt = t["optimizer"]
optimizer = torch.optim.AdamW(trainable, lr=opt["lr"], betas=tuple(opt["betas"]), eps=opt["eps"], weight_decay=opt["weight_decay"])

batch_size, drop_last = t["batch_size"], t.get("drop_last", False)
n_train = len(ids["train"])
steps_per_epoch = n_train // batch_size if drop_last else -(-n_train // batch_size)
total_steps = steps_per_epoch * t["epochs"]
schedule = t.get("schedule") or {"kind": "constant", "warmup_steps": 0}
warmup = schedule.get("warmup_steps") or 0


def lr_factor(step):  # textclf's LearningRateSchedule.factor (= transformers' linear/cosine with warmup)
    if step < warmup:
        return step / max(1, warmup)
    progress = (step - warmup) / max(1, total_steps - warmup)
    return {"constant": 1.0, "linear": max(0.0, 1 - progress),
            "cosine": max(0.0, 0.5 * (1 + math.cos(math.pi * progress)))}[schedule["kind"]]


scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
generator = torch.Generator().manual_seed(t["seed"])


def cut(order, size, drop):
    return [order[i:i + size] for i in range(0, len(order), size) if not drop or i + size <= len(order)]


def by_length(split, indices):  # longest first; sorted() is stable, so ties keep their order
    return sorted(indices, key=lambda i: -len(ids[split][i]))


def train_batches():
    shuffled = torch.randperm(n_train, generator=generator).tolist()
    buckets = args.batching == "textclf" and t.get("length_buckets", True)
    bucket = batch_size * (50 if buckets else 1)
    ordered = [i for s in range(0, n_train, bucket) for i in by_length("train", shuffled[s:s + bucket])]
    batches = cut(ordered, batch_size, drop_last)
    return [batches[k] for k in torch.randperm(len(batches), generator=generator).tolist()]


def logits_of(split, batch):
    seqs = [ids[split][i] for i in batch]
    width = max(len(s) for s in seqs)
    input_ids = torch.tensor([s + [tokenizer.pad_token_id] * (width - len(s)) for s in seqs])
    mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in seqs])
    hidden = body(input_ids=input_ids, attention_mask=mask).last_hidden_state
    pooling, real = task.get("pooling") or "mean", mask.unsqueeze(-1).bool()
    if pooling == "mean":
        pooled = (hidden * real).sum(1) / real.sum(1)
    elif pooling in ("first", "cls"):
        pooled = hidden[:, 0]
    elif pooling == "max":
        pooled = hidden.masked_fill(~real, float("-inf")).max(1).values
    elif pooling == "last":
        pooled = hidden[torch.arange(len(seqs)), mask.sum(1) - 1]
    else:  # position-last
        pooled = hidden[:, -1]
    return head(pooled)


def evaluate(split, max_batches=None):
    """Loss, accuracy, macro F1 and per-class F1 of the examples of the first max_batches batches
    (training batch size, example order) or, with None, of the whole split; either way grouped
    longest first in batches of eval_batch_size, as textclf does."""
    n = len(ids[split]) if max_batches is None else min(len(ids[split]), max_batches * batch_size)
    batches = cut(by_length(split, range(n)), t.get("eval_batch_size") or 32, False)
    body.eval()
    loss_sum, pairs = 0.0, []
    with torch.inference_mode():
        for batch in batches:
            logits, target = logits_of(split, batch), torch.tensor([labels[split][i] for i in batch])
            loss_sum += torch.nn.functional.cross_entropy(logits, target, reduction="sum").item()
            pairs += zip(logits.argmax(-1).tolist(), target.tolist())
    body.train()
    f1 = {}
    for c, name in enumerate(label_names):
        tp = sum(p == c and y == c for p, y in pairs)
        predicted, actual = sum(p == c for p, _ in pairs), sum(y == c for _, y in pairs)
        f1[name] = 2 * tp / (predicted + actual) if predicted + actual else 0.0
    return {"loss": loss_sum / len(pairs), "accuracy": sum(p == y for p, y in pairs) / len(pairs),
            "macro_f1": sum(f1.values()) / len(f1), "per_class_f1": f1}


full_eval_seconds = periodic_eval_seconds = 0.0
start = time.time()
baseline = {name: evaluate(name)["accuracy"] for name in ("train", "validation", "test")}
full_eval_seconds += time.time() - start

monitor = t.get("monitor") or "validation_loss"
best_value, best_state = None, None


def record(step, epoch):
    global best_value, best_state, periodic_eval_seconds
    start = time.time()
    train, validation = evaluate("train", t.get("eval_batches")), evaluate("validation", t.get("eval_batches"))
    value = validation[monitor.removeprefix("validation_")]
    if best_value is None or (value < best_value if monitor == "validation_loss" else value > best_value):
        best_value = value
        if t.get("restore_best", True):  # keep a copy, as textclf does, to restore before the final evaluation
            best_state = [p.detach().clone() for p in trainable]
    periodic_eval_seconds += time.time() - start
    print(json.dumps({"event": "eval", "step": step, "epoch": epoch, "train_loss": train["loss"],
                      "train_accuracy": train["accuracy"], "validation_loss": validation["loss"],
                      "validation_accuracy": validation["accuracy"], "elapsed": time.time() - train_start}), flush=True)


body.train()
train_start = time.time()
step = train_tokens = 0
for epoch in range(1, t["epochs"] + 1):
    batches = train_batches()
    for k, batch in enumerate(batches):
        loss = torch.nn.functional.cross_entropy(logits_of("train", batch), torch.tensor([labels["train"][i] for i in batch]))
        loss.backward()
        if t.get("gradient_clip_norm"):
            torch.nn.utils.clip_grad_norm_(trainable, t["gradient_clip_norm"])
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        step += 1
        train_tokens += sum(len(ids["train"][i]) for i in batch)
        if step == args.max_steps:
            break
        if t.get("eval_every") and step % t["eval_every"] == 0 and k + 1 < len(batches):
            record(step, epoch)
    record(step, epoch)
    if step == args.max_steps:
        break
train_seconds = time.time() - train_start

if best_state is not None:
    with torch.no_grad():
        for p, best in zip(trainable, best_state):
            p.copy_(best)
start = time.time()
final = {name: evaluate(name) for name in ("train", "validation", "test")}
full_eval_seconds += time.time() - start
print(json.dumps({
    "event": "result", "torch": torch.__version__, "threads": torch.get_num_threads(), "steps": step,
    "trainable": policy, "trainable_parameters": sum(p.numel() for p in trainable),
    "train_seconds": train_seconds, "periodic_eval_seconds": periodic_eval_seconds, "full_eval_seconds": full_eval_seconds,
    "total_seconds": time.time() - START, "total_seconds_from": "script start, imports included",
    "train_tokens": train_tokens, "train_tokens_per_second": train_tokens / (train_seconds - periodic_eval_seconds),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "baseline": baseline,
    "accuracy": {name: r["accuracy"] for name, r in final.items()}, "per_class_f1": final["test"]["per_class_f1"]}), flush=True)
