#!/bin/bash
# Runs inside the systemd test-bed VM as keymapd-vmtest.service: checks the keymapd service
# that packaging/install-debian.sh installed, then runs the service scenarios with
# keymapd-testbed, and powers off. Reports with the test bed's markers (@@KEYMAPD-…).
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
SCENARIOS=/usr/local/share/keymapd-vmtest/scenarios
PASSED=0
FAILED=0

# check NAME COMMAND...: one verdict (NAME is one word); the command's output is shown when it
# fails, and its first lines when it passes.
check() {
	local name=$1 out
	shift
	echo "@@KEYMAPD-BEGIN $name"
	if out=$("$@" 2>&1); then
		PASSED=$((PASSED + 1))
		[ -n "$out" ] && printf '    %s\n' "$out" | head -n 5
		echo "@@KEYMAPD-SCENARIO $name PASS"
	else
		FAILED=$((FAILED + 1))
		printf '%s\n' "$out" | tail -n 40 | sed 's/^/    /'
		echo "@@KEYMAPD-SCENARIO $name FAIL $(printf '%s\n' "$out" | tail -n 1 | cut -c1-200)"
	fi
}

finish() {
	echo "@@KEYMAPD-DONE $PASSED $FAILED"
	sync
	systemctl poweroff --no-block --check-inhibitors=no 2>/dev/null  # falls back from D-Bus (none here)
	exit 0
}
trap finish EXIT

booted() {
	local state
	state=$(timeout 120 systemctl is-system-running --wait 2>&1)
	echo "system state: $state"
	case $state in
		running) ;;
		degraded) systemctl --failed --no-legend --plain | sed 's/^/failed unit: /' ;;
		*) return 1 ;;
	esac
	systemctl is-active --quiet multi-user.target
}

service_active() {

	for _ in $(seq 1 60); do
		systemctl is-active --quiet keymapd.service && break
		sleep 0.5
	done
	systemctl show keymapd.service -p ActiveState -p SubState -p Type -p MainPID -p NRestarts
	systemctl is-active --quiet keymapd.service || { journalctl -u keymapd --no-pager -o cat | tail -n 30; return 1; }
	# Type=notify: it got READY=1 (StatusText/notify), not merely forked.
	[ "$(systemctl show -P Type keymapd.service)" = notify ]
}

# The main process: user keymapd, groups input and uinput, no capability, no way to get one.
unprivileged() {
	local pid st uid gid want_uid input uinput
	pid=$(systemctl show -P MainPID keymapd.service)
	if [ -z "$pid" ] || [ "$pid" = 0 ]; then echo "no MainPID"; return 1; fi
	st=$(cat "/proc/$pid/status") || return 1
	printf '%s\n' "$st" | grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):'
	want_uid=$(id -u keymapd) || return 1
	input=$(getent group input | cut -d: -f3)
	uinput=$(getent group uinput | cut -d: -f3)
	uid=$(printf '%s\n' "$st" | awk '/^Uid:/ {print $2, $3, $4, $5}')
	gid=$(printf '%s\n' "$st" | awk '/^Gid:/ {print $2}')
	[ "$uid" = "$want_uid $want_uid $want_uid $want_uid" ] || { echo "uid is $uid, want $want_uid"; return 1; }
	[ "$gid" = "$(id -g keymapd)" ] || { echo "gid is $gid"; return 1; }
	printf '%s\n' "$st" | grep -Eq "^Groups:.*\\b$input\\b" || { echo "not in group input ($input)"; return 1; }
	printf '%s\n' "$st" | grep -Eq "^Groups:.*\\b$uinput\\b" || { echo "not in group uinput ($uinput)"; return 1; }
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		printf '%s\n' "$st" | grep -Eq "^$c:[[:space:]]*0+$" || { echo "$c is not empty"; return 1; }
	done
	printf '%s\n' "$st" | grep -Eq '^NoNewPrivs:[[:space:]]*1$' || { echo "NoNewPrivs is off"; return 1; }
	printf '%s\n' "$st" | grep -Eq '^Seccomp:[[:space:]]*2$' || { echo "no seccomp filter"; return 1; }
}

uinput_ready() {
	[ -d /sys/module/uinput ] || { echo "uinput module not loaded"; return 1; }
	systemctl is-active --quiet systemd-modules-load.service || { echo "systemd-modules-load failed"; return 1; }
	if ! journalctl -b -t systemd-modules-load --no-pager -o cat | grep "Inserted module 'uinput'"; then
		journalctl -b --no-pager -o short-monotonic | grep -i 'modules-load\|uinput' | head -n 20
		ls -l /usr/local/lib/modules-load.d /etc/modules-load.d /usr/lib/modules-load.d
		echo "uinput was not loaded by systemd-modules-load (modules-load.d/keymapd.conf)"
		return 1
	fi
	stat -c '%U:%G %a %n' /dev/uinput
	[ "$(stat -c '%U:%G %a' /dev/uinput)" = "root:uinput 660" ]
}

# The event node of the input device whose phys is $1 (from /proc/bus/input/devices).
node_of_phys() {
	awk -v p="P: Phys=$1" '$0 == p { f = 1 } f && /^H: Handlers=/ { if (match($0, /event[0-9]+/)) print substr($0, RSTART, RLENGTH); exit }' /proc/bus/input/devices
}

# The boot keyboard, once grabbed, reaches the desktop through a virtual clone the service made
# from its sandbox (/dev/uinput): same bus (i8042), IDs and name; phys keymapd/ and its own.
virtual_clone() {
	local i
	for i in $(seq 1 20); do
		grep -B2 'P: Phys=keymapd/isa0060/serio0/input0' /proc/bus/input/devices | grep -q 'I: Bus=0011 Vendor=0001 Product=0001' && break
		[ "$i" = 20 ] && { cat /proc/bus/input/devices; echo "no clone of the boot keyboard"; return 1; }
		sleep 0.5
	done
	grep -B2 -A4 'P: Phys=keymapd/isa0060/serio0/input0' /proc/bus/input/devices
	grep -B1 'P: Phys=keymapd/isa0060/serio0/input0' /proc/bus/input/devices | grep -q 'AT Translated Set 2 keyboard'
}

# libinput's own quirks matcher gives the clone exactly what it gives the original (no keymapd
# quirk is installed any more: none is needed).
libinput_quirks_mirrored() {
	local orig clone a b
	[ ! -e /usr/share/libinput/50-keymapd.quirks ] || { echo "a keymapd quirk is installed"; return 1; }
	orig=$(node_of_phys isa0060/serio0/input0)
	clone=$(node_of_phys keymapd/isa0060/serio0/input0)
	if [ -z "$orig" ] || [ -z "$clone" ]; then echo "no event node for the keyboard ($orig) or its clone ($clone)"; return 1; fi
	a=$(/usr/local/libexec/libinput-quirks list "/dev/input/$orig" 2>&1)
	b=$(/usr/local/libexec/libinput-quirks list "/dev/input/$clone" 2>&1)
	echo "/dev/input/$orig: ${a:-(no quirks)}"
	echo "/dev/input/$clone (its clone): ${b:-(no quirks)}"
	[ "$a" = "$b" ]
}

INSTALL=/opt/keymapd-src/packaging/install-debian.sh

# install-debian.sh run again, live, as an admin would to update: nothing changed, so it
# installs nothing, restarts nothing, and the service is still the same process.
install_again() {
	local pid out
	pid=$(systemctl show -P MainPID keymapd.service)
	out=$("$INSTALL" --no-build --binary /usr/local/bin/keymapd 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	if printf '%s\n' "$out" | grep -q 'installed /\|restarting'; then echo "a second run changed something"; return 1; fi
	systemctl is-active --quiet keymapd.service || { echo "keymapd is not active after it"; return 1; }
	[ "$(systemctl show -P MainPID keymapd.service)" = "$pid" ] || { echo "keymapd was restarted"; return 1; }
}

# install-debian.sh --uninstall: the service is stopped and disabled, its files are gone, the
# profiles stay, and /dev/uinput is root's alone again.
uninstall() {
	local f
	"$INSTALL" --uninstall || return 1
	systemctl is-active --quiet keymapd.service && { echo "keymapd still active"; return 1; }
	for f in /usr/local/bin/keymapd /usr/local/bin/keymapd-daemon /usr/local/bin/keymapd-session /usr/local/lib/systemd/system/keymapd.service \
		/usr/local/lib/udev/rules.d/70-keymapd.rules /usr/local/lib/sysusers.d/keymapd.conf \
		/usr/local/lib/modules-load.d/keymapd.conf \
		/etc/systemd/system/multi-user.target.wants/keymapd.service; do
		[ -e "$f" ] && { echo "$f is still there"; return 1; }
	done
	ls /etc/keymapd/*.toml >/dev/null || { echo "the profiles were removed"; return 1; }
	udevadm settle
	stat -c '%U:%G %a %n' /dev/uinput
	[ "$(stat -c '%G' /dev/uinput)" != uinput ] || { echo "/dev/uinput still belongs to group uinput"; return 1; }
}

# install-debian.sh live on a system without keymapd (it was just uninstalled), as the README's
# one command does minus apt and the build: sysusers, modprobe, udev reload and trigger (which
# must give /dev/uinput back to group uinput), keymapd check, enable --now.
install_live() {
	"$INSTALL" --no-build --binary /opt/keymapd-src/keymapd || return 1
	systemctl is-enabled keymapd.service || return 1
	systemctl is-active keymapd.service || return 1
	stat -c '%U:%G %a %n' /dev/uinput
	[ "$(stat -c '%U:%G %a' /dev/uinput)" = "root:uinput 660" ] || return 1
	virtual_clone
}

security_score() {
	local out score
	out=$(systemd-analyze security keymapd.service 2>&1) || { echo "$out" | tail -n 5; return 1; }
	score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for keymapd.service: \([0-9.]*\).*/\1/p')
	echo "exposure on the running system: $score"
	awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 1.0) }'
}

# The control socket in the unit's RuntimeDirectory: root is served (status, reload); a user
# who is neither root nor the active session's (no session is active here) is refused.
control_socket() {
	local out
	ls -ld /run/keymapd /run/keymapd/control.sock || return 1
	[ "$(stat -c '%a %U' /run/keymapd/control.sock)" = "666 keymapd" ] || { echo "socket mode/owner"; return 1; }
	out=$(keymapd status 2>&1) || { echo "$out"; return 1; }
	printf '%s\n' "$out"
	printf '%s\n' "$out" | grep -q '0001:0001 AT Translated Set 2 keyboard' || { echo "status lacks the boot keyboard"; return 1; }
	out=$(keymapd reload 2>&1) || { echo "$out"; return 1; }
	[ "$out" = reloaded ] || { echo "$out"; return 1; }
	if out=$(setpriv --reuid=65534 --regid=65534 --clear-groups keymapd status 2>&1); then
		echo "nobody was served: $out"
		return 1
	fi
	printf '%s\n' "$out"
	printf '%s\n' "$out" | grep -q 'permission denied: keymapd serves root and the user of the active session' || return 1
}

# The install enabled no profile: /etc/keymapd is empty, the examples are documentation, and
# the daemon runs, remapping nothing, and says so (journal and `keymapd list`); it grabbed
# nothing.
no_profile() {
	local out
	ls -A /etc/keymapd
	[ -z "$(ls -A /etc/keymapd)" ] || { echo "/etc/keymapd is not empty"; return 1; }
	ls /usr/share/doc/keymapd/examples/usb-keyboard.toml /usr/share/doc/keymapd/examples/laptop.toml || return 1
	journalctl -u keymapd --no-pager -o cat | grep -m1 'no profiles in /etc/keymapd' ||
		{ echo "the journal does not say that there is no profile"; return 1; }
	if journalctl -u keymapd --no-pager -o cat | grep 'grabbed'; then echo "grabbed with no profile"; return 1; fi
	out=$(keymapd list 2>&1)
	printf '%s
' "$out"
	printf '%s
' "$out" | grep -q '^keymapd: no profiles in /etc/keymapd: no keyboard is remapped' ||
		{ echo "keymapd list does not say that there is no profile"; return 1; }
}

# README's quick start, after the install: copy the examples in (the same `cp` it shows, for
# both), check them; the running daemon picks them up without a restart.
quick_start() {
	local pid
	pid=$(systemctl show -P MainPID keymapd.service)
	cp /usr/share/doc/keymapd/examples/usb-keyboard.toml /usr/share/doc/keymapd/examples/laptop.toml /etc/keymapd/ || return 1
	keymapd check || return 1
	keymapd list 2>&1 | head -n 20
	[ "$(systemctl show -P MainPID keymapd.service)" = "$pid" ] || { echo "keymapd was restarted"; return 1; }
}

# The machine's own keyboard (QEMU's i8042 "AT Translated Set 2 keyboard", which
# /etc/keymapd/laptop.toml claims as laptop:kb), there since the boot: the service grabbed it
# once the quick start enabled the profile.
boot_keyboard() {
	local i
	for i in $(seq 1 20); do
		journalctl -u keymapd --no-pager -o cat | grep -m1 'grabbed 0001:0001 AT Translated Set 2 keyboard' && return 0
		[ "$i" = 20 ] || sleep 0.5
	done
	journalctl -u keymapd --no-pager -o cat | head -n 30
	echo "the boot keyboard was not grabbed"
	return 1
}

journal_clean() {
	local bad
	bad=$(journalctl -u keymapd --no-pager -o cat | grep -Ei 'panicked|permission denied|operation not permitted|cannot open|failed to' || true)
	[ -z "$bad" ] || { journalctl -u keymapd --no-pager -o short-monotonic | head -n 30; printf '%s\n' "$bad"; return 1; }
}

run_scenarios() {
	keymapd-testbed run "$1" | sed -u '/^@@KEYMAPD-DONE/d' | tee /run/keymapd-testbed.log
	PASSED=$((PASSED + $(grep -c '^@@KEYMAPD-SCENARIO [^ ]* PASS' /run/keymapd-testbed.log)))
	FAILED=$((FAILED + $(grep -c '^@@KEYMAPD-SCENARIO [^ ]* FAIL' /run/keymapd-testbed.log)))
}

check boot-multi-user booted
check service-active-notify service_active
check service-unprivileged unprivileged
check uinput-modules-load-udev uinput_ready
check service-no-profile-installed no_profile
check quick-start-cp-example quick_start
check service-grabbed-boot-keyboard boot_keyboard
check service-virtual-clone virtual_clone
check service-security-score security_score
check service-control-socket control_socket
check libinput-quirks-mirrored libinput_quirks_mirrored
check install-debian-idempotent install_again

# The scenarios: keyboards plugged in while the service runs, remapping, reload, stop.
run_scenarios "$SCENARIOS"

check service-journal-clean journal_clean
check install-debian-uninstall uninstall
check install-debian-live install_live
run_scenarios /usr/local/share/keymapd-vmtest/after-reinstall
