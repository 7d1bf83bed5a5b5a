#!/usr/bin/env python3
"""The anchor for `textclf serve`: the same trained classifier served by FastAPI + uvicorn +
PyTorch/transformers, with a pipeline-style handler (one request, one text: tokenize, forward,
softmax), 2 torch threads. Same API as textclf serve's POST /v1/classify with {"text": ...}.

It loads the textclf run's own weights: the backbone's architecture and tokenizer from the
Hugging Face directory the run was trained from (the mirror's all-MiniLM-L6-v2), then every
tensor of the run's model/model.safetensors (textclf saves the backbone under Hugging Face's
names, the head as head.weight/head.bias), with the run's pooling and max length from its
classifier.json.

    python3 scripts/anchor_serve.py --run runs/spam-... --backbone ../shared/mirror/models/all-MiniLM-L6-v2 --port 8081
    python3 scripts/anchor_serve.py --run runs/spam-... --backbone DIR --check "text one" "text two"   # JSON lines, as predict --json

--handler sync (default) is FastAPI's usual `def` endpoint, run in its thread pool; --handler
async runs each forward pass on the event loop, one at a time (no oversubscription of the 2
torch threads). scripts/bench_serve.sh measures both and quotes the faster.
"""
import argparse
import json
import os
import sys


def load(run, backbone, threads):
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer, BertModel

    torch.set_num_threads(threads)
    model_dir = os.path.join(run, "model") if os.path.isdir(os.path.join(run, "model")) else run
    with open(os.path.join(model_dir, "classifier.json")) as f:
        config = json.load(f)
    if config["pooling"] not in ("mean", "first"):
        sys.exit(f"anchor_serve.py: pooling {config['pooling']!r} is not implemented here (mean, first)")
    if config["head"].get("kind") != "linear":
        sys.exit(f"anchor_serve.py: head {config['head']} is not implemented here (linear)")
    tensors = load_file(os.path.join(model_dir, "model.safetensors"))
    encoder = BertModel.from_pretrained(backbone, add_pooling_layer=False)
    state = {name: value for name, value in tensors.items() if not name.startswith("head.")}
    missing, unexpected = encoder.load_state_dict(state, strict=False)
    if unexpected:
        sys.exit(f"anchor_serve.py: tensors the encoder does not have: {unexpected[:5]}")
    if config["tensors"]["content"] == "full" and [m for m in missing if "position_ids" not in m]:
        sys.exit(f"anchor_serve.py: missing tensors: {missing[:5]}")
    head = torch.nn.Linear(tensors["head.weight"].shape[1], tensors["head.weight"].shape[0])
    head.load_state_dict({"weight": tensors["head.weight"], "bias": tensors["head.bias"]})
    encoder.eval()
    head.eval()
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    labels = config["labels"]
    max_length = config["max_length"]
    pooling = config["pooling"]

    def classify(text):
        encoded = tokenizer(text, truncation=True, max_length=max_length, return_tensors="pt",
                            return_overflowing_tokens=False)
        tokens = int(encoded["input_ids"].shape[1])
        full = len(tokenizer(text, add_special_tokens=True)["input_ids"])
        with torch.inference_mode():
            hidden = encoder(**encoded).last_hidden_state
            if pooling == "mean":
                mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1)
            else:
                pooled = hidden[:, 0]
            probabilities = torch.softmax(head(pooled), dim=-1)[0].tolist()
        best = max(range(len(labels)), key=lambda i: probabilities[i])
        return {"label": labels[best], "probabilities": dict(zip(labels, probabilities)),
                "truncated": full > max_length, "tokens": tokens}

    return classify


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, help="textclf run (or model) directory")
    parser.add_argument("--backbone", required=True, help="the backbone's Hugging Face directory (config, weights, tokenizer)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--handler", choices=["sync", "async"], default="sync")
    parser.add_argument("--check", nargs="+", metavar="TEXT", help="print JSON lines for these texts and exit")
    args = parser.parse_args()

    classify = load(args.run, args.backbone, args.threads)
    if args.check:
        for text in args.check:
            print(json.dumps(classify(text), sort_keys=True))
        return

    import uvicorn
    from fastapi import FastAPI
    from pydantic import BaseModel

    class Request(BaseModel):
        text: str

    app = FastAPI()
    if args.handler == "sync":
        @app.post("/v1/classify")
        def classify_sync(request: Request):
            return classify(request.text)
    else:
        @app.post("/v1/classify")
        async def classify_async(request: Request):
            return classify(request.text)

    @app.get("/readyz")
    def ready():
        return {"ready": True}

    classify("warm up")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
