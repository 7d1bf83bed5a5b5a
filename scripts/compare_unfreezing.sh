#!/usr/bin/env bash
# Runs one task four ways in textclf, one after the other: all layers, the last 2 blocks, gradual
# unfreezing, and gradual unfreezing with layer-wise learning-rate decay; prints test accuracy,
# macro-F1, wall time and cache time of each and appends them to runs/compare-unfreezing.jsonl.
#
#   scripts/compare_unfreezing.sh NAME -- TEXTCLF_FINETUNE_ARGS...
#   e.g. scripts/compare_unfreezing.sh spam -- --task spam
#
# Run from the repository root with .build/release/textclf built. Writes runs/unfreeze-NAME-<config>.
# Environment: TEXTCLF_MIRROR (default ../shared/mirror), UNFREEZE (default gradual),
# LAYER_LR_DECAY (default 0.8), CONFIGS (default "all last2 gradual gradual-decay").
set -euo pipefail

[[ $# -ge 2 && $2 == "--" ]] || { sed -n '6,7p' "$0" | sed 's/^# *//' >&2; exit 2; }
NAME=$1
shift 2
[[ -x .build/release/textclf ]] || { echo "error: .build/release/textclf not found: swift build -c release first" >&2; exit 2; }
export TEXTCLF_MIRROR=${TEXTCLF_MIRROR:-../shared/mirror}
UNFREEZE=${UNFREEZE:-gradual}
DECAY=${LAYER_LR_DECAY:-0.8}

for config in ${CONFIGS:-all last2 gradual gradual-decay}; do
    case $config in
        all) extra=(--trainable all) ;;
        last2) extra=(--trainable last-2-blocks) ;;
        gradual) extra=(--trainable all --unfreeze "$UNFREEZE") ;;
        gradual-decay) extra=(--trainable all --unfreeze "$UNFREEZE" --layer-lr-decay "$DECAY") ;;
        *) echo "error: unknown config $config" >&2; exit 2 ;;
    esac
    run=runs/unfreeze-$NAME-$config
    [[ ! -e $run/config.json ]] || { echo "error: $run already holds a run" >&2; exit 2; }
    mkdir -p "$run.logs"
    echo "== textclf finetune $* ${extra[*]} --output $run" >&2
    start=$(date +%s.%N)
    .build/release/textclf finetune "$@" "${extra[@]}" --output "$run" --json >"$run.logs/textclf.jsonl" 2>"$run.logs/textclf.stderr" \
        || { echo "error: textclf failed; see $run.logs/textclf.stderr" >&2; tail -n 3 "$run.logs/textclf.stderr" >&2; exit 1; }
    end=$(date +%s.%N)
    python3 - "$NAME" "$config" "$run" "$start" "$end" "$@" "${extra[@]}" <<'PY'
import json, sys, time
name, config, run, start, end, args = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), sys.argv[6:]
lines = [json.loads(l) for l in open(f"{run}.logs/textclf.jsonl") if l.startswith("{")]
result = [l for l in lines if l.get("event") == "result"][-1]
unfrozen = [(l["step"], l["trainable"]) for l in lines if l.get("event") == "unfrozen"]
caches = [round(l["seconds"], 1) for l in lines if l.get("event") == "cache"]
test = result["final"]["test"]
row = {"name": name, "config": config, "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "args": args, "run": run,
       "test_accuracy": test["accuracy"], "test_macro_f1": test["macro_f1"],
       "validation_accuracy": result["final"]["validation"]["accuracy"], "wall_seconds": round(end - start, 1),
       "train_seconds": result["timing"]["train_seconds"], "cache_seconds": result["timing"]["cache_seconds"],
       "cache_builds_seconds": caches, "unfrozen": unfrozen, "steps": result["steps"]}
print(f"{name} {config:14} test {100 * row['test_accuracy']:.2f}%  macro-F1 {row['test_macro_f1']:.4f}  wall {row['wall_seconds']:.0f} s"
      f"  (steps {row['train_seconds']:.0f} s, cache builds {caches} s)")
with open("runs/compare-unfreezing.jsonl", "a") as out:
    out.write(json.dumps(row) + "\n")
PY
done
