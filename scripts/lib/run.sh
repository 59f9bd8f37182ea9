# Sourced by the scripts that start sockstep servers and clients and wait for them (capture.sh,
# time-wait.sh, diagram.sh, inject.sh), after they define `die`. It finds the binary ($SOCKSTEP if
# set, as the tests set it, else a release build of this checkout), makes the scratch folder
# `work` and the pid list `pids`, and sets the EXIT trap: whatever fails, every process started
# here ends (lib/end-all.sh), once the writer of a fifo a scenario keeps on fd 7 is closed.
# `wait_for` waits (at most 10 s) until a shell condition holds.

if [ -z "${SOCKSTEP:-}" ]; then
  root=$(cd "$(dirname "$0")/.." && pwd)
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
  SOCKSTEP=$root/target/release/sockstep
fi
[ -x "$SOCKSTEP" ] || die "no sockstep binary at $SOCKSTEP"

work=$(mktemp -d)
pids=()
# shellcheck source=end-all.sh
source "$(dirname "$0")/lib/end-all.sh"
cleanup() {
  exec 7>&- 2>/dev/null || true
  end_all
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits (at most 10 s) until the shell condition "$1" holds.
wait_for() {
  for _ in $(seq 200); do
    if eval "$1"; then return 0; fi
    sleep 0.05
  done
  return 1
}
