#!/usr/bin/env bash
# The GNOME Shell backend of the session agent, end to end against the real GNOME Shell from
# Debian: `gnome-shell --headless --wayland` with Xwayland, as a plain user, with the shipped
# extension (packaging/gnome-shell/keymapd@keymapd.github.io) enabled by `gnome-extensions`.
# Two applications' windows (a Wayland one, an X11 one through Xwayland) open, retitle, take
# the focus from each other (xdotool activates the X11 one as a pager does) and close; the backend (examples/gnome-focus.rs, which prints what `keymapd session --print`
# prints) must report each focus change, exactly, and stop with an error when the extension
# is disabled. It also checks that the backend sleeps while nothing changes.
#
#   tests/desktop/gnome.sh [host|trixie|all]     (as root; default: all)
#
# host: GNOME Shell from this system's Debian (43 on bookworm; the extension's copy for 43-44);
# trixie: GNOME Shell 48 from Debian 13 in a chroot of a debootstrapped tree, cached in
# $KEYMAPD_VM_CACHE (default ~/.cache/keymapd-vm) (the copy for 45 and later). It installs its
# Debian packages and makes a test user (in the chroot too).
#
# GNOME Shell wants a session bus and a system bus; it runs without logind (it falls back to
# defaults when login1 does not answer), so a private system dbus-daemon is enough and no VM
# is needed. If GNOME Shell or the extension cannot start, the test FAILS and says why.
#
# Environment: KEYMAPD_GNOME_USER  the unprivileged user to run GNOME as (default:
# keymapd-gnome-test, created if missing); KEYMAPD_GNOME_TIMEOUT seconds per wait (default 60).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
UUID=keymapd@keymapd.github.io
TIMEOUT="${KEYMAPD_GNOME_TIMEOUT:-60}"

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# ---- as the test user: the session itself -------------------------------------------------

if [[ "${1:-}" == --session ]]; then
	WORK=$2
	BIN=$WORK/gnome-focus
	OUT=$WORK/focus.out
	ERR=$WORK/focus.err
	SHELL_LOG=$WORK/gnome-shell.log
	export HOME=$WORK/home
	export XDG_RUNTIME_DIR=$WORK/run
	pids=()
	# shellcheck disable=SC2317  # run by the EXIT trap
	cleanup() {
		local p i
		for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
			p=${pids[i]}
			kill "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		done
	}
	trap cleanup EXIT
	passed=0
	pass() {
		printf 'PASS: %s\n' "$*"
		passed=$((passed + 1))
	}
	shell_fail() {
		printf 'FAIL: %s\n' "$*" >&2
		echo "--- last lines of gnome-shell's log ($SHELL_LOG):" >&2
		tail -n 25 "$SHELL_LOG" >&2 || true
		echo "--- the backend's output:" >&2
		cat "$OUT" "$ERR" >&2 2>/dev/null || true
		exit 1
	}
	start() { # start COMMAND...: in the background, remembered for cleanup; pid in $started
		"$@" &
		started=$!
		pids+=("$started")
	}

	# A system bus of our own (GNOME Shell asks it for logind, accounts, polkit; none answers,
	# which it survives) and the session bus.
	start dbus-daemon --session --nofork --nopidfile \
		--address="unix:path=$XDG_RUNTIME_DIR/system_bus_socket" >"$WORK/system-bus.log" 2>&1
	start dbus-daemon --session --nofork --nopidfile --address="unix:path=$XDG_RUNTIME_DIR/bus" \
		>"$WORK/session-bus.log" 2>&1
	export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$XDG_RUNTIME_DIR/system_bus_socket
	export DBUS_SESSION_BUS_ADDRESS=unix:path=$XDG_RUNTIME_DIR/bus
	for _ in $(seq 100); do
		[[ -S $XDG_RUNTIME_DIR/bus && -S $XDG_RUNTIME_DIR/system_bus_socket ]] && break
		sleep 0.1
	done

	# The extension as a user installs it, in ~/.local/share/gnome-shell/extensions/UUID: the
	# copy for 43 and 44, or the one for 45 and later.
	version=$(gnome-shell --version | sed -n 's/^GNOME Shell //p')
	copy=45
	[[ $version =~ ^(43|44)\. ]] && copy=43
	mkdir -p "$HOME/.local/share/gnome-shell/extensions"
	cp -r "$WORK/extension/$copy/$UUID" "$HOME/.local/share/gnome-shell/extensions/"

	start gnome-shell --headless --wayland --virtual-monitor 1024x768 >"$SHELL_LOG" 2>&1
	shell_pid=$started
	gdbus wait --session --timeout "$TIMEOUT" org.gnome.Shell \
		|| shell_fail "GNOME Shell did not come up on the session bus within ${TIMEOUT}s"
	for _ in $(seq $((TIMEOUT * 10))); do
		grep -q 'GNOME Shell started' "$SHELL_LOG" && break
		kill -0 "$shell_pid" 2>/dev/null || shell_fail "GNOME Shell exited during its start"
		sleep 0.1
	done
	grep -q 'GNOME Shell started' "$SHELL_LOG" || shell_fail "GNOME Shell did not finish starting"
	x11=$(sed -n 's/.*Using public X11 display \(:[0-9]*\).*/\1/p' "$SHELL_LOG" | head -n 1)
	[[ -n $x11 ]] || shell_fail "GNOME Shell started no Xwayland"
	xauth=$(compgen -G "$XDG_RUNTIME_DIR/.mutter-Xwaylandauth.*" | head -n 1) \
		|| shell_fail "no Xauthority file from mutter in $XDG_RUNTIME_DIR"
	# The shell opens on the overview, which holds the keyboard: a session starts on the desktop.
	gdbus call --session --dest org.gnome.Shell --object-path /org/gnome/Shell \
		--method org.freedesktop.DBus.Properties.Set org.gnome.Shell OverviewActive '<false>' \
		>/dev/null || shell_fail "could not leave the overview (org.gnome.Shell OverviewActive)"
	pass "GNOME Shell $version runs headless on Wayland as $(id -un), Xwayland on $x11 (extension: packaging/gnome-shell/$copy)"

	"$BIN" >"$OUT" 2>"$ERR" && status=0 || status=$?
	if [[ $status -ne 1 ]] || ! grep -q 'extension is not running' "$ERR"; then
		shell_fail "with the extension disabled the backend must exit 1 saying so (exit $status)"
	fi
	pass "extension not enabled: the backend exits 1: $(cat "$ERR")"

	gnome-extensions enable "$UUID" || shell_fail "gnome-extensions enable $UUID failed"
	gdbus wait --session --timeout "$TIMEOUT" io.github.keymapd.Shell \
		|| shell_fail "the extension did not publish io.github.keymapd.Shell: $(gnome-extensions info "$UUID" 2>&1 | tr '\n' ' ')"
	pass "the extension is enabled and owns io.github.keymapd.Shell"

	start "$BIN" >"$OUT" 2>"$ERR"
	agent=$started
	expected=()
	expect() { # expect LINE WHAT: the backend's next line is LINE, within TIMEOUT
		expected+=("$1")
		local n=${#expected[@]}
		for _ in $(seq $((TIMEOUT * 10))); do
			(($(wc -l <"$OUT") >= n)) && break
			kill -0 "$agent" 2>/dev/null || shell_fail "the backend exited: $(cat "$ERR")"
			sleep 0.1
		done
		local got
		got=$(sed -n "${n}p" "$OUT")
		[[ $got == "$1" ]] || shell_fail "$2: expected line $n to be '$1', got '${got:-nothing}'"
		pass "$2: $(printf '%q' "$1")"
	}
	PY=/usr/bin/python3
	WIN=$WORK/gnome-window.py

	expect "focus" "at start no window has the focus"
	start env GDK_BACKEND=x11 DISPLAY="$x11" XAUTHORITY="$xauth" "$PY" "$WIN" \
		io.github.keymapd.TestB "Window B" --x11-class KeymapdTestB
	win_b=$started
	expect $'focus KeymapdTestB\tWindow B' "an X11 window opens: its WM_CLASS class"
	start env GDK_BACKEND=wayland "$PY" "$WIN" io.github.keymapd.TestA "Window A"
	win_a=$started
	expect $'focus io.github.keymapd.TestA\tWindow A' "a Wayland window of another application opens: its app_id"
	kill -USR1 "$win_a"
	expect $'focus io.github.keymapd.TestA\tWindow A (renamed)' "the focused window retitles itself"
	kill -USR1 "$win_b"
	sleep 1
	(($(wc -l <"$OUT") == ${#expected[@]})) \
		|| shell_fail "an unfocused window's title change was reported: $(tail -n 1 "$OUT")"
	pass "an unfocused window's title change reports nothing"

	# Idle: the backend must sleep in the kernel, not poll. Count the context switches of all
	# its threads over three quiet seconds.
	switches() {
		cat /proc/"$agent"/task/*/status | awk '/ctxt_switches/ {n += $2} END {print n}'
	}
	threads() {
		local t
		for t in /proc/"$agent"/task/*; do
			printf '%s %s; ' "$(cat "$t/comm")" "$(awk '/ctxt_switches/ {n += $2} END {print n}' "$t/status")"
		done
	}
	before=$(switches)
	sleep 3
	after=$(switches)
	((after == before)) \
		|| shell_fail "the backend woke $((after - before)) times in 3 idle seconds (thread switches: $(threads))"
	tasks=(/proc/"$agent"/task/*)
	pass "idle: the backend's ${#tasks[@]} threads woke 0 times in 3 s"

	# A pager's activation request (_NET_ACTIVE_WINDOW, source 2) moves the focus to the X11
	# window while both stay open; then closing it gives the focus back.
	DISPLAY="$x11" XAUTHORITY="$xauth" xdotool search --sync --onlyvisible --class KeymapdTestB \
		windowactivate || shell_fail "xdotool could not activate the X11 window"
	expect $'focus KeymapdTestB\tWindow B (renamed)' "the X11 window is activated: focus switches to it"
	kill -USR1 "$win_b"
	expect $'focus KeymapdTestB\tWindow B (renamed) (renamed)' "the focused X11 window retitles itself"
	kill "$win_b"
	wait "$win_b" || true
	expect $'focus io.github.keymapd.TestA\tWindow A (renamed)' "the X11 window closes: focus back on the Wayland one"
	kill "$win_a"
	wait "$win_a" || true
	expect "focus" "the last window closes: nothing focused"

	gnome-extensions disable "$UUID" || shell_fail "gnome-extensions disable $UUID failed"
	for _ in $(seq $((TIMEOUT * 10))); do
		kill -0 "$agent" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$agent" 2>/dev/null && shell_fail "the backend kept running after the extension was disabled"
	wait "$agent" && status=0 || status=$?
	if [[ $status -ne 1 ]] || ! grep -q 'left the session bus' "$ERR"; then
		shell_fail "extension disabled: the backend must exit 1 saying so (exit $status: $(cat "$ERR"))"
	fi
	pass "extension disabled: the backend exits 1: $(cat "$ERR")"
	(($(wc -l <"$OUT") == ${#expected[@]})) \
		|| shell_fail "the backend printed more than the focus changes: $(cat "$OUT")"
	pass "the backend printed exactly the ${#expected[@]} focus changes"
	echo "gnome: $passed passed, 0 failed"
	exit 0
fi

# ---- as root: packages, build, user, then the session as that user ------------------------

[[ $(id -u) -eq 0 ]] || fail "run as root: it installs Debian packages and runs GNOME Shell as a test user"
WHICH=${1:-all}
case $WHICH in host | trixie | all) ;; *) fail "usage: $0 [host|trixie|all]" ;; esac

PACKAGES=(gnome-shell xwayland xdotool dbus-daemon libglib2.0-bin python3-gi gir1.2-gtk-3.0 procps)
apt_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	echo "apt-get install ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null \
		|| fail "apt-get install ${missing[*]} failed"
}

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
(cd "$ROOT" && cargo build --locked --quiet --example gnome-focus) \
	|| fail "cargo build --example gnome-focus failed"
TEST_USER="${KEYMAPD_GNOME_USER:-keymapd-gnome-test}"

# prepare R WORK: the test user in the system at R ("" for this one), and WORK (a path inside
# it) holding the backend, the test window, the extension copies, the user's home and runtime dir.
prepare() {
	local r=$1 work=$2
	if ! chroot "${r:-/}" id "$TEST_USER" >/dev/null 2>&1; then
		useradd ${r:+--root "$r"} --system --no-create-home --shell /usr/sbin/nologin "$TEST_USER"
	fi
	mkdir -p "$r$work/home"
	install -m 0755 "$CARGO_TARGET_DIR/debug/examples/gnome-focus" "$r$work/gnome-focus"
	install -m 0644 "$HERE/gnome-window.py" "$r$work/gnome-window.py"
	install -m 0755 "$HERE/gnome.sh" "$r$work/gnome.sh"
	cp -r "$ROOT/packaging/gnome-shell" "$r$work/extension"
	install -d -m 0700 "$r$work/run"
	chmod 0755 "$r$work"
	chroot "${r:-/}" chown -R "$TEST_USER:" "$work" "$work/home" "$work/run"
	# Xwayland's socket directory must exist, belong to root and be sticky (as systemd makes it).
	mkdir -p "$r/tmp/.X11-unix"
	chown root:root "$r/tmp/.X11-unix"
	chmod 1777 "$r/tmp/.X11-unix"
}
session() { # session R WORK: the test as the user, inside R
	chroot "${1:-/}" runuser -u "$TEST_USER" -- env -i PATH=/usr/local/bin:/usr/bin:/bin \
		LANG=C.UTF-8 KEYMAPD_GNOME_TIMEOUT="$TIMEOUT" bash "$2/gnome.sh" --session "$2"
}

CLEAN=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup_root() {
	local i
	for ((i = ${#CLEAN[@]} - 1; i >= 0; i--)); do eval "${CLEAN[i]}" || true; done
}
trap cleanup_root EXIT

status=0
if [[ $WHICH == host || $WHICH == all ]]; then
	echo "--- GNOME Shell from this system's Debian"
	apt_install "${PACKAGES[@]}"
	WORK=$(mktemp -d /tmp/keymapd-gnome.XXXXXX)
	CLEAN+=("rm -rf '$WORK'")
	prepare "" "$WORK"
	session "" "$WORK" || status=1
fi

if [[ $WHICH == trixie || $WHICH == all ]]; then
	# GNOME Shell 45 and later loads the other copy of the extension (an ES module): Debian 13's
	# GNOME Shell runs in a chroot of a trixie tree, made once by debootstrap and cached; each
	# run works in an overlay on top of it, so the cached tree stays clean.
	echo "--- GNOME Shell from Debian trixie, in a chroot"
	apt_install debootstrap
	CACHE="${KEYMAPD_VM_CACHE:-$HOME/.cache/keymapd-vm}"
	# Named after the package list, so that a new list makes a new tree.
	TREE=$CACHE/debian-trixie-gnome-shell-$(echo "${PACKAGES[*]}" | md5sum | cut -c1-8)
	if [[ ! -f $TREE/.complete ]]; then
		rm -rf "$TREE"
		mkdir -p "$CACHE"
		echo "debootstrap trixie, then apt-get install GNOME Shell in it (once; cached in $TREE)"
		# Not debootstrap --include: it does not resolve alternatives (logind | default-logind).
		mirror=${KEYMAPD_VM_MIRROR:-http://deb.debian.org/debian}
		log=$CACHE/debootstrap-trixie-gnome.log
		debootstrap --variant=minbase trixie "$TREE" "$mirror" >"$log" 2>&1 \
			|| fail "debootstrap trixie failed (see $log)"
		echo "deb $mirror trixie main" >"$TREE/etc/apt/sources.list"
		cp /etc/resolv.conf "$TREE/etc/resolv.conf"
		mount --bind /proc "$TREE/proc" || fail "cannot bind /proc into $TREE"
		chroot "$TREE" env DEBIAN_FRONTEND=noninteractive bash -c \
			'apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" && apt-get clean' \
			_ "${PACKAGES[@]}" >>"$log" 2>&1 && ok=1 || ok=0
		umount "$TREE/proc"
		((ok)) || fail "apt-get install ${PACKAGES[*]} in the trixie tree failed (see $log)"
		touch "$TREE/.complete"
	fi
	OVL=$(mktemp -d /tmp/keymapd-gnome-trixie.XXXXXX)
	CLEAN+=("rm -rf '$OVL'")
	mkdir -p "$OVL/upper" "$OVL/work" "$OVL/root"
	mount -t overlay overlay -o "lowerdir=$TREE,upperdir=$OVL/upper,workdir=$OVL/work" "$OVL/root" \
		|| fail "cannot mount an overlay on $TREE"
	CLEAN+=("umount '$OVL/root'")
	R=$OVL/root
	for m in proc sys dev; do
		mount --bind "/$m" "$R/$m" || fail "cannot bind /$m into the chroot"
		CLEAN+=("umount '$R/$m'")
	done
	mount -t tmpfs -o mode=1777 tmpfs "$R/tmp" || fail "cannot mount a tmpfs on the chroot's /tmp"
	CLEAN+=("umount '$R/tmp'")
	prepare "$R" /tmp/keymapd-gnome
	session "$R" /tmp/keymapd-gnome || status=1
fi
exit "$status"
