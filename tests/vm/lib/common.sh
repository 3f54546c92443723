# shellcheck shell=bash
# Functions for tests/vm/run.sh (sourced; uses its variables). Also sourced by
# tests/vm/systemd-boot.sh and tests/vm/bench.sh: keep these names and what they
# do stable — log, fail_run, have, ensure_tools, fetch_kernel (sets VMLINUZ,
# MOD_EVDEV, MOD_UINPUT), copy_with_libs SRC DST (into $INITRD_ROOT),
# build_initramfs OUT (uses BIN_DIR, SCN_DIR, SELECTED), follow_console.

log() { echo "vm: $*" >&2; }

# Prints the console tail, the reason and the closing line, then exits 1.
# The run itself failing counts as one failure in the closing line.
fail_run() {
	local reason="$1" passed="${2:-0}" failed="${3:-0}"
	if [ -s "${LOG:-/dev/null}" ]; then
		echo "---- last 80 lines of $(shown_log) ----"
		tail -n 80 "$LOG" | tr -d '\r'
		echo "----"
	fi
	echo "vm: FAILED: $reason"
	echo "vm: $passed passed, $((failed + 1)) failed"
	exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

# Where the console log is kept for people to read (run.sh works on a
# private copy so that concurrent runs in one checkout do not mix).
shown_log() {
	local l="${LOG_SHOWN:-${LOG:-}}"
	echo "${l#"$ROOT"/}"
}

udevadm_path() {
	local p
	for p in /usr/bin/udevadm /bin/udevadm /sbin/udevadm /usr/sbin/udevadm; do
		[ -x "$p" ] && {
			echo "$p"
			return 0
		}
	done
	return 1
}

busybox_static() {
	local p
	for p in /bin/busybox /usr/bin/busybox; do
		if [ -x "$p" ] && ! ldd "$p" >/dev/null 2>&1; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

missing_tools() {
	local m=()
	have qemu-system-x86_64 || m+=(qemu-system-x86)
	busybox_static >/dev/null || m+=(busybox-static)
	have cpio || m+=(cpio)
	udevadm_path >/dev/null || m+=(udev)
	have xz || m+=(xz-utils)
	have gzip || m+=(gzip)
	have timeout || m+=(coreutils)
	echo "${m[*]}"
}

# Installs Debian packages (as root, with apt-get; `apt-get update` only if the
# install fails), or fails the run naming them.
install_packages() {
	local pkgs="$*"
	if [ "$(id -u)" != 0 ] || ! have apt-get; then
		fail_run "missing tools (Debian packages: $pkgs); install them or run as root"
	fi
	log "installing $pkgs"
	# shellcheck disable=SC2086
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs >"$OUT/apt.log" 2>&1; then
		log "apt-get install failed; running apt-get update first"
		DEBIAN_FRONTEND=noninteractive apt-get update >>"$OUT/apt.log" 2>&1 || true
		# shellcheck disable=SC2086
		if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs >>"$OUT/apt.log" 2>&1; then
			fail_run "apt-get install $pkgs failed (see ${OUT#"$ROOT"/}/apt.log): $(tail -n 3 "$OUT/apt.log" | tr '\n' ' ')"
		fi
	fi
}

ensure_tools() {
	local missing
	missing="$(missing_tools)"
	[ -z "$missing" ] && return 0
	install_packages "$missing"
	missing="$(missing_tools)"
	[ -z "$missing" ] || fail_run "still missing after apt-get install: $missing"
}

# Decompresses a kernel module by its suffix (Debian ships .ko up to bookworm,
# .ko.xz from trixie on; other kernels use .zst or .gz) into DST, installing
# the decompressor first if it is missing.
unpack_module() {
	local src="$1" dst="$2" tool pkg
	case "$src" in
	*.xz) tool=xz pkg=xz-utils ;;
	*.zst) tool=zstd pkg=zstd ;;
	*.gz) tool=gzip pkg=gzip ;;
	*.ko) cp "$src" "$dst" || fail_run "cannot copy $src"; return 0 ;;
	*) fail_run "$(basename "$src"): unknown kernel module compression" ;;
	esac
	have "$tool" || install_packages "$pkg"
	have "$tool" || fail_run "still no $tool after installing $pkg"
	"$tool" -dc "$src" >"$dst" || fail_run "$tool -dc $(basename "$src") failed"
}

# Finds the kernel .deb in the cache, or downloads it once. Extracts vmlinuz
# and the evdev and uinput modules next to it (once). Sets VMLINUZ,
# MOD_EVDEV, MOD_UINPUT.
fetch_kernel() {
	local deb pkg dir
	deb="$(find "$CACHE" -maxdepth 1 -name 'linux-image-*-amd64_*.deb' ! -name '*-cloud-*' ! -name '*-rt-*' 2>/dev/null | sort -V | tail -n 1)"
	if [ -z "$deb" ]; then
		have apt-get || fail_run "no kernel in $CACHE and no apt-get to fetch one"
		pkg="$(kernel_package)"
		if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
			log "apt-get update (to find the kernel package)"
			apt-get update >"$OUT/apt.log" 2>&1 || true
			pkg="$(kernel_package)"
		fi
		[ -n "$pkg" ] || fail_run "cannot find the package that linux-image-amd64 depends on (apt-get update needed?)"
		log "downloading $pkg into $CACHE"
		(cd "$CACHE" && apt-get download "$pkg" >"$OUT/kernel-download.log" 2>&1) ||
			fail_run "apt-get download $pkg failed: $(tail -n 3 "$OUT/kernel-download.log" | tr '\n' ' ')"
		deb="$(find "$CACHE" -maxdepth 1 -name "${pkg}_*.deb" | sort -V | tail -n 1)"
		[ -n "$deb" ] || fail_run "apt-get download $pkg left no .deb in $CACHE"
	fi
	dir="${deb%.deb}"
	if [ ! -f "$dir/.complete" ]; then
		log "extracting $(basename "$deb")"
		rm -rf "$dir" && mkdir -p "$dir/x"
		dpkg-deb --fsys-tarfile "$deb" |
			tar -x -C "$dir/x" --wildcards './boot/vmlinuz-*' '*/kernel/drivers/input/evdev.ko*' '*/kernel/drivers/input/misc/uinput.ko*' ||
			fail_run "cannot extract the kernel and modules from $deb"
		local f m
		f="$(find "$dir/x/boot" -name 'vmlinuz-*' | head -n 1)"
		[ -n "$f" ] || fail_run "no /boot/vmlinuz-* in $deb"
		mv "$f" "$dir/vmlinuz"
		for m in evdev uinput; do
			f="$(find "$dir/x" -name "$m.ko*" | head -n 1)"
			[ -n "$f" ] || fail_run "no $m.ko in $deb (is it the cloud flavour?)"
			unpack_module "$f" "$dir/$m.ko"
		done
		rm -rf "$dir/x"
		touch "$dir/.complete"
	fi
	VMLINUZ="$dir/vmlinuz"
	MOD_EVDEV="$dir/evdev.ko"
	MOD_UINPUT="$dir/uinput.ko"
}

kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}

# Copies an executable and the shared libraries ldd names into $INITRD_ROOT.
copy_with_libs() {
	local src="$1" dst="$2" lib
	install -D -m 0755 "$src" "$INITRD_ROOT$dst"
	# Debug info only slows the boot down (symbols stay, for backtraces).
	if have strip; then strip --strip-debug "$INITRD_ROOT$dst" 2>/dev/null || true; fi
	while IFS= read -r lib; do
		[ -n "$lib" ] || continue
		[ -e "$INITRD_ROOT$lib" ] && continue
		mkdir -p "$INITRD_ROOT$(dirname "$lib")"
		cp -L "$lib" "$INITRD_ROOT$lib"
	done < <(ldd "$src" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p')
}

build_initramfs() {
	local out="$1" work rules r udevadm bb
	# Inside the run's private directory when there is one (removed on exit).
	work="$(mktemp -d "${RUN_DIR:-${TMPDIR:-/tmp}}/keymapd-vm.XXXXXX")"
	INITRD_ROOT="$work/root"
	mkdir -p "$INITRD_ROOT"/{bin,sbin,usr/bin,usr/sbin,lib/modules,lib64,etc/udev/rules.d,lib/udev/rules.d,lib/systemd,scenarios,profiles,proc,sys,dev,run,tmp,root}

	bb="$(busybox_static)"
	cp "$bb" "$INITRD_ROOT/bin/busybox"
	install -m 0755 "$HERE/lib/init.sh" "$INITRD_ROOT/init"

	copy_with_libs "$BIN_DIR/keymapd" /usr/bin/keymapd
	# `keymapd run` and `keymapd session` exec the daemon's and the agent's own programs,
	# installed beside keymapd.
	copy_with_libs "$BIN_DIR/keymapd-daemon" /usr/bin/keymapd-daemon
	copy_with_libs "$BIN_DIR/keymapd-session" /usr/bin/keymapd-session
	copy_with_libs "$BIN_DIR/keymapd-testbed" /usr/bin/keymapd-testbed
	udevadm="$(udevadm_path)"
	copy_with_libs "$udevadm" /usr/bin/udevadm
	ln -s /usr/bin/udevadm "$INITRD_ROOT/lib/systemd/systemd-udevd"

	# udev's stock rules for input devices, then the project's own.
	rules=/lib/udev/rules.d
	[ -d "$rules" ] || rules=/usr/lib/udev/rules.d
	for r in 50-udev-default 60-input-id 60-persistent-input 60-evdev 70-mouse 70-joystick 70-touchpad 80-drivers; do
		[ -f "$rules/$r.rules" ] && cp "$rules/$r.rules" "$INITRD_ROOT/lib/udev/rules.d/"
	done
	if [ -d "$ROOT/udev-rules" ]; then
		find "$ROOT/udev-rules" -maxdepth 1 -name '*.rules' -exec cp {} "$INITRD_ROOT/lib/udev/rules.d/" \;
	fi
	echo 'udev_log=err' >"$INITRD_ROOT/etc/udev/udev.conf"

	cp "$MOD_EVDEV" "$INITRD_ROOT/lib/modules/evdev.ko"
	cp "$MOD_UINPUT" "$INITRD_ROOT/lib/modules/uinput.ko"

	for s in "${SELECTED[@]}"; do
		cp "$SCN_DIR/$s" "$INITRD_ROOT/scenarios/"
	done
	if [ -d "$ROOT/profiles" ]; then
		cp -r "$ROOT/profiles/." "$INITRD_ROOT/profiles/"
	fi

	(cd "$INITRD_ROOT" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out"
	rm -rf "$work"
}

# Boots the VM, follows its console (one line per scenario as they finish),
# then decides the verdict from the console log.
boot_and_report() {
	local append started ended rc=0
	append="console=ttyS0 quiet loglevel=3 panic=-1 oops=panic ${KEYMAPD_VM_APPEND:-}"
	# Kernel arguments with `=` and no dot reach /init (and the driver) as environment.
	[ "${KEYMAPD_VM_TRACE:-0}" = 0 ] || append="$append KEYMAPD_TESTBED_TRACE=1"
	started=$(date +%s.%N)
	set +e
	timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
		-accel tcg -machine q35 -cpu max -m "$MEM" -smp "$SMP" \
		-nographic -no-reboot -nic none \
		-kernel "$VMLINUZ" -initrd "${INITRD:-$OUT/initramfs.cpio.gz}" \
		-append "$append" </dev/null 2>&1 |
		sed -u -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[c78]//g' | tee "$LOG" | follow_console
	rc=${PIPESTATUS[0]}
	set -e
	ended=$(date +%s.%N)

	local passed failed done_line boot_s
	passed=$(grep -c '@@KEYMAPD-SCENARIO [^ ]* PASS' "$LOG" || true)
	failed=$(grep -c '@@KEYMAPD-SCENARIO [^ ]* FAIL' "$LOG" || true)
	done_line=$(grep -o '@@KEYMAPD-DONE.*' "$LOG" | tail -n 1 || true)
	boot_s=$(sed -n 's/.*@@KEYMAPD-INIT udev ready; uptime \([0-9.]*\) s.*/\1/p' "$LOG" | head -n 1)
	log "$(awk -v a="$started" -v b="$ended" -v u="${boot_s:-?}" 'BEGIN { printf "VM ran %.1f s (udev ready at %s s of uptime)", b - a, u }')"

	# A scenario that began but never reported (hang, crash) counts as failed.
	local began last_began
	began=$(grep -c '@@KEYMAPD-BEGIN ' "$LOG" || true)
	if [ "$began" -gt $((passed + failed)) ]; then
		last_began=$(grep -o '@@KEYMAPD-BEGIN .*' "$LOG" | tail -n 1 | cut -d' ' -f2)
		echo "FAIL $last_began: no verdict (the driver or the VM stopped while it ran)"
		failed=$((failed + 1))
	fi

	if grep -q 'Kernel panic' "$LOG"; then
		fail_run "kernel panic: $(grep -o 'Kernel panic.*' "$LOG" | head -n 1)" "$passed" "$failed"
	fi
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		fail_run "no @@KEYMAPD-DONE marker (timeout after $TIMEOUT s)" "$passed" "$failed"
	fi
	if grep -q '@@KEYMAPD-ERROR' "$LOG"; then
		fail_run "$(grep -o '@@KEYMAPD-ERROR.*' "$LOG" | head -n 1 | cut -d' ' -f2-)" "$passed" "$failed"
	fi
	if [ -z "$done_line" ]; then
		local driver_rc
		driver_rc=$(sed -n 's/.*@@KEYMAPD-INIT keymapd-testbed exited with \([0-9]*\);.*/\1/p' "$LOG" | head -n 1)
		if [ -n "$driver_rc" ]; then
			fail_run "no @@KEYMAPD-DONE marker (keymapd-testbed died with status $driver_rc)" "$passed" "$failed"
		fi
		fail_run "no @@KEYMAPD-DONE marker (qemu exited with status $rc)" "$passed" "$failed"
	fi
	if [ $((passed + failed)) -eq 0 ]; then
		fail_run "no scenario ran" 0 0
	fi
	if [ "$rc" != 0 ]; then
		fail_run "qemu exited with status $rc" "$passed" "$failed"
	fi
	echo "vm: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# Reads the console on stdin; prints PASS/FAIL lines (with the failure's
# details) as scenarios finish.
follow_console() {
	local line rest name verdict reason block=()
	while IFS= read -r line; do
		case "$line" in
		*@@KEYMAPD-BEGIN\ *)
			block=()
			;;
		*@@KEYMAPD-SCENARIO\ *)
			rest="${line#*@@KEYMAPD-SCENARIO }"
			name="${rest%% *}"
			rest="${rest#"$name"}"
			rest="${rest# }"
			verdict="${rest%% *}"
			reason="${rest#"$verdict"}"
			reason="${reason# }"
			if [ "$verdict" = PASS ]; then
				echo "PASS $name"
			else
				echo "FAIL $name: $reason"
				local n=${#block[@]} from=0
				[ "$n" -gt 60 ] && from=$((n - 60))
				[ "$n" -gt 0 ] && printf '    %s\n' "${block[@]:$from}"
			fi
			block=()
			;;
		*@@KEYMAPD-INIT* | *@@KEYMAPD-TIME* | *@@KEYMAPD-DONE*) ;;
		*)
			block+=("$line")
			[ "${#block[@]}" -gt 200 ] && block=("${block[@]: -100}")
			;;
		esac
	done
}
