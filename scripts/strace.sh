#!/usr/bin/env bash
# Watch sockstep's system calls with strace: the socket story of one short dialogue.
#
#   scripts/strace.sh [--model M] [OPTIONS] [-- SERVER-ARGS...]
#       Starts `sockstep server --model M` under `strace -f` on a free loopback port, drives one
#       short dialogue with `sockstep client` (traced too), waits for the server to finish
#       (--once), and writes both traces.
#   scripts/strace.sh --attach PID [OPTIONS]
#       Attaches to a server that is already running (strace -p) until Ctrl-C; talk to it from
#       another terminal meanwhile.
#
# Options:
#   --model M          the server model (default: iterative)
#   --out FILE         the server's trace (default: sockstep-M.strace); the client's goes to
#                      FILE.client
#   --input TEXT       what the client sends, with printf escapes (default: 'bonjour\nça va ?\n')
#   --narrate          run server and client with --narrate too: each call's narration line is a
#                      write(2, ...) right after the call in the trace
#   --tcp-states       run server and client with --tcp-states too: a getsockopt(TCP_INFO) after
#                      listen, connect, accept and shutdown, and before close, with its line
#   --io send-recv|read-write
#   --events FILE      server and client append their event records to FILE (--events)
#   --time             timestamps: strace -tt (wall clock, microseconds)
#   --fds              strace -yy: show what each descriptor is, e.g. 4<TCP:[127.0.0.1:6789->...]>
#   --strsize N        show N bytes of each buffer (strace -s; default 32)
#   --also CALLS       trace these calls too (comma-separated strace names, e.g. rt_sigaction)
#   --quiet            do not print the traces, only where they are
#   --raw              keep the program's start-up (the dynamic loader's reads, Rust's checks of
#                      fds 0-2): by default each trace starts at the first socket call
#
# The filter keeps the calls that tell the socket story: the network calls (%network: socket,
# bind, listen, accept, connect, sendto, recvfrom, shutdown, getsockopt...), read/write/close,
# the readiness calls (select, poll, epoll_*), and the process calls (%process: clone, fork,
# wait4, exit). On a machine without strace it says so and exits 1.
#
# The one-line recipe, without this script:
#   strace -f -e trace=%network,read,write,close sockstep server
set -euo pipefail

die() {
  echo "strace.sh: $*" >&2
  exit 1
}

if ! command -v strace >/dev/null 2>&1; then
  echo "strace.sh: strace is not installed. Install it with:" >&2
  echo "apt-get install strace" >&2
  exit 1
fi

FILTER='%network,read,write,close,%process,select,pselect6,poll,ppoll,epoll_create,epoll_create1,epoll_ctl,epoll_wait,epoll_pwait,?epoll_pwait2'

model=iterative
out=
input='bonjour\nça va ?\n'
narrate=()
states=()
io=()
events=()
strace_opts=()
quiet=no
raw=no
attach=
server_args=()

while [ $# -gt 0 ]; do
  case "$1" in
    --model) model=${2:?--model needs a value}; shift 2 ;;
    --out) out=${2:?--out needs a file}; shift 2 ;;
    --input) input=${2?--input needs a text}; shift 2 ;;
    --narrate) narrate=(--narrate); shift ;;
    --tcp-states) states=(--tcp-states); shift ;;
    --io) io=(--io "${2:?--io needs a value}"); shift 2 ;;
    --events) events=(--events "${2:?--events needs a file}"); shift 2 ;;
    --time) strace_opts+=(-tt); shift ;;
    --fds) strace_opts+=(-yy); shift ;;
    --strsize) strace_opts+=(-s "${2:?--strsize needs a number}"); shift 2 ;;
    --also) FILTER="$FILTER,${2:?--also needs a list of calls}"; shift 2 ;;
    --quiet) quiet=yes; shift ;;
    --raw) raw=yes; shift ;;
    --attach) attach=${2:?--attach needs a pid}; shift 2 ;;
    --) shift; server_args=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

# A failed strace start is most often ptrace being refused: say so plainly.
explain_strace_failure() {
  local log=$1
  if grep -q 'Operation not permitted' "$log"; then
    echo "strace.sh: ptrace is not allowed here, so strace cannot trace:" >&2
    grep 'strace:' "$log" | head -3 >&2
    echo "strace.sh: in a container, run it with --cap-add SYS_PTRACE; for --attach, run as root or set kernel.yama.ptrace_scope=0" >&2
  fi
}

if [ -n "$attach" ]; then
  out=${out:-sockstep-$attach.strace}
  echo "strace.sh: attaching to $attach; talk to it, then Ctrl-C. Trace: $out" >&2
  status=0
  strace -f -p "$attach" -o "$out" "${strace_opts[@]}" -e trace="$FILTER" 2> >(tee /tmp/strace-attach.$$ >&2) || status=$?
  [ $status -eq 0 ] || explain_strace_failure /tmp/strace-attach.$$
  rm -f /tmp/strace-attach.$$
  [ "$quiet" = yes ] || cat "$out"
  exit $status
fi

out=${out:-sockstep-$model.strace}

# The binary: $SOCKSTEP if set (the tests set it), else a release build of this checkout.
if [ -z "${SOCKSTEP:-}" ]; then
  root=$(cd "$(dirname "$0")/.." && pwd)
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
  SOCKSTEP=$root/target/release/sockstep
fi
[ -x "$SOCKSTEP" ] || die "no sockstep binary at $SOCKSTEP"

# Check the model (and --io) with the binary's own parser before strace creates the trace
# file: a wrong name must leave no empty sockstep-nope.strace behind.
if ! check=$("$SOCKSTEP" server --model "$model" "${io[@]}" --help 2>&1 >/dev/null); then
  echo "$check" | head -n 1 >&2
  die "no trace written"
fi

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The server, under strace, on a free port: port 0, then read the `listening on` line. The
# descriptors this shell may have inherited are closed first, so that the server's first socket
# is descriptor 3, as in a fresh terminal.
without_inherited_fds() {
  local fd_path fd
  for fd_path in /proc/self/fd/*; do
    fd=${fd_path##*/}
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
  exec "$@"
}
without_inherited_fds strace -f -o "$out" "${strace_opts[@]}" -e trace="$FILTER" \
  "$SOCKSTEP" server "${narrate[@]}" "${states[@]}" --model "$model" --bind 127.0.0.1 --port 0 --once \
  "${io[@]}" "${events[@]}" "${server_args[@]}" >"$work/server.out" 2>"$work/server.err" &
server_pid=$!

# Wait (at most 30 s) for the server's `listening on` line, or for it to die.
port=
for _ in $(seq 600); do
  line=$(grep -m1 '^listening on ' "$work/server.out" 2>/dev/null || true)
  if [ -n "$line" ]; then
    port=${line##*:}
    port=${port%% *}
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.05
done
if [ -z "$port" ]; then
  cat "$work/server.err" >&2
  explain_strace_failure "$work/server.err"
  die "the server did not start (no 'listening on' line)"
fi

# The client, under strace too, sends the input and reads every reply.
client_status=0
printf "$input" | strace -o "$out.client" "${strace_opts[@]}" -e trace="$FILTER" \
  "$SOCKSTEP" client "${narrate[@]}" "${states[@]}" --port "$port" "${io[@]}" "${events[@]}" \
  >"$work/client.out" 2>"$work/client.err" || client_status=$?

# --once: the server closes its listening socket and exits after this one client.
server_status=0
wait "$server_pid" || server_status=$?
server_pid=

# Up to the first socket call, a trace shows the dynamic loader reading libraries and Rust's
# start-up checks: not the socket story. Drop it unless --raw.
if [ "$raw" = no ]; then
  for file in "$out" "$out.client"; do
    awk 'started || /socket\(/ { started = 1; print }' "$file" >"$work/trimmed"
    cat "$work/trimmed" >"$file"
  done
fi

if [ "$quiet" = no ]; then
  echo "== server: $SOCKSTEP server --model $model (strace -f), port $port"
  cat "$out"
  echo "== client: $SOCKSTEP client --port $port (strace)"
  cat "$out.client"
  echo "== the client printed:"
  cat "$work/client.out"
  if [ ${#narrate[@]} -gt 0 ]; then
    echo "== the server's narration (stderr):"
    cat "$work/server.err"
    echo "== the client's narration (stderr):"
    cat "$work/client.err"
  fi
fi
echo "strace.sh: server trace in $out, client trace in $out.client" >&2

if [ $client_status -ne 0 ] || [ $server_status -ne 0 ]; then
  cat "$work/server.err" "$work/client.err" >&2
  die "the dialogue failed (client exit $client_status, server exit $server_status)"
fi
