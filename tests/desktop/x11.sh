#!/usr/bin/env bash
# X11 backend: Xvfb, the openbox window manager (EWMH), two xterms of different classes.
# Usage: x11.sh KEYMAPD WORKDIR (as a plain user).
set -euo pipefail
# shellcheck source=tests/desktop/lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1 W=$2
out=$W/x11.out
trap stop_all EXIT

mkfifo "$W/x11-display" "$W/x11-wm"
Xvfb -displayfd 3 -nolisten tcp -screen 0 800x600x24 3>"$W/x11-display" 2>"$W/xvfb.log" &
xvfb=$!; pids+=("$xvfb")
read -r -t 20 n < "$W/x11-display" || fail "Xvfb did not start within 20 s: $(cat "$W/xvfb.log")"
export DISPLAY=:$n
echo "Xvfb is $DISPLAY"
unset WAYLAND_DISPLAY SWAYSOCK XDG_CURRENT_DESKTOP

# openbox runs its --startup command once it manages the screen.
openbox --sm-disable --startup "sh -c 'echo ready > $W/x11-wm'" 2>"$W/openbox.log" &
pids+=($!)
# Opened read-write so that the timeout counts even if openbox never opens it.
exec 4<>"$W/x11-wm"
read -r -t 20 _ <&4 || fail "openbox did not start within 20 s: $(cat "$W/openbox.log")"
echo "openbox is managing $DISPLAY"

# No --backend: the agent must pick x11 from DISPLAY alone.
"$BIN" session --print > "$out" 2> "$out.err" &
agent=$!; pids+=("$agent")
expect "$out" "focus"

xterm -class KeymapdOne -T one -e sleep 600 &
pids+=($!); one_pid=$!
expect "$out" $'focus KeymapdOne\tone'
xterm -class KeymapdTwo -T two -e sleep 600 &
pids+=($!); two_pid=$!
expect "$out" $'focus KeymapdTwo\ttwo'

one=$(xdotool search --classname --class KeymapdOne | head -n 1)
[ -n "$one" ] || fail "xdotool did not find the KeymapdOne window"
xdotool windowactivate "$one"
expect "$out" $'focus KeymapdOne\tone'
# A title change of the focused window is a change too.
xdotool set_window --name renamed "$one"
expect "$out" $'focus KeymapdOne\trenamed'
# Closing it gives the focus back to the other; closing that leaves nothing focused.
kill "$one_pid"
expect "$out" $'focus KeymapdTwo\ttwo'
kill "$two_pid"
expect "$out" "focus"

# openbox clears _NET_ACTIVE_WINDOW while it moves the focus, and the agent reports that
# passing "nothing focused" when it comes in a separate batch of events: drop such lines
# (a bare `focus` between two windows) before comparing; the first and last `focus` are real.
# shellcheck disable=SC2016  # a sed script, not a shell expansion
same_lines <(sed '1b;$b;/^focus$/d' "$out") "focus" $'focus KeymapdOne\tone' $'focus KeymapdTwo\ttwo' \
    $'focus KeymapdOne\tone' $'focus KeymapdOne\trenamed' $'focus KeymapdTwo\ttwo' "focus"

# Losing the X server ends the agent with an error (the unit restarts it with the session).
kill "$xvfb"
rc=0; wait "$agent" || rc=$?
[ "$rc" = 1 ] || fail "the agent exited $rc when the X server went away, not 1"
grep -q "lost the connection to the X server" "$out.err" || { cat "$out.err" >&2; fail "no 'lost the connection' message"; }
echo "ok: the agent exits 1 when the X server goes: $(cat "$out.err")"
