#!/usr/bin/env bash
# Regenerates the book's measured figures: runs `sockstep bench` (release build) and writes its
# header, its table and its notes between markers of a page, and its plot and CSV beside it.
# - docs/src/bench.md (`bench:begin` ... `bench:end`): every model, 1 to 1000 connections,
#   64-byte and 16 KiB messages; the plot goes to docs/src/bench/bench.svg.
# - docs/src/nagle.md (`nagle-off:begin` ... and `nagle-on:begin` ...): every model at 16 KiB,
#   1 and 10 connections, with the course's 1024-byte reads (--buf 1024), with TCP_NODELAY (the
#   default) and with --nagle.
# The prose around them is written by hand.
#
#   scripts/bench-docs.sh [extra bench options, e.g. --reps 5 --secs 3]
#
# Run it when the machine is quiet (the bench says when it was not): the figures are what this
# machine did at that moment. Review the result with `git diff docs/src`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# section PAGE MARKER NAME BENCH-OPTIONS...: runs the bench and replaces what lies between
# PAGE's `<!-- MARKER:begin` and `<!-- MARKER:end -->` lines with its figures; with NAME, the
# plot and the CSV are copied to docs/src/bench/NAME.svg and NAME.csv and linked.
section() {
  local page=$1 marker=$2 name=$3
  shift 3
  local run=$out/$marker
  mkdir -p "$run"
  target/release/sockstep --lang en bench --out "$run" "$@" >"$run/stdout.txt"
  {
    echo "<!-- $marker:begin (written by scripts/bench-docs.sh; do not edit by hand) -->"
    echo
    echo "Run on $(date -u +%Y-%m-%d) with \`sockstep bench $*\`:"
    echo
    echo '```text'
    # The header: everything before the first blank line.
    sed '/^$/q' "$run/stdout.txt" | sed '/^$/d'
    echo '```'
    echo
    cat "$run/bench.md"
    echo
    # The legend, the steal and load lines and the notices: everything after the table.
    sed -n '/^waiting: /,$p' "$run/stdout.txt"
    if [ -n "$name" ]; then
      mkdir -p docs/src/bench
      cp "$run/bench.svg" "docs/src/bench/$name.svg"
      cp "$run/bench.csv" "docs/src/bench/$name.csv"
      echo
      echo "![msgs/s and p99 latency against connections, one line per model, one row per message size](bench/$name.svg)"
      echo
      echo "The same figures as CSV: [bench/$name.csv](bench/$name.csv)."
    fi
    echo
    echo "<!-- $marker:end -->"
  } >"$run/section.md"
  awk -v section="$run/section.md" -v begin="<!-- $marker:begin" -v end="<!-- $marker:end -->" '
    index($0, begin) == 1 { while ((getline line < section) > 0) print line; skip = 1; next }
    index($0, end) == 1 { skip = 0; next }
    !skip { print }
  ' "$page" >"$run/page.md"
  cp "$run/page.md" "$page"
}

section docs/src/bench.md bench bench --conns 1,10,100,1000 --sizes 64,16384 --secs 2 --reps 3 "$@"
section docs/src/nagle.md nagle-off "" --conns 1,10 --sizes 16384 --buf 1024 --secs 2 --reps 3 "$@"
section docs/src/nagle.md nagle-on "" --conns 1,10 --sizes 16384 --buf 1024 --secs 2 --reps 3 --nagle "$@"
git --no-pager diff --stat -- docs/src
