#!/usr/bin/env bash
# Runs one fine-tuning recipe in textclf and then in PyTorch (scripts/torch_minilm_finetune.py, same
# config, same split), one after the other on this machine, and prints their speed and accuracy.
#
#   scripts/compare_minilm.sh NAME -- TEXTCLF_FINETUNE_ARGS...
#   e.g. scripts/compare_minilm.sh spam-all -- --task spam --backbone all-MiniLM-L6-v2 --trainable all
#
# Run from the repository root, with .build/release/textclf built. Writes runs/compare-NAME (the
# textclf run), runs/compare-NAME.logs/ (stdout, stderr and `/usr/bin/time -v` of both) and appends
# one JSON line to runs/compare-minilm.jsonl.
# Environment: TEXTCLF_MIRROR (default ../shared/mirror), TORCH_THREADS (default 2),
# TORCH_MAX_STEPS (PyTorch stops after N steps: for testing this script only), PYTHON (python3).
#
# "training" = the training loop including periodic evaluations; for textclf that is
# timing.train_seconds + eval_seconds + cache_seconds (its frozen-prefix cache replaces work PyTorch
# does inside its steps). Tokens/s count optimiser-step time only, in both.
set -euo pipefail

usage() { sed -n '5,6p' "$0" | sed 's/^# *//' >&2; exit 2; }
[[ $# -ge 2 && $2 == "--" ]] || usage
NAME=$1
shift 2
if [[ ! -f Package.swift || ! -f scripts/torch_minilm_finetune.py ]]; then
    echo "error: run this from the textclf repository root (no Package.swift / scripts/ here: $PWD)" >&2
    exit 2
fi
[[ -x .build/release/textclf ]] || { echo "error: .build/release/textclf not found: swift build -c release first" >&2; exit 2; }
export TEXTCLF_MIRROR=${TEXTCLF_MIRROR:-../shared/mirror}
[[ -d $TEXTCLF_MIRROR/models ]] || { echo "error: mirror $TEXTCLF_MIRROR has no models/ (set TEXTCLF_MIRROR)" >&2; exit 2; }
PYTHON=${PYTHON:-python3}
RUN=runs/compare-$NAME
LOGS=$RUN.logs
[[ ! -e $RUN/config.json ]] || { echo "error: $RUN already holds a run: remove it or choose another NAME" >&2; exit 2; }
mkdir -p "$LOGS"

echo "== textclf finetune $* --output $RUN" >&2
if ! /usr/bin/time -v -o "$LOGS/textclf.time" .build/release/textclf finetune "$@" --output "$RUN" --json \
        >"$LOGS/textclf.jsonl" 2>"$LOGS/textclf.stderr"; then
    echo "error: textclf failed; see $LOGS/textclf.stderr:" >&2
    tail -n 5 "$LOGS/textclf.stderr" >&2
    exit 1
fi

TORCH_ARGS=(--threads "${TORCH_THREADS:-2}")
[[ -z ${TORCH_MAX_STEPS:-} ]] || TORCH_ARGS+=(--max-steps "$TORCH_MAX_STEPS")
echo "== $PYTHON scripts/torch_minilm_finetune.py $RUN $TEXTCLF_MIRROR ${TORCH_ARGS[*]}" >&2
if ! /usr/bin/time -v -o "$LOGS/torch.time" "$PYTHON" scripts/torch_minilm_finetune.py "$RUN" "$TEXTCLF_MIRROR" "${TORCH_ARGS[@]}" \
        >"$LOGS/torch.jsonl" 2>"$LOGS/torch.stderr"; then
    echo "error: the PyTorch reference failed; see $LOGS/torch.stderr:" >&2
    tail -n 5 "$LOGS/torch.stderr" >&2
    exit 1
fi

"$PYTHON" - "$NAME" "$LOGS" "$RUN" "${TORCH_MAX_STEPS:-}" "$@" <<'EOF'
import json, sys, time
name, logs, run, max_steps, textclf_args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]


def result(path):
    lines = [json.loads(line) for line in open(path) if line.startswith("{")]
    found = [line for line in lines if line.get("event") == "result"]
    if not found:
        raise SystemExit(f"{path}: no result line")
    return found[-1]


def time_v(path):  # wall seconds and peak RSS (MB) of the whole process, from /usr/bin/time -v
    fields = dict(line.strip().rsplit(": ", 1) for line in open(path) if ": " in line)
    wall = 0.0
    for part in fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"):
        wall = wall * 60 + float(part)
    return wall, int(fields["Maximum resident set size (kbytes)"]) / 1024


tc, pt = result(f"{logs}/textclf.jsonl"), result(f"{logs}/torch.jsonl")
timing = tc["timing"]
rows = {}
wall, rss = time_v(f"{logs}/textclf.time")
rows["textclf"] = {
    "wall_seconds": wall, "train_seconds": timing["train_seconds"] + timing["eval_seconds"] + timing.get("cache_seconds", 0),
    "step_seconds": timing["train_seconds"], "periodic_eval_seconds": timing["eval_seconds"],
    "cache_seconds": timing.get("cache_seconds", 0), "full_eval_seconds": timing["full_eval_seconds"],
    "steps": tc["steps"], "train_tokens": tc["tokens_seen"], "train_tokens_per_second": tc["train_tokens_per_second"],
    "peak_rss_mb": rss, "accuracy": {s: tc["final"][s]["accuracy"] for s in ("train", "validation", "test")},
    "trainable": tc["trainable"]["policy"]}
wall, rss = time_v(f"{logs}/torch.time")
rows["pytorch"] = {
    "wall_seconds": wall, "train_seconds": pt["train_seconds"], "step_seconds": pt["train_seconds"] - pt["periodic_eval_seconds"],
    "periodic_eval_seconds": pt["periodic_eval_seconds"], "full_eval_seconds": pt["full_eval_seconds"], "steps": pt["steps"],
    "train_tokens": pt["train_tokens"], "train_tokens_per_second": pt["train_tokens_per_second"], "peak_rss_mb": rss,
    "accuracy": pt["accuracy"], "trainable": pt["trainable"], "torch": pt["torch"], "threads": pt["threads"]}
ratios = {"wall": rows["pytorch"]["wall_seconds"] / rows["textclf"]["wall_seconds"],
          "train": rows["pytorch"]["train_seconds"] / rows["textclf"]["train_seconds"]}

print(f"\n{name}: textclf finetune {' '.join(textclf_args)}  (trainable {rows['textclf']['trainable']})")
if max_steps:
    print(f"NOTE: PyTorch stopped after {max_steps} steps (TORCH_MAX_STEPS): the ratios are not comparable")
print(f"{'':10} {'wall s':>8} {'train s':>8} {'steps':>6} {'tok/s':>8} {'RSS MB':>7}   {'acc train':>9} {'val':>6} {'test':>6}")
for label, key in (("textclf", "textclf"), ("PyTorch", "pytorch")):
    r, a = rows[key], rows[key]["accuracy"]
    print(f"{label:10} {r['wall_seconds']:8.1f} {r['train_seconds']:8.1f} {r['steps']:6d} {r['train_tokens_per_second']:8.0f} "
          f"{r['peak_rss_mb']:7.0f}   {a['train']:9.4f} {a['validation']:6.4f} {a['test']:6.4f}")
print(f"PyTorch/textclf: wall {ratios['wall']:.2f}x, training {ratios['train']:.2f}x"
      f"  (textclf training = steps {rows['textclf']['step_seconds']:.1f} + periodic evals "
      f"{rows['textclf']['periodic_eval_seconds']:.1f} + cache {rows['textclf']['cache_seconds']:.1f} s)")

line = {"name": name, "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "textclf_args": textclf_args, "run": run,
        "torch_max_steps": int(max_steps) if max_steps else None, "textclf": rows["textclf"], "pytorch": rows["pytorch"],
        "ratio_pytorch_over_textclf": ratios}
with open("runs/compare-minilm.jsonl", "a") as out:
    out.write(json.dumps(line) + "\n")
print("appended to runs/compare-minilm.jsonl")
EOF
