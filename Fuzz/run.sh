#!/usr/bin/env bash
# Runs each fuzz target (built by `make fuzz`) for FUZZ_SECONDS, or FUZZ_RUNS executions if set,
# whichever comes first; prints executions, seconds, crashes, sanitizer reports and timeouts per
# target. New corpus entries go to $FUZZ_WORK/<target>/corpus (the committed seeds are only
# read); crashing inputs to $FUZZ_WORK/<target>/. Exits 1 if any target found anything.
set -u
BIN=${FUZZ_BIN:-.build-fuzz/debug}
WORK=${FUZZ_WORK:-.build-fuzz/work}
SECONDS_EACH=${FUZZ_SECONDS:-120}
TARGETS=${FUZZ_TARGETS:-csv spec safetensors archive gpt2 wordpiece vocab}
# Swift's crash backtracer itself trips AddressSanitizer; libFuzzer prints the stack instead.
export SWIFT_BACKTRACE=enable=no

binary() {
    case $1 in
        csv) echo FuzzCSV ;; spec) echo FuzzSpec ;; safetensors) echo FuzzSafeTensors ;;
        archive) echo FuzzArchive ;; gpt2) echo FuzzGPT2 ;; wordpiece) echo FuzzWordPiece ;; vocab) echo FuzzVocab ;;
        *) echo "unknown fuzz target $1" >&2; exit 2 ;;
    esac
}

summary=()
failed=0
for target in $TARGETS; do
    exe=$BIN/$(binary "$target") || exit 2
    dir=$WORK/$target
    mkdir -p "$dir/corpus"
    runs=()
    [ -n "${FUZZ_RUNS:-}" ] && runs=(-runs="$FUZZ_RUNS")
    echo "== fuzz $target: $exe, ${SECONDS_EACH}s${FUZZ_RUNS:+ or $FUZZ_RUNS runs}, log $dir/log.txt"
    start=$(date +%s)
    "$exe" -max_total_time="$SECONDS_EACH" "${runs[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$dir/" "$dir/corpus" "Fuzz/Corpus/$target" > "$dir/log.txt" 2>&1 &
    pid=$!
    wait "$pid"
    status=$?
    # A harness that crashed did not get to remove its scratch directory (Fuzz/Sources/FuzzSupport).
    rm -rf "/dev/shm/textclf-fuzz-$pid"
    elapsed=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log.txt" | tail -1)
    crashes=$(grep -c "ERROR: libFuzzer: deadly signal" "$dir/log.txt")
    sanitizer=$(grep -c -e "ERROR: AddressSanitizer" -e "ERROR: LeakSanitizer" -e "runtime error:" "$dir/log.txt")
    timeouts=$(grep -c "ERROR: libFuzzer: timeout" "$dir/log.txt")
    ooms=$(grep -c "ERROR: libFuzzer: out-of-memory" "$dir/log.txt")
    [ "$status" -ne 0 ] || [ "$crashes$sanitizer$timeouts$ooms" != "0000" ] && failed=1
    summary+=("$(printf '%-12s %12s %8s %8s %10s %9s %5s %7s' "$target" "${execs:-?}" "$elapsed" "$crashes" "$sanitizer" "$timeouts" "$ooms" "$status")")
done
echo
printf '%-12s %12s %8s %8s %10s %9s %5s %7s\n' target execs seconds crashes sanitizer timeouts ooms status
printf '%s\n' "${summary[@]}"
[ "$failed" -eq 0 ] || { echo "fuzz: something was found; the inputs are in $WORK/<target>/ (crash-*, timeout-*, oom-*, leak-*)"; exit 1; }
