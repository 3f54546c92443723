#!/usr/bin/env bash
# Every benchmark of BENCHMARKS.md, in one command: the engine's throughput (criterion),
# the zero-allocation test, and the VM bench (keymapd against a blocking floor, an epoll
# floor, kanata and, with KEYD_BIN, keyd: latency unloaded and under load, idle wake-ups,
# memory, flood, syscalls and CPU per event, 1/4/16 keyboards, start-up and reload with 50
# profiles, callgrind's instructions per event). Not part of tests/all.sh: benchmarks
# measure, they do not gate. The date, the commit and the load average are printed first
# and last: wall-clock figures mean little on a loaded machine.
#
#   tests/bench.sh            everything (about 25 minutes on a 2-core machine)
#   tests/bench.sh engine     the engine benches and the allocation test only
#   tests/bench.sh vm [ARGS]  the VM bench only (ARGS go to keymapd-latency)
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-all}"
[ $# -gt 0 ] && shift
rc=0
machine() {
	echo "=== $(date -u '+%Y-%m-%d %H:%M:%S UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores of $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), load average$(uptime | sed 's/.*load average//')"
}
machine
if [ "$what" = all ] || [ "$what" = engine ]; then
	echo "=== engine: cargo bench --bench engine"
	cargo bench --bench engine -- --noplot 2>&1 | grep -E '^engine/|time:|thrpt:' || rc=1
	echo "=== allocations: cargo test --release --test alloc"
	cargo test --release --test alloc 2>&1 | grep -E '^test |test result|skipped' || rc=1
fi
if [ "$what" = all ] || [ "$what" = vm ]; then
	echo "=== vm: tests/vm/bench.sh $*"
	tests/vm/bench.sh "$@" || rc=$?
fi
machine
exit "$rc"
