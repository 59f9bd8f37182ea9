#!/usr/bin/env bash
# What one client costs the blocking server models: memory and kernel tasks, measured with N
# idle clients connected (default 100) to the fork and the thread models.
#
#   cargo build --release && scripts/cost.sh [N]
#
# The clients are bash's own /dev/tcp connections: no other tool needed. Each sends a line and
# reads its reply, so that each has been accepted and is being served, then stays connected
# while the server's processes and threads are counted in /proc. Memory is PSS (proportional
# set size: a page shared by k processes counts 1/k in each), the fair measure after fork(),
# where parent and children share every page they have not written to.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
BIN=${BIN:-target/release/sockstep}
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 1; }

pss_kib() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup"; }

measure() {
  local model=$1 out pid port fds=() before after tasks
  out=$(mktemp)
  "$BIN" server --model "$model" --bind 127.0.0.1 --port 0 --backlog "$N" \
    --max-clients $((N + 1)) --log quiet >"$out" 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do grep -q '^listening on' "$out" && break; sleep 0.05; done
  port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\).*/\1/p' "$out")
  before=$(pss_kib "$pid")
  for i in $(seq "$N"); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$port"
    fds+=("$fd")
    printf 'client %d\n' "$i" >&"$fd"
    read -r -u "$fd" _reply
  done
  case $model in
    fork)
      local children
      children=$(pgrep -P "$pid" | tr '\n' ' ')
      tasks=$(echo "$children" | wc -w)
      after=$(pss_kib "$pid")
      for c in $children; do after=$(( after + $(pss_kib "$c") )); done
      ;;
    threads)
      tasks=$(( $(awk '/^Threads:/ { print $2 }' "/proc/$pid/status") - 1 ))
      after=$(pss_kib "$pid")
      ;;
  esac
  printf '%-8s %4d clients: %4d %-9s PSS %6d KiB before, %6d KiB with them: %5.1f KiB per client\n' \
    "$model" "$N" "$tasks" "$([ "$model" = fork ] && echo processes || echo threads)" \
    "$before" "$after" "$(awk "BEGIN { print ($after - $before) / $N }")"
  for fd in "${fds[@]}"; do exec {fd}>&-; done
  kill -TERM "$pid"
  wait "$pid" || true
  rm -f "$out"
}

echo "$(nproc) cores, Linux $(uname -r)"
measure fork
measure threads
