#!/usr/bin/env bash
# Runs one task several ways in textclf, one after the other, each under /usr/bin/time -v:
# LoRA, all layers, the last 2 blocks (or the CONFIGS given); prints test accuracy, trainable
# parameters, wall and training-step time, peak RSS and the load average before and after, and
# appends them to runs/compare-lora.jsonl.
#
#   scripts/compare_lora.sh NAME -- TEXTCLF_FINETUNE_ARGS...
#   e.g. scripts/compare_lora.sh spam -- --task spam --epochs 1
#
# Run from the repository root with .build/release/textclf built. Writes runs/lora-NAME-<config>.
# Environment: TEXTCLF_BIN (default .build/release/textclf), TEXTCLF_MIRROR (default ../shared/mirror), CONFIGS (default "lora all last2";
# also lastblock), LORA (default "lora:8:16"), LORA_ARGS (extra options of the LoRA run, e.g.
# "--lr 1e-3 --lora-targets attention,mlp"), NICE (default 5).
set -euo pipefail

[[ $# -ge 2 && $2 == "--" ]] || { sed -n '7,8p' "$0" | sed 's/^# *//' >&2; exit 2; }
NAME=$1
shift 2
BIN=${TEXTCLF_BIN:-.build/release/textclf}
[[ -x $BIN ]] || { echo "error: $BIN not found: swift build -c release first" >&2; exit 2; }
export TEXTCLF_MIRROR=${TEXTCLF_MIRROR:-../shared/mirror}
read -r -a lora_args <<<"${LORA_ARGS:-}"

for config in ${CONFIGS:-lora all last2}; do
    case $config in
        lora) extra=(--trainable "${LORA:-lora:8:16}" "${lora_args[@]}") ;;
        all) extra=(--trainable all) ;;
        last2) extra=(--trainable last-2-blocks) ;;
        lastblock) extra=(--trainable last-block) ;;
        *) echo "error: unknown config $config" >&2; exit 2 ;;
    esac
    run=runs/lora-$NAME-$config
    [[ ! -e $run/config.json ]] || { echo "error: $run already holds a run" >&2; exit 2; }
    mkdir -p "$run.logs"
    echo "== textclf finetune $* ${extra[*]} --output $run" >&2
    load_before=$(cut -d' ' -f1 /proc/loadavg)
    start=$(date +%s.%N)
    nice -n "${NICE:-5}" /usr/bin/time -v -o "$run.logs/time.txt" "$BIN" finetune "$@" "${extra[@]}" --output "$run" --json \
        >"$run.logs/textclf.jsonl" 2>"$run.logs/textclf.stderr" \
        || { echo "error: textclf failed; see $run.logs/textclf.stderr" >&2; tail -n 3 "$run.logs/textclf.stderr" >&2; exit 1; }
    end=$(date +%s.%N)
    load_after=$(cut -d' ' -f1 /proc/loadavg)
    python3 - "$NAME" "$config" "$run" "$start" "$end" "$load_before" "$load_after" "$@" "${extra[@]}" <<'PY'
import json, re, sys, time
name, config, run, start, end, load_before, load_after = sys.argv[1:8]
args = sys.argv[8:]
lines = [json.loads(l) for l in open(f"{run}.logs/textclf.jsonl") if l.startswith("{")]
result = [l for l in lines if l.get("event") == "result"][-1]
prepared = [l for l in lines if l.get("event") == "prepared"][0]
rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(f"{run}.logs/time.txt").read()).group(1))
test = result["final"]["test"]
row = {"name": name, "config": config, "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "args": args, "run": run,
       "trainable": prepared["trainable"], "trainable_parameters": prepared["trainable_parameters"],
       "test_accuracy": test["accuracy"], "test_macro_f1": test["macro_f1"],
       "validation_accuracy": result["final"]["validation"]["accuracy"],
       "wall_seconds": round(float(end) - float(start), 1), "train_seconds": result["timing"]["train_seconds"],
       "cache_seconds": result["timing"]["cache_seconds"], "steps": result["steps"], "peak_rss_mb": round(rss_kb / 1024),
       "load_before": float(load_before), "load_after": float(load_after)}
print(f"{name} {config:9} {row['trainable']:22} {row['trainable_parameters']:>11,} params  test {100 * row['test_accuracy']:.2f}%"
      f"  wall {row['wall_seconds']:.0f} s (steps {row['train_seconds']:.0f} s)  peak RSS {row['peak_rss_mb']} MB"
      f"  load {load_before} -> {load_after}")
with open("runs/compare-lora.jsonl", "a") as out:
    out.write(json.dumps(row) + "\n")
PY
done
