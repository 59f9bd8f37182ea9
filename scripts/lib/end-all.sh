# Sourced by the scripts that start servers, clients, strace and tcpdump: whatever fails, every
# process they started ends. The script keeps the pids it starts in the array `pids` and its
# scratch folder in `work`; `end_all` is its EXIT trap.
#
# A plain kill of strace is not enough: strace takes SIGTERM as "detach", and its tracee (the
# server) would go on running. So each process's children (strace's tracee) get SIGTERM first,
# then the process itself; what is still alive two seconds later gets SIGKILL.
end_all() {
  local all=() pid child
  for pid in "${pids[@]}"; do
    for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do all+=("$child"); done
    all+=("$pid")
  done
  for pid in "${all[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 40); do
    local alive=0
    for pid in "${all[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.05
  done
  for pid in "${all[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
