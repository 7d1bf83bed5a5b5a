#!/usr/bin/env python3
"""PyTorch + transformers anchor for `textclf bench forward` and `textclf bench generate`
(the bench commands spawn this script in the same run and print the ratio).

    python3 scripts/bench_gpt2_torch.py forward  [--model DIR] [--batch-size 8] [--time 120] [--repeats 7]
    python3 scripts/bench_gpt2_torch.py generate [--model DIR] --prompt-ids 6109,3626,6100,345 [--new-tokens 50] [--repeats 3]
    python3 scripts/bench_gpt2_torch.py load     --model DIR

forward: GPT2Model (124M unless --model) on a batch of random token ids, every sequence full
  length, timed two ways: inference (eval(), torch.no_grad()) and the fine-tuning case, where only
  the last block and ln_f require gradients (forward through all blocks, backward from
  last_hidden_state with a gradient of ones). One JSON line per pass:
  {"pass", "median_seconds", "tokens_per_second", "repeats", ...}.
generate: GPT2LMHeadModel.generate(prompt, max_new_tokens=N, min_new_tokens=N, do_sample=False,
  use_cache=True): {"pass": "generate", "median_seconds", "tokens_per_second", "ids"}.
load: from_pretrained(DIR) and one forward of 8 tokens; prints the process's peak RSS (for
  scripts/measure_gpt2_memory.sh).

Without --model the weights are random (GPT2Config defaults: 124M, dropout set to 0); the time
does not depend on their values. Two threads (torch.set_num_threads(2)), like the textclf run.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import transformers
from transformers import GPT2Config, GPT2LMHeadModel, GPT2Model


def build(cls, model_dir):
    if model_dir:
        return cls.from_pretrained(model_dir, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    torch.manual_seed(0)
    return cls(GPT2Config(resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0))


def timed(fn, repeats, warm_up=1):
    for _ in range(warm_up):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def common():
    return {"torch": torch.__version__, "transformers": transformers.__version__, "threads": torch.get_num_threads(),
            "attention": "sdpa"}


def forward(args):
    model = build(GPT2Model, args.model)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, model.config.vocab_size, (args.batch_size, args.time), generator=g)
    tokens = args.batch_size * args.time

    model.eval()
    def inference():
        with torch.no_grad():
            model(input_ids=ids).last_hidden_state
    median, best = timed(inference, args.repeats)
    print(json.dumps({"pass": "inference", "median_seconds": median, "best_seconds": best,
                      "tokens_per_second": tokens / median, "repeats": args.repeats, **common()}), flush=True)

    # Fine-tuning case: blocks 0..n-2 frozen, the last block and ln_f trainable.
    model.train()
    for p in model.parameters():
        p.requires_grad_(False)
    trainable = list(model.h[-1].parameters()) + list(model.ln_f.parameters())
    for p in trainable:
        p.requires_grad_(True)
    def last_block_step():
        for p in trainable:
            p.grad = None
        out = model(input_ids=ids).last_hidden_state
        out.backward(torch.ones_like(out))
    median, best = timed(last_block_step, args.repeats)
    print(json.dumps({"pass": "last-block", "median_seconds": median, "best_seconds": best,
                      "tokens_per_second": tokens / median, "repeats": args.repeats, **common()}), flush=True)


def generate(args):
    model = build(GPT2LMHeadModel, args.model).eval()
    prompt = torch.tensor([[int(x) for x in args.prompt_ids.split(",")]])
    result = {}
    def run():
        with torch.no_grad():
            out = model.generate(prompt, max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens, do_sample=False,
                                 use_cache=True, pad_token_id=model.config.eos_token_id)
        result["ids"] = out[0, prompt.shape[1]:].tolist()
    median, best = timed(run, args.repeats)
    print(json.dumps({"pass": "generate", "median_seconds": median, "best_seconds": best,
                      "tokens_per_second": args.new_tokens / median, "repeats": args.repeats, "ids": result["ids"],
                      **common()}), flush=True)


def load(args):
    start = time.perf_counter()
    model = GPT2Model.from_pretrained(args.model).eval()
    with torch.no_grad():
        model(input_ids=torch.arange(8).unsqueeze(0))
    print(json.dumps({"pass": "load", "seconds": time.perf_counter() - start,
                      "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **common()}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["forward", "generate", "load"])
    ap.add_argument("--model", help="a Hugging Face model directory (default: random 124M weights)")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--time", type=int, default=120)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--prompt-ids", default="6109,3626,6100,345")  # "Every effort moves you"
    ap.add_argument("--new-tokens", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    {"forward": forward, "generate": generate, "load": load}[args.mode](args)


if __name__ == "__main__":
    main()
