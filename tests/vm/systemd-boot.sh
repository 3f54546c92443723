#!/usr/bin/env bash
# keymapd's second test-bed boot: a minimal Debian with real systemd as PID 1 (QEMU, TCG,
# the test bed's Debian kernel), with keymapd installed by packaging/install-debian.sh exactly
# as packaging/README.md says. Checks the hardened service there: it runs as the unprivileged
# user in its sandbox and still opens the keyboards and /dev/uinput, remaps, follows hotplug,
# applies `systemctl reload`, and leaves no key held on `systemctl stop`.
#
#   tests/vm/systemd-boot.sh [PATTERN]   (run the service scenarios whose name contains PATTERN)
#
# Needs root (debootstrap, a root-owned tree for the initramfs). The Debian tree is made once
# by `debootstrap --variant=minbase` and cached as a tarball next to the kernel.
#
# Environment (as tests/vm/run.sh):
#   KEYMAPD_VM_CACHE     cache (kernel, modules, Debian tree)   default: $HOME/.cache/keymapd-vm
#   KEYMAPD_VM_TIMEOUT   seconds for the VM                      default: 420
#   KEYMAPD_VM_PROFILE   release | debug                         default: release
#   KEYMAPD_VM_SMP, KEYMAPD_VM_MEM (MiB, default 2048), KEYMAPD_VM_APPEND, KEYMAPD_VM_NO_BUILD=1
#   KEYMAPD_VM_MIRROR    Debian mirror for debootstrap           default: debootstrap's
#   KEYMAPD_VM_UNIT_DROPIN  lines for a drop-in of keymapd.service in the VM, to try a sandbox
#                        setting, e.g. $'[Service]\nPrivateUsers=yes' (see packaging/README.md)
#
# Prints PASS/FAIL per check and closes with `systemd-vm: N passed, M failed`; exit 1 on any
# failure, including a VM that does not boot.
set -euo pipefail

case "${1:-}" in -h | --help)
	sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
PATTERN="${1:-}"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${KEYMAPD_VM_CACHE:-$HOME/.cache/keymapd-vm}"
TIMEOUT="${KEYMAPD_VM_TIMEOUT:-420}"
PROFILE="${KEYMAPD_VM_PROFILE:-release}"
SMP="${KEYMAPD_VM_SMP:-2}"
MEM="${KEYMAPD_VM_MEM:-2048}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET_DIR/vm-systemd"
LOG="$OUT/console.log"
SUITE="bookworm"
TREE_TAR="$CACHE/debian-$SUITE-systemd-minbase.tar.gz"
VMTEST="$HERE/systemd"

# The test bed's kernel fetching and caching, tools, logging and console follower.
# shellcheck source=tests/vm/lib/common.sh
. "$HERE/lib/common.sh"

# Our own closing line (same shape as the test bed's, named for this boot).
fail_run() {
	local reason="$1" passed="${2:-0}" failed="${3:-0}"
	if [ -s "${LOG:-/dev/null}" ]; then
		echo "---- last 80 lines of ${LOG#"$ROOT"/} ----"
		tail -n 80 "$LOG" | tr -d '\r'
		echo "----"
	fi
	echo "systemd-vm: FAILED: $reason"
	echo "systemd-vm: $passed passed, $((failed + 1)) failed"
	exit 1
}
log() { echo "systemd-vm: $*" >&2; }

mkdir -p "$OUT" "$CACHE"
: >"$LOG"

[ "$(id -u)" = 0 ] || fail_run "needs root (debootstrap and a root-owned tree for the VM)"
ensure_tools
# libinput's quirks tool, copied into the VM to check that a clone gets the quirks of its original.
QUIRKS_TOOL=/usr/libexec/libinput/libinput-quirks
if [ ! -x "$QUIRKS_TOOL" ]; then
	log "installing libinput-tools (for libinput-quirks)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libinput-tools >>"$OUT/apt.log" 2>&1 ||
		{ apt-get update >>"$OUT/apt.log" 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libinput-tools >>"$OUT/apt.log" 2>&1; } ||
		fail_run "apt-get install libinput-tools failed (see ${OUT#"$ROOT"/}/apt.log)"
fi
if ! have debootstrap || ! have depmod; then
	log "installing debootstrap kmod"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap kmod >"$OUT/apt.log" 2>&1 ||
		{ apt-get update >>"$OUT/apt.log" 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap kmod >>"$OUT/apt.log" 2>&1; } ||
		fail_run "apt-get install debootstrap kmod failed (see ${OUT#"$ROOT"/}/apt.log)"
fi

# ---------------------------------------------------------------- kernel and modules
fetch_kernel # VMLINUZ (from the cached linux-image .deb), MOD_EVDEV, MOD_UINPUT
KDEB="$(dirname "$VMLINUZ").deb"
[ -f "$KDEB" ] || fail_run "kernel package $KDEB went missing from the cache"
MODS="$(dirname "$VMLINUZ")/systemd-modules"
if [ ! -f "$MODS/.complete" ]; then
	log "extracting input modules from $(basename "$KDEB") for depmod"
	rm -rf "$MODS" && mkdir -p "$MODS"
	dpkg-deb --fsys-tarfile "$KDEB" |
		tar -x -C "$MODS" --wildcards \
			'./lib/modules/*/kernel/drivers/input/evdev.ko*' \
			'./lib/modules/*/kernel/drivers/input/misc/uinput.ko*' \
			'./lib/modules/*/modules.builtin*' './lib/modules/*/modules.order' ||
		fail_run "cannot extract modules from $KDEB"
	KVER="$(basename "$(find "$MODS/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)")"
	[ -n "$KVER" ] || fail_run "no lib/modules/<version> in $KDEB"
	depmod -b "$MODS" "$KVER" || fail_run "depmod -b $MODS $KVER failed"
	touch "$MODS/.complete"
fi
KVER="$(basename "$(find "$MODS/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)")"

# ---------------------------------------------------------------- Debian tree (cached)
if [ ! -s "$TREE_TAR" ]; then
	log "debootstrap --variant=minbase $SUITE (once; cached as ${TREE_TAR#"$HOME"/})"
	ds="$(mktemp -d "${TMPDIR:-/tmp}/keymapd-debootstrap.XXXXXX")"
	# procps: the unit's ExecReload runs kill, as on any Debian that has it (priority important).
	if ! debootstrap --variant=minbase --include=systemd,systemd-sysv,udev,kmod,procps \
		"$SUITE" "$ds/root" ${KEYMAPD_VM_MIRROR:+"$KEYMAPD_VM_MIRROR"} >"$OUT/debootstrap.log" 2>&1; then
		rm -rf "$ds"
		fail_run "debootstrap failed: $(tail -n 3 "$OUT/debootstrap.log" | tr '\n' ' ')"
	fi
	# What a VM that only boots once has no use for.
	rm -rf "$ds/root"/usr/share/{doc,man,info,locale} "$ds/root"/var/cache/apt/* "$ds/root"/var/lib/apt/lists/*
	tar -C "$ds/root" -czf "$TREE_TAR.part" . && mv "$TREE_TAR.part" "$TREE_TAR"
	rm -rf "$ds"
fi

# ---------------------------------------------------------------- binaries
if [ "${KEYMAPD_VM_NO_BUILD:-0}" != 1 ]; then
	log "building keymapd and keymapd-testbed ($PROFILE)"
	build_args=(build -p keymapd -p keymapd-testbed)
	case "$PROFILE" in
	release) build_args+=(--release) ;;
	debug | dev) PROFILE=debug ;;
	*) build_args+=(--profile "$PROFILE") ;;
	esac
	(cd "$ROOT" && cargo "${build_args[@]}") || fail_run "cargo ${build_args[*]} failed"
fi
BIN_DIR="$TARGET_DIR/$PROFILE"
for b in keymapd keymapd-testbed; do
	[ -x "$BIN_DIR/$b" ] || fail_run "$BIN_DIR/$b is missing"
done

# ---------------------------------------------------------------- the VM's root
WORK="$(mktemp -d "${TMPDIR:-/tmp}/keymapd-systemd-vm.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
TREE="$WORK/root"
mkdir -p "$TREE"
tar -C "$TREE" -xzf "$TREE_TAR" || fail_run "cannot unpack $TREE_TAR"
cp -a "$MODS/lib/modules" "$TREE/usr/lib/"

# keymapd, installed the way packaging/README.md says (minus building it).
"$ROOT/packaging/install-debian.sh" --root "$TREE" --no-build --binary "$BIN_DIR/keymapd" >"$OUT/install.log" 2>&1 ||
	fail_run "packaging/install-debian.sh --root failed: $(tail -n 5 "$OUT/install.log" | tr '\n' ' ')"

# What install-debian.sh reads, for running it live inside the VM too (idempotence, uninstall).
mkdir -p "$TREE/opt/keymapd-src"
cp -r "$ROOT/packaging" "$ROOT/udev-rules" "$ROOT/profiles" "$ROOT/docs" "$TREE/opt/keymapd-src/"
install -m 0755 "$BIN_DIR/keymapd" "$BIN_DIR/keymapd-daemon" "$BIN_DIR/keymapd-session" "$TREE/opt/keymapd-src/"

# The test runner: keymapd-testbed, the service scenarios, and a oneshot unit that runs them
# once the system is up, then powers off.
install -m 0755 "$BIN_DIR/keymapd-testbed" "$TREE/usr/local/bin/keymapd-testbed"
install -m 0755 "$VMTEST/vmtest.sh" "$TREE/usr/local/bin/keymapd-vmtest"
mkdir -p "$TREE/usr/local/share/keymapd-vmtest/scenarios"
n=0
for s in "$VMTEST"/scenarios/*.scn; do
	case "$(basename "$s")" in *"$PATTERN"*) cp "$s" "$TREE/usr/local/share/keymapd-vmtest/scenarios/"; n=$((n + 1)) ;; esac
done
# The installed example profile, for scenarios that edit /etc/keymapd and put it back.
cp "$ROOT/profiles/usb-keyboard.toml" "$TREE/usr/local/share/keymapd-vmtest/"
# After the live uninstall and reinstall: the first scenario once more, under its own name.
mkdir -p "$TREE/usr/local/share/keymapd-vmtest/after-reinstall"
sed '1i # (70-service-remap again, after install-debian.sh --uninstall and a live install.)' \
	"$VMTEST/scenarios/70-service-remap.scn" >"$TREE/usr/local/share/keymapd-vmtest/after-reinstall/80-reinstalled-service-remap.scn"
[ "$n" -gt 0 ] || fail_run "no scenario in ${VMTEST#"$ROOT"/}/scenarios matches '$PATTERN'"
install -m 0644 "$VMTEST/keymapd-vmtest.service" "$TREE/etc/systemd/system/keymapd-vmtest.service"
systemctl --root="$TREE" enable keymapd-vmtest.service >/dev/null 2>&1 || fail_run "cannot enable keymapd-vmtest.service"
# Only the serial console's output matters; nothing logs in; no timers fire.
systemctl --root="$TREE" mask serial-getty@ttyS0.service getty@tty1.service console-getty.service \
	apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer >/dev/null 2>&1 || true
INITRD_ROOT="$TREE" copy_with_libs "$QUIRKS_TOOL" /usr/local/libexec/libinput-quirks
# And libinput itself, to show what it makes of the clones (73-libinput-lid).
INITRD_ROOT="$TREE" copy_with_libs "${QUIRKS_TOOL%/*}/libinput-debug-events" /usr/local/libexec/libinput-debug-events
mkdir -p "$TREE/usr/share/libinput"
for q in /usr/share/libinput/*.quirks; do
	[ -e "$TREE$q" ] || cp "$q" "$TREE$q"
done
if [ -n "${KEYMAPD_VM_UNIT_DROPIN:-}" ]; then
	mkdir -p "$TREE/etc/systemd/system/keymapd.service.d"
	printf '%s\n' "$KEYMAPD_VM_UNIT_DROPIN" >"$TREE/etc/systemd/system/keymapd.service.d/90-testbed.conf"
	log "keymapd.service drop-in: $(printf '%s' "$KEYMAPD_VM_UNIT_DROPIN" | tr '\n' ' ')"
fi
echo keymapd-vm >"$TREE/etc/hostname"
# A fixed machine id: not a first boot (no presets applied over the enabled units).
echo 6b65796d617064766d0000000000cafe >"$TREE/etc/machine-id"
: >"$TREE/etc/fstab"

(cd "$TREE" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$OUT/initramfs.cpio.gz" ||
	fail_run "cannot pack the initramfs"
rm -rf "$WORK"
trap - EXIT

# ---------------------------------------------------------------- boot
append="console=ttyS0 rdinit=/sbin/init quiet loglevel=3 panic=-1 systemd.show_status=error ${KEYMAPD_VM_APPEND:-}"
log "booting $(basename "$VMLINUZ") ($KVER) with systemd, $n scenario(s), timeout ${TIMEOUT} s (console: ${LOG#"$ROOT"/})"
started=$(date +%s)
set +e
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
	-accel tcg -machine q35 -cpu max -m "$MEM" -smp "$SMP" \
	-nographic -no-reboot -nic none \
	-kernel "$VMLINUZ" -initrd "$OUT/initramfs.cpio.gz" \
	-append "$append" </dev/null 2>&1 |
	tr -d '\r' | tee "$LOG" | follow_console
rc=${PIPESTATUS[0]}
set -e
log "VM ran $(($(date +%s) - started)) s"

passed=$(grep -c '@@KEYMAPD-SCENARIO [^ ]* PASS' "$LOG" || true)
failed=$(grep -c '@@KEYMAPD-SCENARIO [^ ]* FAIL' "$LOG" || true)
began=$(grep -c '@@KEYMAPD-BEGIN ' "$LOG" || true)
if [ "$began" -gt $((passed + failed)) ]; then
	echo "FAIL $(grep -o '@@KEYMAPD-BEGIN .*' "$LOG" | tail -n 1 | cut -d' ' -f2): no verdict (the VM stopped while it ran)"
	failed=$((failed + 1))
fi
grep -q 'Kernel panic' "$LOG" && fail_run "kernel panic: $(grep -o 'Kernel panic.*' "$LOG" | head -n 1)" "$passed" "$failed"
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	fail_run "no @@KEYMAPD-DONE marker within $TIMEOUT s (did systemd boot? see the console above)" "$passed" "$failed"
fi
grep -q '@@KEYMAPD-DONE' "$LOG" || fail_run "no @@KEYMAPD-DONE marker (qemu exited with status $rc)" "$passed" "$failed"
[ $((passed + failed)) -gt 0 ] || fail_run "no check ran" 0 0
[ "$rc" = 0 ] || fail_run "qemu exited with status $rc" "$passed" "$failed"
echo "systemd-vm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
