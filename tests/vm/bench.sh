#!/usr/bin/env bash
# keymapd's VM bench: boots the test bed's VM (same kernel, initramfs and /init as
# tests/vm/run.sh) once, and runs keymapd-latency there instead of the scenarios:
# end-to-end latency of keymapd against a blocking and an epoll pass-through floor
# (keymapd-floor), kanata and, when KEYD_BIN is set, keyd, all on the same swap
# profile, interleaved press by press, unloaded and under load; idle wake-ups;
# memory; a 10 kHz flood; 1, 4 and 16 keyboards; start-up and reload with 50
# profiles; callgrind's instructions per event. One line per measurement.
#
#   tests/vm/bench.sh [keymapd-latency options]     e.g. --presses 500 --flood-s 0
#
# Environment: those of tests/vm/run.sh (KEYMAPD_VM_CACHE, KEYMAPD_VM_SMP,
# KEYMAPD_VM_MEM, KEYMAPD_VM_NO_BUILD, KEYMAPD_VM_APPEND), and
#   KEYMAPD_VM_TIMEOUT  seconds for the VM (default: 1800)
#   KEYD_BIN            a keyd binary to measure too (never fetched or built here)
#   KEYMAPD_BENCH_KANATA=0  leave kanata out (otherwise it is built once with
#                       `cargo install kanata --version 1.11.0 --locked` into
#                       $KEYMAPD_VM_CACHE/kanata-1.11.0)
#
# The VM is emulated (TCG): absolute latencies are those of an emulated CPU, many
# times a real machine's. Compare keymapd with the floor (the ratio), not with
# a desktop. Exit status: 0 all targets met, 1 a target missed, 2 the bench
# could not run. The console is kept in target/vm/bench-console.log and the
# result lines in target/vm/bench-results.txt.
set -euo pipefail

case "${1:-}" in -h | --help)
	sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
esac

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${KEYMAPD_VM_CACHE:-$HOME/.cache/keymapd-vm}"
TIMEOUT="${KEYMAPD_VM_TIMEOUT:-1800}"
KANATA_VERSION=1.11.0
SMP="${KEYMAPD_VM_SMP:-2}"
MEM="${KEYMAPD_VM_MEM:-1024}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET_DIR/vm"
LOG="$OUT/bench-console.log"
RESULTS="$OUT/bench-results.txt"
PROFILE=release
BIN_DIR="$TARGET_DIR/$PROFILE"
SCN_DIR="$HERE/scenarios"
SELECTED=() # no scenarios: the bench replaces the driver's run

# The harness's functions: ensure_tools, fetch_kernel, build_initramfs, copy_with_libs.
# shellcheck source=tests/vm/lib/common.sh
. "$HERE/lib/common.sh"
# Its fail_run prints a scenario count; the bench has none.
fail_run() {
	if [ -s "${LOG:-/dev/null}" ]; then
		echo "---- last 60 lines of ${LOG#"$ROOT"/} ----"
		tail -n 60 "$LOG"
		echo "----"
	fi
	echo "bench: FAILED: $1"
	exit 2
}

mkdir -p "$OUT" "$CACHE"
: >"$LOG"
: >"$RESULTS"

ensure_tools
fetch_kernel

if [ "${KEYMAPD_VM_NO_BUILD:-0}" != 1 ]; then
	log "building keymapd, keymapd-testbed, keymapd-floor, keymapd-latency (release)"
	(cd "$ROOT" && cargo build --release -p keymapd -p keymapd-testbed -p keymapd-bench-floor -p keymapd-bench-latency) ||
		fail_run "cargo build failed"
fi
for b in keymapd keymapd-daemon keymapd-session keymapd-testbed keymapd-floor keymapd-latency; do
	[ -x "$BIN_DIR/$b" ] || fail_run "$BIN_DIR/$b is missing"
done

# kanata, the peer: built once from crates.io at a pinned version, cached like the kernel.
KANATA=""
if [ "${KEYMAPD_BENCH_KANATA:-1}" != 0 ]; then
	KANATA="$CACHE/kanata-$KANATA_VERSION/bin/kanata"
	if [ ! -x "$KANATA" ]; then
		log "building kanata $KANATA_VERSION (cargo install, once; cached in ${KANATA%/bin/kanata})"
		cargo install kanata --version "$KANATA_VERSION" --locked --root "$CACHE/kanata-$KANATA_VERSION" >"$OUT/kanata-install.log" 2>&1 ||
			fail_run "cargo install kanata --version $KANATA_VERSION failed: see $OUT/kanata-install.log"
	fi
fi
if [ -n "${KEYD_BIN:-}" ] && [ ! -x "$KEYD_BIN" ]; then
	fail_run "KEYD_BIN=$KEYD_BIN is not an executable"
fi
# valgrind (callgrind counts the daemon's instructions per event) and strace (syscalls per
# event), installed when missing.
want=""
have valgrind || want="$want valgrind"
have strace || want="$want strace"
# shellcheck disable=SC2086
[ -z "$want" ] || install_packages $want

# The test bed's initramfs, then a second archive over it (the kernel unpacks both in
# order): the bench binaries and an /init that runs the bench where the harness's runs
# the scenario driver.
build_initramfs "$OUT/bench-base.cpio.gz"
grep -q '^keymapd-testbed run /scenarios$' "$HERE/lib/init.sh" ||
	fail_run "tests/vm/lib/init.sh no longer runs 'keymapd-testbed run /scenarios' on a line of its own: update bench.sh"
overlay="$(mktemp -d "${TMPDIR:-/tmp}/keymapd-bench.XXXXXX")"
trap 'rm -rf "$overlay"' EXIT
INITRD_ROOT="$overlay"
copy_with_libs "$BIN_DIR/keymapd-floor" /usr/bin/keymapd-floor
copy_with_libs "$BIN_DIR/keymapd-latency" /usr/bin/keymapd-latency
# strace, if the host has it: the bench counts syscalls per event with it.
if have strace; then
	copy_with_libs "$(command -v strace)" /usr/bin/strace
fi
args=""
[ -z "$KANATA" ] || copy_with_libs "$KANATA" /usr/bin/kanata
if [ -n "${KEYD_BIN:-}" ]; then
	copy_with_libs "$KEYD_BIN" /usr/bin/keyd
	args="$args '--keyd' '/usr/bin/keyd'"
fi
# valgrind with callgrind only, where valgrind looks for its tools.
if have valgrind; then
	vglib=""
	for d in /usr/libexec/valgrind /usr/lib/x86_64-linux-gnu/valgrind /usr/lib/valgrind; do
		[ -x "$d/callgrind-amd64-linux" ] && vglib="$d" && break
	done
	if [ -n "$vglib" ]; then
		# Debian's /usr/bin/valgrind is a shell wrapper around valgrind.bin.
		vgbin="$(command -v valgrind)"
		[ -x "$vgbin.bin" ] && vgbin="$vgbin.bin"
		copy_with_libs "$vgbin" /usr/bin/valgrind
		# vgdb zeroes and dumps callgrind's counters around the typing.
		copy_with_libs "$(command -v vgdb)" /usr/bin/vgdb
		for f in callgrind-amd64-linux vgpreload_core-amd64-linux.so default.supp; do
			[ -e "$vglib/$f" ] && copy_with_libs "$vglib/$f" "$vglib/$f"
		done
	fi
fi
for a in "$@"; do
	args="$args '${a//\'/}'"
done
sed "s|^keymapd-testbed run /scenarios\$|keymapd-latency$args|" "$HERE/lib/init.sh" >"$overlay/init"
chmod 0755 "$overlay/init"
(cd "$overlay" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$OUT/bench-overlay.cpio.gz"
cat "$OUT/bench-base.cpio.gz" "$OUT/bench-overlay.cpio.gz" >"$OUT/bench-initramfs.cpio.gz"
rm -f "$OUT/bench-base.cpio.gz" "$OUT/bench-overlay.cpio.gz"

log "booting $(basename "$VMLINUZ") for the bench (TCG, $SMP cpus, ${MEM} MiB), timeout ${TIMEOUT} s (console: ${LOG#"$ROOT"/})"
host_cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "host: $host_cpu, $(nproc) cores, $(uname -r); VM: qemu TCG -cpu max, $SMP vCPUs, ${MEM} MiB" | tee -a "$RESULTS"
set +e
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
	-accel tcg -machine q35 -cpu max -m "$MEM" -smp "$SMP" \
	-nographic -no-reboot -nic none \
	-kernel "$VMLINUZ" -initrd "$OUT/bench-initramfs.cpio.gz" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 oops=panic ${KEYMAPD_VM_APPEND:-}" </dev/null 2>&1 |
	sed -u -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[c78]//g' | tee "$LOG" |
	sed -u -n 's/.*@@KEYMAPD-BENCH \(.*\)/\1/p' | tee -a "$RESULTS"
rc=${PIPESTATUS[0]}
set -e

if grep -q 'Kernel panic' "$LOG"; then
	fail_run "kernel panic: $(grep -o 'Kernel panic.*' "$LOG" | head -n 1)"
fi
if grep -q '@@KEYMAPD-ERROR' "$LOG"; then
	fail_run "$(grep -o '@@KEYMAPD-ERROR.*' "$LOG" | head -n 1 | cut -d' ' -f2-)"
fi
if grep -q '@@KEYMAPD-BENCH-ERROR' "$LOG"; then
	fail_run "$(grep -o '@@KEYMAPD-BENCH-ERROR.*' "$LOG" | head -n 1 | cut -d' ' -f2-)"
fi
case "$rc" in 124 | 137) fail_run "the bench did not finish within $TIMEOUT s" ;; esac
# callgrind's profiles of the daemon, kept as target/vm/callgrind.TAG.out; the functions
# that spend the most instructions per event, from callgrind_annotate.
{ sed -n 's/.*@@KEYMAPD-CALLGRIND \([^ ]*\) .*/\1/p' "$LOG" | sort -u || true; } | while IFS= read -r tag; do
	sed -n "s/.*@@KEYMAPD-CALLGRIND $tag //p" "$LOG" >"$OUT/callgrind.$tag.out"
	if have callgrind_annotate; then
		echo "callgrind $tag: the 15 functions with the most instructions (self), of target/vm/callgrind.$tag.out" | tee -a "$RESULTS"
		# The frames that were on the stack when the counters were zeroed (main, the event loop's
		# caller) come out with the whole total as their own: left out (99 % and more).
		callgrind_annotate --threshold=100 "$OUT/callgrind.$tag.out" 2>/dev/null |
			awk '/file:function/ { f = 1; getline; next }
				f && NF && !/below main/ && !/\((99\.|100\.)/ { print "  " $0; if (++n == 15) exit }' | tee -a "$RESULTS" || true
	fi
done
done_line="$(grep -o '@@KEYMAPD-BENCH-DONE.*' "$LOG" | tail -n 1 || true)"
[ -n "$done_line" ] || fail_run "no @@KEYMAPD-BENCH-DONE marker (qemu exited with status $rc)"
echo "bench: ${done_line#@@KEYMAPD-BENCH-DONE }" | tee -a "$RESULTS"
case "$done_line" in *PASS*) exit 0 ;; *) exit 1 ;; esac
