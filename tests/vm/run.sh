#!/usr/bin/env bash
# keymapd's real-kernel test bed: boots Debian's kernel in QEMU (TCG) with an
# initramfs holding keymapd, keymapd-testbed, busybox, udev and the scenarios
# of tests/vm/scenarios, runs them there and reports one line per scenario.
#
#   tests/vm/run.sh [PATTERN…]    run the scenarios whose file name contains a PATTERN
#                                 (all of them without one)
#
# Environment:
#   KEYMAPD_VM_SCENARIOS  scenario directory (default: tests/vm/scenarios)
#   KEYMAPD_VM_CACHE    kernel cache        (default: $HOME/.cache/keymapd-vm)
#   KEYMAPD_VM_TIMEOUT  seconds for the VM  (default: 300)
#   KEYMAPD_VM_PROFILE  release | debug     (default: release)
#   KEYMAPD_VM_SMP      virtual CPUs        (default: 2)
#   KEYMAPD_VM_MEM      memory in MiB       (default: 1024)
#   KEYMAPD_VM_APPEND   extra kernel command-line arguments
#   KEYMAPD_VM_TRACE=1  the driver prints every scenario line with its duration
#   KEYMAPD_VM_NO_BUILD=1  use the binaries already in target/ (no cargo build)
#
# Exit status: 0 when every selected scenario passed; 1 otherwise (including a
# VM that panicked, hung, or ran no scenario); 2 for bad usage.
set -euo pipefail

usage() {
	sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}
case "${1:-}" in -h | --help) usage ;; esac
PATTERNS=("$@")
[ $# -gt 0 ] || PATTERNS=("")

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${KEYMAPD_VM_CACHE:-$HOME/.cache/keymapd-vm}"
TIMEOUT="${KEYMAPD_VM_TIMEOUT:-300}"
PROFILE="${KEYMAPD_VM_PROFILE:-release}"
SMP="${KEYMAPD_VM_SMP:-2}"
MEM="${KEYMAPD_VM_MEM:-1024}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET_DIR/vm"
LOG_SHOWN="$OUT/console.log"

# shellcheck source=tests/vm/lib/common.sh
. "$HERE/lib/common.sh"

mkdir -p "$OUT" "$CACHE"
# Everything of this run lives in a private directory, so that runs in the same
# checkout at the same time do not mix their logs; the console log is copied to
# target/vm/console.log when the run ends (the last run to end wins).
RUN_DIR="$(mktemp -d "$OUT/run.XXXXXX")"
LOG="$RUN_DIR/console.log"
INITRD="$RUN_DIR/initramfs.cpio.gz"
: >"$LOG"
finish() {
	if [ -s "$LOG" ]; then
		cp "$LOG" "$OUT/.console.log.$$" && mv -f "$OUT/.console.log.$$" "$LOG_SHOWN"
	fi
	rm -rf "$RUN_DIR"
}
trap finish EXIT

# ---------------------------------------------------------------- scenarios
SCN_DIR="${KEYMAPD_VM_SCENARIOS:-$HERE/scenarios}"
[ -d "$SCN_DIR" ] || fail_run "no scenario directory $SCN_DIR"
SCN_DIR="$(cd "$SCN_DIR" && pwd)"
SELECTED=()
grep_args=()
for p in "${PATTERNS[@]}"; do grep_args+=(-e "$p"); done
if [ -d "$SCN_DIR" ]; then
	while IFS= read -r f; do
		SELECTED+=("$f")
	done < <(find "$SCN_DIR" -maxdepth 1 -type f -name '*.scn' -printf '%f\n' | sort | grep -F "${grep_args[@]}" || true)
fi
[ "${#SELECTED[@]}" -gt 0 ] || fail_run "no scenario in ${SCN_DIR#"$ROOT"/} matches '${PATTERNS[*]}'"
for p in "${PATTERNS[@]}"; do
	printf '%s\n' "${SELECTED[@]}" | grep -qF -- "$p" ||
		fail_run "no scenario in ${SCN_DIR#"$ROOT"/} matches '$p'"
done

# ---------------------------------------------------------------- tools
ensure_tools

# ---------------------------------------------------------------- kernel
fetch_kernel # sets VMLINUZ, MOD_EVDEV, MOD_UINPUT

# ---------------------------------------------------------------- binaries
if [ "${KEYMAPD_VM_NO_BUILD:-0}" != 1 ]; then
	log "building keymapd and keymapd-testbed ($PROFILE)"
	build_args=(build -p keymapd -p keymapd-testbed)
	case "$PROFILE" in
	release) build_args+=(--release) ;;
	debug | dev) PROFILE=debug ;;
	*) build_args+=(--profile "$PROFILE") ;;
	esac
	if ! (cd "$ROOT" && cargo "${build_args[@]}"); then
		fail_run "cargo ${build_args[*]} failed"
	fi
fi
BIN_DIR="$TARGET_DIR/$PROFILE"
for b in keymapd keymapd-testbed; do
	[ -x "$BIN_DIR/$b" ] || fail_run "$BIN_DIR/$b is missing"
done

# ---------------------------------------------------------------- initramfs
build_initramfs "$INITRD"

# ---------------------------------------------------------------- boot
log "booting $(basename "$VMLINUZ") with ${#SELECTED[@]} scenario(s), timeout ${TIMEOUT} s (console: $(shown_log))"
boot_and_report
