#!/usr/bin/env bash
# The packets on the wire, beside the calls that caused them: tcpdump on the loopback device
# during one dialogue, merged with strace's timestamps of the server's and the clients' calls.
#
#   scripts/capture.sh [--scenario dialogue|rst|queued|big] [--nagle] [--model M] [--out FILE]
#
# dialogue (default): one client sends `bonjour`, gets `BONJOUR`, and ends its input. The
#   timeline shows the handshake (SYN, SYN-ACK, ACK) inside connect() and before accept()
#   returns, a data segment (P for PSH) after each sendto(), the client's FIN after
#   shutdown(SHUT_WR) and the server's after its close().
# rst: a close that leaves unread bytes. A client (a few lines of Perl, as sockstep's own client
#   always reads its replies) sends `salut`, lets the server's `SALUT` arrive in its receive
#   buffer, and close()s its socket without reading it: its kernel sends RST instead of FIN
#   (RFC 2525, section 2.17; RFC 9293, section 3.6.1), and the server's next recv() fails with
#   ECONNRESET. The dialogue scenario is the contrast: nothing unread, FIN.
# queued: a listening socket closed with a connection still in its queue. The iterative server
#   with --once serves a first client while a second one (Perl again) connects and sends
#   nothing: queued, its handshake done by the kernel, never accepted. When the first client
#   leaves, the server closes its listening socket, and the kernel resets the queued
#   connection (RST) although it holds no unread byte: the second client's read() fails with
#   ECONNRESET.
# big: a client sends three messages of 4096 bytes, each in one write(), and reads each reply
#   whole before the next (bash's /dev/tcp, so that no course client splits them). The server
#   reads 1024 bytes at a time and sends four replies per message: with TCP_NODELAY (the
#   default) each leaves at once. With --nagle (the server leaves Nagle's algorithm on), the
#   second reply waits in the send buffer until the client's TCP acknowledges the first, and
#   the client delays that ACK by 40 ms: the stall, on the wire.
#
# Needs tcpdump (capturing needs root or CAP_NET_RAW) and strace, and perl (perl-base, on every
# Debian or Ubuntu system) for rst and queued; it installs nothing, and says which package to
# install when one is missing. Loopback only, on free ports.
set -euo pipefail

die() {
  echo "capture.sh: $*" >&2
  exit 1
}

scenario=dialogue
model=iterative
out=
nagle=()
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) scenario=${2:?--scenario needs dialogue, rst, queued or big}; shift 2 ;;
    --model) model=${2:?--model needs a value}; shift 2 ;;
    --out) out=${2:?--out needs a file}; shift 2 ;;
    --nagle) nagle=(--nagle); shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
case "$scenario" in dialogue|rst|queued|big) ;; *) die "unknown scenario $scenario (dialogue, rst, queued or big)" ;; esac
[ "$scenario" = dialogue ] || [ "$model" = iterative ] ||
  die "the $scenario scenario is written for the iterative model (--model is for dialogue)"

tools=(tcpdump strace)
case "$scenario" in rst|queued) tools+=(perl) ;; esac
for tool in "${tools[@]}"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "capture.sh: $tool is not installed. Install it with:" >&2
    echo "apt-get install ${tool/perl/perl-base}" >&2
    exit 1
  fi
done

# The binary, the scratch folder, the pids and their EXIT trap, wait_for (lib/run.sh).
# shellcheck source=lib/run.sh
source "$(dirname "$0")/lib/run.sh"

CALLS='trace=socket,listen,accept,accept4,connect,sendto,recvfrom,read,write,shutdown,close'

# The server, under strace: -ttt (seconds since 1970, like tcpdump -tt) and -T (time spent in
# each call), on a free port.
strace -f -ttt -T -o "$work/server.strace" -e "$CALLS" \
  "$SOCKSTEP" server --model "$model" --bind 127.0.0.1 --port 0 --once --log quiet "${nagle[@]}" \
  >"$work/server.out" 2>"$work/server.err" &
pids+=($!)
server_pid=$!
wait_for 'grep -q "^listening on" "$work/server.out"' ||
  { cat "$work/server.err" >&2; die "the server did not start"; }
port=$(sed -n 's/^listening on [^ ]*:\([0-9]*\).*/\1/p' "$work/server.out")

# tcpdump on lo, for this port only; it says `listening on lo` once it captures, or exits.
tcpdump -i lo -n -tt -U --immediate-mode -l "tcp port $port" \
  >"$work/wire.txt" 2>"$work/tcpdump.err" &
pids+=($!)
tcpdump_pid=$!
if ! wait_for 'grep -q "listening on" "$work/tcpdump.err" || ! kill -0 $tcpdump_pid 2>/dev/null' ||
  ! grep -q "listening on" "$work/tcpdump.err"; then
  cat "$work/tcpdump.err" >&2
  grep -qi 'permi' "$work/tcpdump.err" && echo "capture.sh: capturing needs root (sudo) or CAP_NET_RAW" >&2
  die "tcpdump did not start"
fi

client() { # NAME INPUT: a traced client reading INPUT, in the background
  strace -ttt -T -o "$work/$1.strace" -e "$CALLS" \
    "$SOCKSTEP" client --port "$port" --log quiet <"$2" >"$work/$1.out" 2>"$work/$1.err" 7>&- &
  pids+=($!)
}

# A traced client in Perl, in the background: NAME, then Perl code that gets the port as
# $ARGV[0] and its socket in $s, connected; its input is the fifo. Perl makes the calls its
# code names (socket, connect, write, read, close), and nothing a client of the course would
# not: sockstep's own client always reads its replies, and always sends.
perl_client() { # NAME CODE
  strace -ttt -T -o "$work/$1.strace" -e "$CALLS" perl -e '
    use Socket;
    socket(our $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!\n";
    connect($s, pack_sockaddr_in($ARGV[0], inet_aton("127.0.0.1"))) or die "connect: $!\n";
    '"$2" "$port" <"$work/fifo" >"$work/$1.out" 2>"$work/$1.err" 7>&- &
  pids+=($!)
}

if [ "$scenario" = dialogue ]; then
  printf 'bonjour\n' >"$work/input"
  client client1 "$work/input"
  client1_pid=$!
  wait "$client1_pid" || die "the client failed: $(cat "$work/client1.err")"
  wait "$server_pid" || die "the server failed: $(cat "$work/server.err")"
  # The last segment is the client's ACK of the server's FIN.
  wait_for '[ "$(grep -c "Flags \[F" "$work/wire.txt")" -ge 2 ] &&
    tail -n 1 "$work/wire.txt" | grep -q "Flags \[\.\]"' || true
elif [ "$scenario" = big ]; then
  # Bash's own socket: printf writes each 4096-byte line in one write(), head reads the reply
  # whole. Not traced: the server's calls and the segments tell the story.
  SIZE=4096 PORT=$port bash -c '
    line=$(printf "%0$((SIZE - 1))d" 0)
    exec 3<>"/dev/tcp/127.0.0.1/$PORT"
    for _ in 1 2 3; do
      printf "%s\n" "$line" >&3
      head -c "$SIZE" <&3 >/dev/null
    done
    exec 3>&-' || die "the client failed"
  wait "$server_pid" || die "the server failed: $(cat "$work/server.err")"
  wait_for '[ "$(grep -c "Flags \[F" "$work/wire.txt")" -ge 2 ] &&
    tail -n 1 "$work/wire.txt" | grep -q "Flags \[\.\]"' || true
elif [ "$scenario" = rst ]; then
  # The client sends salut, then waits for a line on the fifo (fd 7 here) before it closes,
  # the reply unread.
  mkfifo "$work/fifo"
  perl_client client1 'syswrite($s, "salut\n") == 6 or die "write: $!\n"; <STDIN>; close($s);'
  client1_pid=$!
  exec 7>"$work/fifo"
  # The reply is in the client's receive buffer once its kernel has acknowledged it: the
  # second data segment, then an ACK.
  wait_for '[ "$(grep -c "Flags \[P" "$work/wire.txt")" -ge 2 ] &&
    tail -n 1 "$work/wire.txt" | grep -q "Flags \[\.\]"' || die "the reply did not arrive"
  printf '\n' >&7
  exec 7>&-
  wait "$client1_pid" || die "the client failed: $(cat "$work/client1.err")"
  wait "$server_pid" || die "the server failed: $(cat "$work/server.err")"
  wait_for 'grep -q "Flags \[R" "$work/wire.txt"' || true
else
  # The first client reads a fifo kept open here: it stays connected, served, until fd 7 closes.
  mkfifo "$work/fifo"
  client client1 "$work/fifo"
  exec 7>"$work/fifo"
  printf 'bonjour\n' >&7
  wait_for 'grep -q BONJOUR "$work/client1.out"' || die "the first client was not served"
  # The second client connects, sends nothing and waits in read(): queued, never accepted.
  # Its handshake is over when its ACK follows the second SYN-ACK.
  perl_client client2 'defined(sysread($s, my $reply, 1024)) or die "read: $!\n";'
  client2_pid=$!
  wait_for '[ "$(grep -c "Flags \[S\.\]" "$work/wire.txt")" -ge 2 ] &&
    tail -n 1 "$work/wire.txt" | grep -q "Flags \[\.\]"' || die "the second client did not connect"
  exec 7>&-
  wait "$server_pid" || die "the server failed: $(cat "$work/server.err")"
  wait "$client2_pid" || true # it fails, with ECONNRESET: that is the point
  wait_for 'grep -q "Flags \[R" "$work/wire.txt"' || true
fi
kill -INT "$tcpdump_pid" 2>/dev/null || true
wait "$tcpdump_pid" 2>/dev/null || true

# The timeline: every call (sending calls at their entry, marked `(enters; returns R after N
# us)`, receiving calls at their return, marked `(returns)`, as that is when the segment they
# wait for has come) and every segment, sorted by time.
{
  for trace in "$work"/*.strace; do
    who=$(basename "$trace" .strace)
    awk -v who="$who" '
      # strace -f starts lines with a pid; then the time; then the call.
      { if ($1 !~ /\./) { $1 = "" ; sub(/^ /, "") } }
      / socket\(/ { started = 1 }
      !started || /resumed>|unfinished/ { next }
      # The terminal (stdin, stdout, stderr) is not the socket story.
      / (read|write)\([012],/ { next }
      {
        t = $1; $1 = ""; sub(/^ /, "")
        spent = 0
        if (match($0, /<[0-9.]+>$/)) { spent = substr($0, RSTART + 1, RLENGTH - 2); $0 = substr($0, 1, RSTART - 1) }
        sub(/ +$/, ""); gsub(/ +=/, " =")
        call = $0; sub(/\(.*/, "", call)
        if (index($0, " = ") == 0) {
          printf "%.6f\t%s\t%s\n", t, who, $0   # +++ exited +++, --- SIGNAL ---
        } else if (call == "accept" || call == "accept4" || call == "recvfrom" || call == "read") {
          printf "%.6f\t%s\t%s   (returns)\n", t + spent, who, $0
        } else {
          # Placed at its entry, before the segments it causes: its result is not known yet
          # there, so it is said as what the call will return, and after how long.
          n = split($0, parts, " = "); ret = parts[n]
          entry = substr($0, 1, length($0) - length(ret) - 3)
          printf "%.6f\t%s\t%s   (enters; returns %s after %d us)\n", t, who, entry, ret, spent * 1000000
        }
      }' "$trace"
  done
  awk -v port="$port" '
    /Flags \[/ {
      split($3, src, "."); split($5, dst, "."); sub(/:$/, "", dst[5])
      flags = $0; sub(/.*Flags \[/, "", flags); sub(/\].*/, "", flags)
      name = ""
      if (flags ~ /S/ && flags ~ /\./) name = "SYN-ACK"
      else if (flags ~ /S/) name = "SYN"
      else if (flags ~ /R/) name = "RST"
      else if (flags ~ /F/) name = "FIN"
      else if (flags ~ /P/) name = "PSH (data)"
      else name = "ACK"
      len = $0; sub(/.*length /, "", len); sub(/[^0-9].*/, "", len)
      if (src[5] == port) { from = "server"; to = "client:" dst[5] } else { from = "client:" src[5]; to = "server" }
      printf "%s\twire\t%-14s %s -> %s  [%s] length %s\n", $1, name, from, to, flags, len
    }' "$work/wire.txt"
} | sort -n -k1,1 >"$work/timeline.tsv"

[ -s "$work/timeline.tsv" ] || die "nothing was captured"
start=$(head -n 1 "$work/timeline.tsv" | cut -f1)
timeline=$(awk -F '\t' -v start="$start" '{ printf "%10.3f ms  %-8s %s\n", ($1 - start) * 1000, $2, $3 }' "$work/timeline.tsv")
header="# scripts/capture.sh --scenario $scenario${nagle:+ --nagle} --model $model (server port $port)"
if [ -n "$out" ]; then
  printf '%s\n%s\n' "$header" "$timeline" >"$out"
  echo "capture.sh: timeline in $out" >&2
else
  printf '%s\n%s\n' "$header" "$timeline"
fi
