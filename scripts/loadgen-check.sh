#!/usr/bin/env bash
# Is the bench's load generator the bottleneck it measures? Drives the same server model,
# pinned the same way (server on CPU 0, load on CPU 1), with `sockstep bench`'s built-in load
# generator and with an independent one, and prints both rates and p99 latencies side by side.
#
#   scripts/loadgen-check.sh LOADGEN_DIR [MODELS] [CONNS] [SECS]
#   defaults:                "mio threads"   "1 10 100"   3
#
# LOADGEN_DIR is the Cargo project of the independent load generator, written apart from
# sockstep: its `loadgen` binary takes `--addr IP:PORT --conns C --size S --secs D` and prints
# one line of `key=value` fields, among them `msgs_per_s=` and `p99_us=` (ours was a
# single-threaded mio ping-pong client). It is built in release mode into a temporary target
# directory. It does one unmeasured warm-up exchange per connection, so it is not pointed at
# the iterative model (whose waiting connections would never get theirs).
set -euo pipefail
# Resolved before the cd below, so that a relative path works.
LOADGEN_DIR=$(realpath "${1:?usage: scripts/loadgen-check.sh LOADGEN_DIR [MODELS] [CONNS] [SECS]}")
cd "$(dirname "$0")/.."
MODELS=${2:-mio threads}
CONNS=${3:-1 10 100}
SECS=${4:-3}
cargo build --release --quiet
target=$(mktemp -d)
trap 'rm -rf "$target"; [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null || true' EXIT
CARGO_TARGET_DIR=$target cargo build --release --quiet --manifest-path "$LOADGEN_DIR/Cargo.toml"
LOADGEN=$target/release/loadgen
ulimit -n "$(ulimit -Hn)"

field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
# The value of column NAME in the first row of a bench.csv, found by its header, not its place.
csv_field() { awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) col = i }
  NR == 2 && col { print $col }' "$1"; }
printf '%-8s %6s  %12s %10s  %12s %10s\n' model conns "bench msgs/s" "p99 µs" "peer msgs/s" "p99 µs"
for model in $MODELS; do
  for c in $CONNS; do
    # The bench's own run: a fresh server pinned to CPU 0, its load generator on CPU 1.
    out=$(mktemp -d)
    target/release/sockstep --lang en bench --models "$model" --conns "$c" --sizes 64 \
      --secs "$SECS" --syscalls off --out "$out" >/dev/null 2>&1
    ours=$(csv_field "$out/bench.csv" msgs_per_s); ours_p99=$(csv_field "$out/bench.csv" p99_us)
    rm -rf "$out"
    [ -n "$ours" ] && [ -n "$ours_p99" ] || { echo "loadgen-check.sh: no msgs_per_s or p99_us in bench.csv" >&2; exit 1; }
    # The same server, started by hand the same way, driven by the peer load generator.
    coproc SERVER { exec taskset -c 0 target/release/sockstep server --model "$model" \
      --bind 127.0.0.1 --port 0 --backlog 4096 --max-clients 4096 --log quiet 2>/dev/null; }
    spid=$SERVER_PID
    read -r line <&"${SERVER[0]}"
    addr=${line#listening on }; addr=${addr%% *}
    peer=$(taskset -c 1 "$LOADGEN" --addr "$addr" --conns "$c" --size 64 --secs "$SECS")
    kill "$spid"; wait "$spid" 2>/dev/null || true; spid=
    printf '%-8s %6s  %12.0f %10s  %12s %10s\n' "$model" "$c" "$ours" "$ours_p99" \
      "$(field "$peer" msgs_per_s)" "$(field "$peer" p99_us)"
  done
done
