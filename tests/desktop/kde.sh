#!/usr/bin/env bash
# KDE backend: KWin (kwin_wayland --virtual, headless) on its own session bus, two Wayland
# clients of different app ids (weston-terminal, weston-clickdot: foot 1.13 dies of a division
# by zero on KWin's virtual output, whose physical size is -1 mm); the agent loads its KWin
# script, a test script moves the focus.
# Usage: kde.sh KEYMAPD WORKDIR (as a plain user).
set -euo pipefail
# shellcheck source=tests/desktop/lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1 W=$2
HERE=$(dirname "$0")
out=$W/kde.out
start_test

# A session bus of our own; it prints its address once it listens.
mkfifo "$W/bus-ready"
exec 4<>"$W/bus-ready"
dbus-daemon --session --nofork --print-address=5 5>"$W/bus-ready" 2>"$W/dbus.log" &
pids+=($!)
read -r -t 20 DBUS_SESSION_BUS_ADDRESS <&4 || fail "dbus-daemon did not start: $(cat "$W/dbus.log")"
export DBUS_SESSION_BUS_ADDRESS

# Debian's kwin_wayland carries a file capability (cap_sys_resource) that an unprivileged
# container cannot grant, so exec fails with EPERM; a copy without it runs the same.
cp /usr/bin/kwin_wayland "$W/kwin_wayland"
# KWin starts the programs named after its options once it is up, with WAYLAND_DISPLAY set.
mkfifo "$W/kwin-ready"
exec 6<>"$W/kwin-ready"
# shellcheck disable=SC2016  # expanded by the script, not here
printf '#!/bin/sh\necho "$WAYLAND_DISPLAY" > %s\n' "$W/kwin-ready" > "$W/kwin-ready.sh"
chmod +x "$W/kwin-ready.sh"
"$W/kwin_wayland" --virtual --socket keymapd-kde --width 800 --height 600 --no-lockscreen \
    "$W/kwin-ready.sh" > "$W/kwin.log" 2>&1 &
kwin_pid=$!; pids+=("$kwin_pid")
if ! read -r -t 60 WAYLAND_DISPLAY <&6; then
    tail -n 30 "$W/kwin.log" >&2
    fail "KWin did not start within 60 s (its log above)"
fi
export WAYLAND_DISPLAY XDG_CURRENT_DESKTOP=KDE
echo "KWin is up: $WAYLAND_DISPLAY"

# kwin_script FILE: load a KWin script through KWin's scripting interface, run it, unload it.
kwin_script() {
    local id
    id=$(dbus-send --session --print-reply=literal --dest=org.kde.KWin /Scripting \
        org.kde.kwin.Scripting.loadScript string:"$1" string:keymapd-test | awk '{print $2}')
    # The script's object: /Scripting/ScriptN in newer KWin, /N in KWin 5.
    dbus-send --session --print-reply --dest=org.kde.KWin "/Scripting/Script$id" org.kde.kwin.Script.run \
        > /dev/null 2>&1 \
        || dbus-send --session --print-reply --dest=org.kde.KWin "/$id" org.kde.kwin.Script.run > /dev/null
    dbus-send --session --print-reply --dest=org.kde.KWin /Scripting \
        org.kde.kwin.Scripting.unloadScript string:keymapd-test > /dev/null
}

# No --backend: XDG_CURRENT_DESKTOP=KDE on Wayland picks kde.
"$BIN" session --print > "$out" 2> "$out.err" &
agent=$!; pids+=("$agent")
expect "$out" "focus"

KEYMAPD_PIDFILE=$W/one.pid weston-terminal --shell="$HERE/retitle.sh" > "$W/one.log" 2>&1 &
pids+=($!); one_pid=$!
one=$'focus org.freedesktop.weston.wayland-terminal\tWayland Terminal'
expect "$out" "$one"
weston-clickdot > "$W/two.log" 2>&1 &
pids+=($!); two_pid=$!
two=$'focus org.freedesktop.weston.wayland-clickdot\tWayland ClickDot'
expect "$out" "$two"

cat > "$W/focus-one.js" <<'JS'
var all = workspace.clientList();
for (var i = 0; i < all.length; i++) {
    if (String(all[i].resourceClass) === "org.freedesktop.weston.wayland-terminal") { workspace.activeClient = all[i]; }
}
JS
kwin_script "$W/focus-one.js"
expect "$out" "$one"
# A caption change of the active window is a change too.
kill -USR1 "$(cat "$W/one.pid")"
expect "$out" $'focus org.freedesktop.weston.wayland-terminal\trenamed'
kill "$one_pid"
expect "$out" "$two"
kill "$two_pid"
expect "$out" "focus"

# KWin, like openbox, activates "nothing" on the way from one window to the next; the script
# reports that too: drop a bare `focus` between two windows before comparing.
# shellcheck disable=SC2016  # a sed script, not a shell expansion
same_lines <(sed '1b;$b;/^focus$/d' "$out") "focus" "$one" "$two" "$one" \
    $'focus org.freedesktop.weston.wayland-terminal\trenamed' "$two" "focus"

# KWin leaving ends the agent with an error.
kill "$kwin_pid"
rc=0; wait "$agent" || rc=$?
[ "$rc" = 1 ] || fail "the agent exited $rc when KWin went away, not 1"
grep -q "KWin left the session bus" "$out.err" || { cat "$out.err" >&2; fail "no message about KWin going"; }
echo "ok: the agent exits 1 when KWin goes: $(cat "$out.err")"
