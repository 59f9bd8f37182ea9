#!/usr/bin/env bash
# Regenerates the figures of the book's benchmark page (docs/src/bench.md): runs
# `sockstep bench` (release build) and writes its header, its table and its legend between the
# page's `bench:begin` and `bench:end` markers, and its plot to docs/src/bench/bench.svg.
# The prose around them is written by hand.
#
#   scripts/bench-docs.sh [extra bench options, e.g. --reps 5 --secs 3]
#
# Run it when the machine is quiet: the figures are what this machine did at that moment.
# Review the result with `git diff docs/src/bench.md`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
target/release/sockstep --lang en bench --conns 1,10,100,1000 --secs 2 --reps 3 \
  --out "$out" "$@" >"$out/stdout.txt"
mkdir -p docs/src/bench
cp "$out/bench.svg" docs/src/bench/bench.svg
cp "$out/bench.csv" docs/src/bench/bench.csv
{
  echo "<!-- bench:begin (written by scripts/bench-docs.sh; do not edit by hand) -->"
  echo
  echo "Run on $(date -u +%Y-%m-%d) with \`sockstep bench --conns 1,10,100,1000 --secs 2 --reps 3${*:+ $*}\`:"
  echo
  echo '```text'
  # The header: everything before the first blank line.
  sed '/^$/q' "$out/stdout.txt" | sed '/^$/d'
  echo '```'
  echo
  cat "$out/bench.md"
  echo
  # The legend and the steal line: everything after the table.
  sed -n '/^waiting: /,$p' "$out/stdout.txt"
  echo
  echo "![msgs/s and p99 latency against connections, one line per model](bench/bench.svg)"
  echo
  echo "The same figures as CSV: [bench/bench.csv](bench/bench.csv)."
  echo
  echo "<!-- bench:end -->"
} >"$out/section.md"
# Replace what lies between the markers (inclusive) with the new section.
awk -v section="$out/section.md" '
  /<!-- bench:begin/ { while ((getline line < section) > 0) print line; skip = 1; next }
  /<!-- bench:end -->/ { skip = 0; next }
  !skip { print }
' docs/src/bench.md >"$out/page.md"
cp "$out/page.md" docs/src/bench.md
git --no-pager diff --stat -- docs/src/bench.md docs/src/bench
