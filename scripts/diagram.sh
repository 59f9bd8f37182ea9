#!/usr/bin/env bash
# One scenario run for real, drawn as UNP's figure 2.5: the server and its clients write their
# event records (--events), tcpdump captures the segments on the loopback device, and
# `sockstep diagram` draws both on one time axis.
#
#   scripts/diagram.sh --scenario dialogue|rst|time-wait|nagle|udp [--out FILE.svg] [--keep DIR]
#
# dialogue (default): the course's dialogue: connect, two lines (bonjour, ça va ?), each
#   answered in upper case, the client's half-close (shutdown SHUT_WR) at the end of its input,
#   the server's close.
# rst: the iterative server with --once serves a first client while a second one connects and
#   sends `salut`, queued, never accepted. When the first client leaves, the server closes its
#   listening socket, and the kernel resets the connections still queued (RST, not FIN, whether
#   they sent bytes or not: capture.sh --scenario queued): the second client's recv() fails
#   with ECONNRESET.
# time-wait: the daytime service (RFC 867) sends the date and closes first: the side that closes
#   first is the one that keeps TIME_WAIT, here the server. `ss` shows it after the run, and the
#   script writes what it showed beside the figure (FILE.ss.txt).
# nagle: the stall. The iterative server and the client both leave Nagle's algorithm on
#   (--nagle); the client sends three messages of 4096 bytes (as capture.sh's big scenario) and
#   reads each reply whole before the next. The server reads 1024 bytes at a time and answers
#   each piece: the first piece leaves at once, the rest waits in the send buffer until the
#   client's TCP acknowledges it, and the client delays that ACK by about 40 ms, drawn in
#   proportion on the time axis.
# udp: the UDP parrot (--udp): the client sends bonjour and ça va ? in one datagram each
#   (sendto), each answered by one datagram, with no handshake and no FIN. The server is then
#   stopped (SIGINT), and a connected client (--udp --connect) sends to the port nobody binds
#   any more: the kernel answers ICMP port unreachable, and its recv() fails with ECONNREFUSED.
#
# --out: the SVG (default: docs/src/diagrams/SCENARIO.svg); the Mermaid text goes beside it
# (FILE.mmd). --keep DIR: keep the event records and the capture there.
# Capturing needs tcpdump and root or CAP_NET_RAW; without them the script says so and draws
# the segments the calls imply, marked "inferred, not captured". Loopback only, on a free port;
# every process it started is ended when it stops, whatever failed.
set -euo pipefail

die() {
  echo "diagram.sh: $*" >&2
  exit 1
}

root=$(cd "$(dirname "$0")/.." && pwd)
scenario=dialogue
out=
keep=
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) scenario=${2:?--scenario needs dialogue, rst, time-wait, nagle or udp}; shift 2 ;;
    --out) out=${2:?--out needs a file}; shift 2 ;;
    --keep) keep=${2:?--keep needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
case "$scenario" in dialogue|rst|time-wait|nagle|udp) ;; *) die "unknown scenario $scenario (dialogue, rst, time-wait, nagle or udp)" ;; esac
[ -n "$out" ] || out=$root/docs/src/diagrams/$scenario.svg

# The binary, the scratch folder `work`, the pid list `pids`, the EXIT trap that ends them all
# (tcpdump, the server, the client), and `wait_for`.
# shellcheck source=lib/run.sh
source "$(dirname "$0")/lib/run.sh"
"$SOCKSTEP" server --help | grep -q -- --events || die "$SOCKSTEP has no --events: it cannot record a run"

# The server, on a free port; its `listening on` line gives the port.
# The UDP server runs until SIGINT: --once would end it after one datagram.
case "$scenario" in
  time-wait) serve=(--listen daytime:0 --once) ;;
  udp) serve=(--udp --port 0) ;;
  nagle) serve=(--port 0 --once --nagle) ;;
  *) serve=(--port 0 --once) ;;
esac
"$SOCKSTEP" server --bind 127.0.0.1 "${serve[@]}" --log quiet --events "$work/server.jsonl" \
  >"$work/server.out" 2>"$work/server.err" &
pids+=($!)
server_pid=$!
wait_for 'grep -q "^listening on" "$work/server.out"' ||
  { cat "$work/server.err" >&2; die "the server did not start"; }
port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\).*/\1/p' "$work/server.out")

# tcpdump on lo, this port only, written as it comes (-U); it says `listening on` once it
# captures. Without it, or without the right to capture, the drawing is inferred.
captured=
if ! command -v tcpdump >/dev/null 2>&1; then
  echo "diagram.sh: tcpdump is not installed (apt-get install tcpdump): the segments will be inferred, not captured" >&2
else
  case "$scenario" in
    udp) filter="udp port $port or icmp[icmptype] == icmp-unreach or icmp6" ;;
    *) filter="tcp port $port" ;;
  esac
  tcpdump -i lo -n -U -w "$work/wire.pcap" "$filter" 2>"$work/tcpdump.err" &
  pids+=($!)
  tcpdump_pid=$!
  if wait_for 'grep -q "listening on" "$work/tcpdump.err" || ! kill -0 $tcpdump_pid 2>/dev/null' &&
    kill -0 "$tcpdump_pid" 2>/dev/null; then
    captured=yes
  else
    echo "diagram.sh: tcpdump could not capture (it needs root or CAP_NET_RAW): $(head -n 1 "$work/tcpdump.err")" >&2
    echo "diagram.sh: the segments will be inferred from the calls, not captured" >&2
  fi
fi

client() { # NAME INPUT [OPTION...]: a client reading INPUT, recording its calls, in the background
  local name=$1 input=$2
  shift 2
  "$SOCKSTEP" client --port "$port" "$@" --log quiet --events "$work/$name.jsonl" \
    <"$input" >"$work/$name.out" 2>"$work/$name.err" 7>&- &
  pids+=($!)
}

case "$scenario" in
  dialogue)
    printf 'bonjour\nça va ?\n' >"$work/input"
    client client "$work/input"
    wait "$!" || die "the client failed: $(cat "$work/client.err")"
    wait "$server_pid" || die "the server failed: $(cat "$work/server.err")"
    ;;
  nagle)
    # Three lines of 4096 bytes with their newline, each sent in one call.
    line=$(printf '%04095d' 0)
    printf '%s\n%s\n%s\n' "$line" "$line" "$line" >"$work/input"
    client client "$work/input" --nagle
    wait "$!" || die "the client failed: $(cat "$work/client.err")"
    wait "$server_pid" || die "the server failed: $(cat "$work/server.err")"
    ;;
  rst)
    # The first client reads a fifo kept open here: it stays connected, served, until fd 7
    # closes. The second connects and sends while the first is served: queued, unread.
    mkfifo "$work/fifo"
    client client1 "$work/fifo"
    exec 7>"$work/fifo"
    printf 'bonjour\n' >&7
    wait_for 'grep -q BONJOUR "$work/client1.out"' || die "the first client was not served"
    printf 'salut\n' >"$work/input2"
    client client2 "$work/input2"
    client2_pid=$!
    # The second client's bytes are in the server's queue once its send() has returned.
    wait_for 'grep -q "\"call\":\"send\"" "$work/client2.jsonl" 2>/dev/null' ||
      die "the second client did not send"
    exec 7>&-
    wait "$server_pid" || die "the server failed: $(cat "$work/server.err")"
    wait "$client2_pid" || true # it fails, with ECONNRESET: that is the point
    ;;
  time-wait)
    # The client's input stays open until the server has closed: the server closes first.
    mkfifo "$work/fifo"
    client client "$work/fifo"
    client_pid=$!
    exec 7>"$work/fifo"
    wait "$server_pid" || die "the server failed: $(cat "$work/server.err")"
    exec 7>&-
    wait "$client_pid" || die "the client failed: $(cat "$work/client.err")"
    ss -tan state time-wait "( sport = :$port or dport = :$port )" >"$work/ss.txt"
    ;;
  udp)
    printf 'bonjour\nça va ?\n' >"$work/input"
    client client1 "$work/input" --udp
    wait "$!" || die "the client failed: $(cat "$work/client1.err")"
    kill -INT "$server_pid"
    wait "$server_pid" || die "the server failed: $(cat "$work/server.err")"
    # Nobody binds the port now: the connected client hears ECONNREFUSED, and fails.
    printf 'bonjour\n' >"$work/input2"
    client client2 "$work/input2" --udp --connect --timeout 1
    wait "$!" && die "the client to the closed port did not fail"
    grep -q '"errno":"ECONNREFUSED"' "$work/client2.jsonl" ||
      die "the client to the closed port did not hear ECONNREFUSED: $(cat "$work/client2.err")"
    ;;
esac

pcap=()
if [ -n "$captured" ]; then
  # Stop once the last segment is written (-U writes each as it comes): the RST, or the ACK
  # of the second FIN.
  wire() { tcpdump -n -r "$work/wire.pcap" 2>/dev/null; }
  case "$scenario" in
    rst) wait_for 'wire | grep -q "Flags \[R"' || true ;;
    udp) wait_for 'wire | grep -q "unreachable"' || true ;;
    *) wait_for '[ "$(wire | grep -c "Flags \[F")" -ge 2 ] && wire | tail -n 1 | grep -q "Flags \[\.\]"' || true ;;
  esac
  kill -INT "$tcpdump_pid" 2>/dev/null || true
  wait "$tcpdump_pid" 2>/dev/null || true
  pcap=(--pcap "$work/wire.pcap")
fi

records=("$work/server.jsonl")
for record in "$work"/client*.jsonl; do records+=("$record"); done
events=()
for record in "${records[@]}"; do events+=(--events "$record"); done
mkdir -p "$(dirname "$out")"
"$SOCKSTEP" diagram "${events[@]}" "${pcap[@]}" -o "$out"
"$SOCKSTEP" diagram "${events[@]}" "${pcap[@]}" --format mermaid -o "${out%.svg}.mmd"
if [ "$scenario" = time-wait ]; then
  # Between mdbook's anchors, for the book to quote.
  {
    echo "ANCHOR: ss"
    sed "s/:$port\b/:PORT/g; s/ *$//" "$work/ss.txt"
    echo "ANCHOR_END: ss"
  } >"${out%.svg}.ss.txt"
  echo "diagram.sh: in TIME_WAIT after the run (ss -tan state time-wait):" >&2
  cat "$work/ss.txt" >&2
fi
if [ -n "$keep" ]; then
  mkdir -p "$keep"
  cp "${records[@]}" "$keep"/
  [ -z "$captured" ] || cp "$work/wire.pcap" "$keep/$scenario.pcap"
fi
echo "diagram.sh: $out ($([ -n "$captured" ] && echo captured || echo inferred, not captured))" >&2
