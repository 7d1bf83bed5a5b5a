#!/usr/bin/env bash
# Makes Tests/DataIOTests/Fixtures/encrypted.zip: a zip whose one member (secret.csv) is encrypted
# with the classic ZipCrypto password scheme (password "textclf"), plus a plain member
# (open.csv), so DataIO's tests can check that reading the encrypted member fails clearly while
# the other still reads. Needs Debian's `zip` package. The encryption header is random, so the
# bytes differ from run to run; only the structure matters.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/Tests/DataIOTests/Fixtures/encrypted.zip"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf 'label,text\nspam,win a prize\n' > "$work/secret.csv"
printf 'label,text\nham,see you at 5\n' > "$work/open.csv"
touch -d '2020-01-01 00:00:00' "$work/secret.csv" "$work/open.csv"
rm -f "$out"
(cd "$work" && zip -q -X -P textclf encrypted.zip secret.csv && zip -q -X encrypted.zip open.csv)
mv "$work/encrypted.zip" "$out"
echo "wrote $out ($(wc -c < "$out") bytes)"
