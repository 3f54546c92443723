#!/usr/bin/env bash
# Every benchmark of BENCHMARKS.md, in one command: the engine's throughput (criterion),
# the zero-allocation test, and the VM bench (latency against a floor, idle wake-ups, memory,
# startup, reload, flood). Not part of tests/all.sh: benchmarks measure, they do not gate.
#
#   tests/bench.sh            everything (about 10 minutes on a 2-core machine)
#   tests/bench.sh engine     the engine benches and the allocation test only
#   tests/bench.sh vm [ARGS]  the VM bench only (ARGS go to keymapd-latency)
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-all}"
[ $# -gt 0 ] && shift
rc=0
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
exit "$rc"
