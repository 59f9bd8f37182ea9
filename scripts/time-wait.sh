#!/usr/bin/env bash
# TIME_WAIT, and why a restarted server may meet EADDRINUSE: the side of a connection that
# closes first keeps TIME_WAIT (RFC 9293, section 3.6), for 60 s on Linux; and a socket bound
# without SO_REUSEADDR cannot take a port that a connection in TIME_WAIT still holds.
#
#   scripts/time-wait.sh [--how stop|daytime]
#
# 1. The server closes first, on a free loopback port:
#    stop (default): the parrot serves a client (bonjour, BONJOUR) and is stopped (SIGINT, as
#      Ctrl-C) while the client is still connected; with --grace 0 it closes that connection at
#      once: its FIN leaves first, the client's comes after.
#    daytime: the daytime service (RFC 867) sends the date and closes, as its RFC says.
#    In the course's dialogue the client closes first (shutdown at the end of its input), and
#    TIME_WAIT is on the client's side: restarting the server then meets nothing.
# 2. `ss -tan` shows the connection in TIME-WAIT on the server's port.
# 3. The server started again on that port with --no-reuseaddr: bind() fails with EADDRINUSE.
# 4. Started again with SO_REUSEADDR (the default): bind() succeeds, `listening on`; the
#    script then stops it.
#
# Each fact is checked: the script fails, saying which, when one does not hold. Needs ss
# (iproute2). Loopback only; every process it started is ended when it stops, whatever failed.
set -euo pipefail

die() {
  echo "time-wait.sh: $*" >&2
  exit 1
}

how=stop
while [ $# -gt 0 ]; do
  case "$1" in
    --how) how=${2:?--how needs stop or daytime}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
case "$how" in stop|daytime) ;; *) die "unknown --how $how (stop or daytime)" ;; esac
command -v ss >/dev/null 2>&1 || die "ss is not installed. Install it with: apt-get install iproute2"

# The binary, the scratch folder, the pids and their EXIT trap, wait_for (lib/run.sh).
# shellcheck source=lib/run.sh
source "$(dirname "$0")/lib/run.sh"

# Starts a server with the options given, output in $work/$name.{out,err}, and waits for its
# `listening on` line (or its end).
server() { # NAME OPTION...
  local name=$1
  shift
  "$SOCKSTEP" server --bind 127.0.0.1 "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  server_pid=$!
  wait_for 'grep -q "^listening on" "$work/$name.out" || ! kill -0 $server_pid 2>/dev/null' ||
    die "the server ($*) neither listened nor stopped within 10 s"
}

echo "== 1. the server closes first ($how)"
if [ "$how" = stop ]; then
  server first --port 0 --grace 0
else
  server first --listen daytime:0 --once
fi
grep -q "^listening on" "$work/first.out" || die "the server did not start: $(cat "$work/first.err")"
cat "$work/first.out"
port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\).*/\1/p' "$work/first.out")
first_pid=$server_pid

# The client reads a fifo kept open here: its input does not end, so it does not close first.
mkfifo "$work/fifo"
"$SOCKSTEP" client --port "$port" <"$work/fifo" >"$work/client.out" 2>"$work/client.err" 7>&- &
pids+=($!)
client_pid=$!
exec 7>"$work/fifo"
if [ "$how" = stop ]; then
  printf 'bonjour\n' >&7
  wait_for 'grep -q BONJOUR "$work/client.out"' || die "the client was not served: $(cat "$work/client.err")"
  kill -INT "$first_pid"
fi
# The server closes the connection (FIN) and exits; then the client's input ends, it answers
# with its own FIN, and the server's TCP, which sent the first FIN, enters TIME-WAIT.
wait "$first_pid" || die "the server failed: $(cat "$work/first.err")"
exec 7>&-
wait "$client_pid" || die "the client failed: $(cat "$work/client.err")"
sed 's/^/client: /' "$work/client.out"
sed 's/^/server: /' "$work/first.err"

echo
echo "== 2. ss -tan '( sport = :$port )': the server's port, after both have exited"
ss -tan "( sport = :$port )" | tee "$work/ss.txt"
grep -q "^TIME-WAIT .* 127\.0\.0\.1:$port " "$work/ss.txt" ||
  die "no connection in TIME-WAIT on the server's port $port"

echo
echo "== 3. sockstep server --port $port --no-reuseaddr: bind() without SO_REUSEADDR"
# Bounded: should bind() succeed (the very fact checked here), the server would wait for a client.
if timeout 5 "$SOCKSTEP" server --bind 127.0.0.1 --port "$port" --once --no-reuseaddr \
  </dev/null >"$work/third.out" 2>"$work/third.err"; then
  die "the server started on port $port without SO_REUSEADDR: $(cat "$work/third.out")"
fi
cat "$work/third.err"
grep -q "bind(127\.0\.0\.1:$port): EADDRINUSE" "$work/third.err" ||
  die "the restart without SO_REUSEADDR did not fail with EADDRINUSE"

echo
echo "== 4. sockstep server --port $port: SO_REUSEADDR (the default), then stopped"
server fourth --port "$port"
grep -q "^listening on 127\.0\.0\.1:$port " "$work/fourth.out" ||
  die "the restart with SO_REUSEADDR did not listen on port $port: $(cat "$work/fourth.err")"
cat "$work/fourth.out"
kill -INT "$server_pid"
wait "$server_pid" || die "the restarted server failed: $(cat "$work/fourth.err")"
echo
echo "time-wait.sh: the connection stays in TIME-WAIT for 60 s after the server's FIN; only a bind() without SO_REUSEADDR is refused meanwhile."
