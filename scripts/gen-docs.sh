#!/usr/bin/env bash
# Regenerates everything in the book (docs/) and in tests/sequences/ that comes from the
# program: the layers chapter (`sockstep layers --markdown`, both languages), the backlog's
# `ss -tan` on the iterative page (docs/src/models/iterative.md) and the strace
# transcript of every server model and of the client, the event record's example lines
# (docs/src/events.md), the UDP page's runs (docs/src/udp.md), the runs of the IPv6, names and
# byte-order pages, the faults page's traces (docs/src/faults.md), a thread's creation with
# its narration (docs/src/strace/threads.md), and the traces of the course's C and Python
# programs (docs/src/course/). The prose around them is
# written by hand.
#
#   scripts/gen-docs.sh
#
# It runs the tests that check these files with SOCKSTEP_BLESS=1, which makes them write what the
# program does instead of comparing; so it needs strace, like those tests. Review the result with
# `git diff docs tests/sequences`: a change there is a change in what the program does.
set -euo pipefail
cd "$(dirname "$0")/.."
# One test at a time: several tests rewrite the same page (the client's transcript).
SOCKSTEP_BLESS=1 cargo test --quiet --test sequences --test book --test events --test udp --test names --test backlog --test fault_traces --test narration_strace --test examples -- --test-threads=1
git --no-pager diff --stat -- docs tests/sequences
