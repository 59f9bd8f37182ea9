#!/usr/bin/env bash
# Faults on purpose, one dialogue under strace: what the kernel did, and what sockstep did
# about it (the book's page "Faults on purpose").
#
#   scripts/inject.sh [--model M] --fault F [--client]
#
# Faults:
#   max-io            --max-io 1: every recv/send asks the kernel for one byte (a real short
#                     read or write, nothing lost)
#   interrupt         --interrupt 2: SIGALRM every 2 ms, blocked calls return EINTR (strace:
#                     ERESTARTSYS, --- SIGALRM ---)
#   eagain            strace --inject=recvfrom:error=EAGAIN on the blocking socket
#   econnreset-recv   strace --inject=recvfrom:error=ECONNRESET
#   econnreset-send   strace --inject=sendto:error=ECONNRESET
#   eintr             strace --inject=recvfrom:error=EINTR:signal=SIGALRM: a real signal is
#                     delivered at the call (its handler installed by --interrupt, whose
#                     timer is set an hour away), and the call fails with EINTR
# --client traces the client instead of the server.
#
# strace's retval= is never used: it skips the call, so a "short read" would lose the bytes
# that are really waiting. Every process started here is ended, whatever fails.
set -euo pipefail

die() {
  echo "inject.sh: $*" >&2
  exit 1
}

model=iterative
fault=
side=server
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model=${2:?--model needs a value}; shift 2 ;;
    --fault) fault=${2:?--fault needs a value}; shift 2 ;;
    --client) side=client; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[ -n "$fault" ] || die "--fault is required (see --help)"
command -v strace >/dev/null 2>&1 || die "strace is not installed: apt-get install strace"

flags=()
inject=()
case "$fault" in
  max-io) flags=(--max-io 1) ;;
  interrupt) flags=(--interrupt 2) ;;
  eagain) inject=("--inject=recvfrom:error=EAGAIN:when=1") ;;
  econnreset-recv) inject=("--inject=recvfrom:error=ECONNRESET:when=1") ;;
  econnreset-send) inject=("--inject=sendto:error=ECONNRESET:when=1") ;;
  eintr) flags=(--interrupt 3600000); inject=("--inject=recvfrom:error=EINTR:signal=SIGALRM:when=1") ;;
  *) die "unknown fault $fault (see --help)" ;;
esac

# The binary, the scratch folder `work`, the pid list `pids`, the EXIT trap that ends them all.
# shellcheck source=lib/run.sh
source "$(dirname "$0")/lib/run.sh"

CALLS='trace=accept,accept4,recvfrom,sendto,read,write,select,poll,epoll_wait,setitimer,rt_sigreturn'
server=("$SOCKSTEP" server --model "$model" --bind 127.0.0.1 --port 0 --once --log data)
client=("$SOCKSTEP" client --log conn)
if [ "$side" = server ]; then
  server=(strace -f -qq -o "$work/trace" -e "$CALLS" "${inject[@]}" "${server[@]}" "${flags[@]}")
else
  client=(strace -f -qq -o "$work/trace" -e "$CALLS" "${inject[@]}" "${client[@]}" "${flags[@]}")
fi

"${server[@]}" >"$work/server.out" 2>"$work/server.err" &
pids+=($!)
server_pid=$!
for _ in $(seq 200); do
  grep -q '^listening on' "$work/server.out" && break
  sleep 0.05
done
grep -q '^listening on' "$work/server.out" || { cat "$work/server.err" >&2; die "the server did not start"; }
port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\).*/\1/p' "$work/server.out")

# Two lines, a moment apart, so that a timer has a blocked call to interrupt.
{ printf 'bonjour\n'; sleep 0.05; printf 'ça va ?\n'; } |
  "${client[@]}" --port "$port" >"$work/client.out" 2>"$work/client.err" &
pids+=($!)
client_pid=$!
wait "$client_pid" || echo "inject.sh: the client failed (see its log below)" >&2
wait "$server_pid" || echo "inject.sh: the server failed (see its log below)" >&2

echo "== the trace ($side, $fault): the faults, and the calls around them"
grep -v -- 'write(2,' "$work/trace" | grep -E -C2 'INJECTED|ERESTARTSYS|SIGALRM|setitimer|, 1, 0, NULL' | head -40 || true
echo "== what the server said"
cat "$work/server.err"
echo "== what the client said"
cat "$work/client.err"
echo "== the client's replies"
cat "$work/client.out"
