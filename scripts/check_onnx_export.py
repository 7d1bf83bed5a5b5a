#!/usr/bin/env python3
"""Check `textclf export --format onnx` files in ONNX Runtime against textclf's own logits.

    scripts/check_onnx_export.py --textclf .build/release/textclf RUN=MODEL.onnx [RUN=MODEL.onnx ...]

For each pair: the file must pass onnx.checker (with shape inference), declare opset >= 17,
inputs input_ids / attention_mask (int64, [batch, sequence], symbolic axes) and the output
logits (float, [batch, labels]), and carry the labels, tokenizer, max length and pooling in
metadata_props, the labels equal to the run's. Then a batch of texts of mixed lengths (an
empty one, one word, sentences, one longer than the model's max length, and one with `<pad>`
typed in it: RoBERTa's tokenizer reads that as the pad id, which then takes the pad position, as
in textclf and transformers, so numbering RoBERTa's positions from the attention mask instead
of the ids would fail) goes through
`textclf debug logits --model RUN`, which prints the token ids textclf read and its logits for
the batch run as one right-padded batch; the same ids, padded the same way with the pad id,
go through ONNX Runtime, and the two sets of logits must agree within 1e-4 relative.

Relative to what: the error of either float32 computation scales with the size of the
quantities it sums, not with one logit (a logit near 0 is the difference of large terms), so
the error is max |ort - textclf| over the batch divided by max |textclf| over the batch.

Why 1e-4: both sides compute in float32 (unit roundoff u = 6e-8) with different summation
orders (OpenBLAS blocking and textclf's attention kernel against MLAS and MatMul + Softmax) and
different erf/tanh/exp implementations (each within a few ulps). A dot product of length K
then differs by about sqrt(K) u relative in practice (K <= 1536 here: 2.4e-6), and layer after
layer these add up, amplified by LayerNorm where a row's variance is small: about 1e-5 for 6-12
layers, which the measured errors confirm (a few 1e-6 to 1e-5; printed for every model). A real
mistake (a mask, a pooling row, the GELU variant, a transposed weight, a missing bias) moves the
logits by 1e-2 or more. Exit status 0 when every pair passes, 1 otherwise.

--hf-tokenizer DIR also tokenizes the texts with transformers' AutoTokenizer from DIR (the
directory `textclf export --format safetensors` writes) and requires the same ids as textclf's,
which is what README's five-line serving example relies on.
"""
import argparse
import json
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort

TOLERANCE = 1e-4

TEXTS = [
    "",
    "ok",
    "WINNER!! You have been selected to receive a prize. Call now.",
    "See you at 6? I'll bring the cake.",
    "great good nice day",
    "awful sad grim thing",
    " ".join(["This message is much longer than the others, and it goes on and on about nothing in particular"] * 12),
    "Hello world",
    "call me <pad> later",
]


def textclf_logits(textclf, run, texts):
    stdin = "".join(json.dumps({"text": t}) + "\n" for t in texts)
    done = subprocess.run([textclf, "debug", "logits", "--model", run], input=stdin.encode(), capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"textclf debug logits --model {run}: exit {done.returncode}: {done.stderr.decode().strip()}")
    return json.loads(done.stdout)


def check_structure(model, labels):
    onnx.checker.check_model(model, full_check=True)
    opsets = {o.domain: o.version for o in model.opset_import}
    assert opsets.get("", 0) >= 17, f"opset {opsets} is below 17"
    graph = model.graph
    inputs = {i.name: i.type.tensor_type for i in graph.input}
    assert sorted(inputs) == ["attention_mask", "input_ids"], f"inputs {sorted(inputs)}"
    for name, t in inputs.items():
        assert t.elem_type == onnx.TensorProto.INT64, f"{name} is not int64"
        dims = [d.dim_param or d.dim_value for d in t.shape.dim]
        assert len(dims) == 2 and all(isinstance(d, str) and d for d in dims), f"{name} dims {dims} are not [batch, sequence]"
    assert [o.name for o in graph.output] == ["logits"], f"outputs {[o.name for o in graph.output]}"
    out = graph.output[0].type.tensor_type
    dims = [d.dim_param or d.dim_value for d in out.shape.dim]
    assert out.elem_type == onnx.TensorProto.FLOAT and len(dims) == 2 and dims[1] == len(labels), f"logits dims {dims}"
    meta = {p.key: p.value for p in model.metadata_props}
    for key in ["labels", "tokenizer", "max_length", "pooling", "family", "pad_token_id", "decision", "long_text"]:
        assert key in meta, f"metadata_props has no {key}"
    assert json.loads(meta["labels"]) == labels, f"metadata labels {meta['labels']} != {labels}"
    return meta


def check(textclf, run, path, hf_tokenizer=None):
    model = onnx.load(path)
    reference = textclf_logits(textclf, run, TEXTS)
    meta = check_structure(model, reference["labels"])
    ids = reference["ids"]
    expected = np.array(reference["logits"], dtype=np.float64)
    lengths = [len(s) for s in ids]
    assert len(set(lengths)) > 2, f"the batch should mix lengths: {lengths}"
    time = max(lengths)
    pad = reference["pad_token_id"]
    assert int(meta["pad_token_id"]) == pad
    if meta["family"] == "roberta":
        assert any(pad in seq for seq in ids), "no text has the pad id among its real tokens: RoBERTa's positions go unchecked"
    input_ids = np.full((len(ids), time), pad, dtype=np.int64)
    mask = np.zeros((len(ids), time), dtype=np.int64)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    got = session.run(["logits"], {"input_ids": input_ids, "attention_mask": mask})[0].astype(np.float64)
    assert got.shape == expected.shape, f"ONNX Runtime gave {got.shape}, textclf {expected.shape}"
    error = float(np.max(np.abs(got - expected)) / max(np.max(np.abs(expected)), 1e-30))
    if hf_tokenizer:
        from transformers import AutoTokenizer
        tokenizer = AutoTokenizer.from_pretrained(hf_tokenizer)
        max_length = int(meta["max_length"])
        hf = [tokenizer(t, truncation=True, max_length=max_length)["input_ids"] or [pad] for t in TEXTS]
        assert hf == ids, f"{hf_tokenizer}: transformers' tokenizer gives other ids than textclf's"
    ok = error <= TOLERANCE and bool(np.all(np.argmax(got, 1) == np.argmax(expected, 1)))
    print(f"{'ok  ' if ok else 'FAIL'} {path}: family {meta['family']}, pooling {meta['pooling']}, "
          f"{len(ids)} texts of {min(lengths)}-{time} tokens, max |logit| {np.max(np.abs(expected)):.4g}, "
          f"relative error {error:.3g} (tolerance {TOLERANCE:g})")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--textclf", required=True, help="the textclf binary")
    parser.add_argument("--hf-tokenizer", help="also compare transformers' tokenizer from this directory")
    parser.add_argument("pairs", nargs="+", metavar="RUN=MODEL.onnx")
    args = parser.parse_args()
    ok = True
    for pair in args.pairs:
        run, sep, path = pair.partition("=")
        if not sep:
            parser.error(f"{pair}: expected RUN=MODEL.onnx")
        try:
            ok = check(args.textclf, run, path, args.hf_tokenizer) and ok
        except (AssertionError, RuntimeError, onnx.checker.ValidationError) as error:
            print(f"FAIL {path}: {error}")
            ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
