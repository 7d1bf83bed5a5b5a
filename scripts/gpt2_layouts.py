"""GPT-2 weight layouts shared by the fixture scripts: Hugging Face names <-> OpenAI TF names,
writing the OpenAI TensorFlow checkpoint, and GPT-2's tokenizer file formats.

Mirrors Sources/Backbones/GPT2/GPT2WeightNames.swift (keep the two in step)."""
import json
import os
import re

import numpy as np

# GPT-2 sizes as in OpenAI's hparams.json / Hugging Face's config.json.
SIZES = {
    "gpt2": dict(n_embd=768, n_layer=12, n_head=12),
    "gpt2-medium": dict(n_embd=1024, n_layer=24, n_head=16),
    "gpt2-large": dict(n_embd=1280, n_layer=36, n_head=20),
    "gpt2-xl": dict(n_embd=1600, n_layer=48, n_head=25),
}


def hf_to_openai(name: str) -> str:
    """'h.0.attn.c_attn.weight' -> 'model/h0/attn/c_attn/w' (name without 'transformer.')."""
    if name in ("wte.weight", "wpe.weight"):
        return "model/" + name.split(".")[0]
    m = re.fullmatch(r"h\.(\d+)\.(.+)\.(weight|bias)", name) or re.fullmatch(r"()(ln_f)\.(weight|bias)", name)
    if not m:
        raise KeyError(name)
    layer, module, kind = m.groups()
    is_ln = module.split(".")[-1].startswith("ln_")
    leaf = {"weight": "g" if is_ln else "w", "bias": "b"}[kind]
    head = f"model/h{layer}/" if layer else "model/"
    return head + module.replace(".", "/") + "/" + leaf


def is_conv_weight(name: str) -> bool:
    """OpenAI stores Conv1D weights as [1, in, out]; Hugging Face as [in, out]."""
    return name.endswith(".weight") and (".attn." in name or ".mlp." in name)


def to_openai_tensors(state: dict) -> dict:
    """{HF name (no prefix): float32 array} -> {OpenAI name: array in OpenAI's shape}."""
    out = {}
    for name, arr in state.items():
        arr = np.asarray(arr, dtype=np.float32)
        if is_conv_weight(name):
            arr = arr[None, ...]
        out[hf_to_openai(name)] = arr
    return out


def hf_state_without_prefix(model) -> dict:
    """The transformer's tensors of a GPT2LMHeadModel/GPT2Model, HF names without prefix."""
    sd = model.state_dict()
    out = {}
    for k, v in sd.items():
        k2 = k[len("transformer."):] if k.startswith("transformer.") else k
        if k2 == "lm_head.weight" or k2.endswith(".attn.bias") or k2.endswith(".attn.masked_bias"):
            continue  # tied to wte / causal-mask buffers of old files
        out[k2] = v.detach().to("cpu").float().numpy()
    return out


def write_openai_checkpoint(outdir: str, state: dict, hparams: dict, force_fallback: bool = False) -> str:
    """Writes hparams.json and model.ckpt.{index,data-00000-of-00001,meta} + checkpoint.

    Uses TensorFlow's own Saver when importable (a REAL checkpoint); otherwise our
    tf_bundle.write_bundle (no .meta then). Returns which writer was used."""
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "hparams.json"), "w") as f:
        json.dump(hparams, f, indent=2)
        f.write("\n")
    tensors = to_openai_tensors(state)
    prefix = os.path.join(outdir, "model.ckpt")
    if not force_fallback:
        try:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            import tensorflow as tf  # noqa: F401
        except ImportError:
            tf = None
        if tf is not None:
            graph = tf.Graph()
            with graph.as_default():
                variables, feeds, assigns = [], {}, []
                for name, arr in tensors.items():
                    v = tf.compat.v1.get_variable(name, shape=arr.shape, dtype=tf.float32,
                                                  initializer=tf.compat.v1.zeros_initializer())
                    ph = tf.compat.v1.placeholder(tf.float32, shape=arr.shape)
                    assigns.append(v.assign(ph))
                    feeds[ph] = arr
                    variables.append(v)
                saver = tf.compat.v1.train.Saver(var_list=variables, save_relative_paths=True)
                with tf.compat.v1.Session(graph=graph) as sess:
                    sess.run(tf.compat.v1.global_variables_initializer())
                    sess.run(assigns, feed_dict=feeds)
                    saver.save(sess, prefix, write_meta_graph=True)
            return f"tensorflow {tf.__version__} tf.compat.v1.train.Saver"
    import tf_bundle
    tf_bundle.write_bundle(prefix, tensors)
    with open(os.path.join(outdir, "checkpoint"), "w") as f:
        f.write('model_checkpoint_path: "model.ckpt"\nall_model_checkpoint_paths: "model.ckpt"\n')
    return "scripts/tf_bundle.py (no TensorFlow)"


def perturb_(model, gen):
    """HF init leaves LayerNorm at (1, 0) and every bias at 0; a parity test could not tell a
    missing bias or a swapped gain from the right thing, so every such tensor gets noise."""
    import torch

    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".bias"):
                p.add_(torch.randn(p.shape, generator=gen) * 0.05)
            elif ".ln_" in name or "ln_f" in name:
                p.add_(torch.randn(p.shape, generator=gen) * 0.1)


# ---------------------------------------------------------------- tokenizer files
def bytes_to_unicode() -> dict:
    """GPT-2's reversible byte -> printable unicode character map (ids 0..255 follow this order)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def write_tokenizer_files(encoder: dict, merges: list, hf_dir: str = None, openai_dir: str = None):
    """encoder.json/vocab.bpe in OpenAI's exact formatting; vocab.json/merges.txt as on the HF hub."""
    bpe_text = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges)
    if openai_dir:
        with open(os.path.join(openai_dir, "encoder.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(encoder))  # ensure_ascii, ", " / ": " separators, no newline
        with open(os.path.join(openai_dir, "vocab.bpe"), "w", encoding="utf-8") as f:
            f.write(bpe_text)
    if hf_dir:
        with open(os.path.join(hf_dir, "vocab.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(encoder, ensure_ascii=False, separators=(",", ":")))
        with open(os.path.join(hf_dir, "merges.txt"), "w", encoding="utf-8") as f:
            f.write(bpe_text)
