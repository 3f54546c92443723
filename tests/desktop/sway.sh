#!/usr/bin/env bash
# sway and wlr backends: sway headless (WLR_BACKENDS=headless, pixman renderer), two foot
# terminals with different app_ids; one agent on sway's IPC (detected), one on
# wlr-foreign-toplevel-management (--backend wlr), both must see the same. Usage: sway.sh KEYMAPD WORKDIR (as a plain user; sway refuses root).
set -euo pipefail
# shellcheck source=tests/desktop/lib.sh
. "$(dirname "$0")/lib.sh"
BIN=$1 W=$2
out=$W/sway.out
wout=$W/wlr.out
start_test

# sway runs `exec` once it is up, with SWAYSOCK and WAYLAND_DISPLAY set: that is our signal.
mkfifo "$W/sway-ready"
cat > "$W/sway.config" <<CONF
output HEADLESS-1 resolution 800x600
exec sh -c 'echo "\$SWAYSOCK \$WAYLAND_DISPLAY" > $W/sway-ready'
CONF
WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1 \
    sway --config "$W/sway.config" > "$W/sway.log" 2>&1 &
sway_pid=$!; pids+=("$sway_pid")
# Opened read-write so that the timeout counts even if sway never gets to open it.
exec 4<>"$W/sway-ready"
if ! read -r -t 30 SWAYSOCK WAYLAND_DISPLAY <&4; then
    tail -n 30 "$W/sway.log" >&2
    fail "sway did not start within 30 s (its log above)"
fi
export SWAYSOCK WAYLAND_DISPLAY
echo "sway is up: $WAYLAND_DISPLAY, $SWAYSOCK"

# No --backend: the agent must pick sway from WAYLAND_DISPLAY and SWAYSOCK.
"$BIN" session --print > "$out" 2> "$out.err" &
agent=$!; pids+=("$agent")
"$BIN" session --print --backend wlr > "$wout" 2> "$wout.err" &
wagent=$!; pids+=("$wagent")
both() { expect "$out" "$1"; expect "$wout" "$1"; }
both "focus"

foot --app-id keymapd-one --title one sleep 600 > "$W/foot-one.log" 2>&1 &
pids+=($!); one_pid=$!
both $'focus keymapd-one\tone'
foot --app-id keymapd-two --title two sleep 600 > "$W/foot-two.log" 2>&1 &
pids+=($!); two_pid=$!
both $'focus keymapd-two\ttwo'

swaymsg -q '[app_id=keymapd-one] focus'
both $'focus keymapd-one\tone'
# An empty workspace: nothing is focused; back again.
swaymsg -q workspace 2
both "focus"
swaymsg -q workspace 1
both $'focus keymapd-one\tone'
# Closing the focused window moves the focus; closing the last one leaves none.
kill "$one_pid"
both $'focus keymapd-two\ttwo'
kill "$two_pid"
both "focus"

for o in "$out" "$wout"; do same_lines "$o" "focus" $'focus keymapd-one\tone' $'focus keymapd-two\ttwo' $'focus keymapd-one\tone' \
    "focus" $'focus keymapd-one\tone' $'focus keymapd-two\ttwo' "focus"; done

# sway exiting ends the agent with an error.
swaymsg -q exit 2>/dev/null || true  # sway may go before it answers
rc=0; wait "$agent" || rc=$?
[ "$rc" = 1 ] || fail "the agent exited $rc when sway exited, not 1"
grep -Eq "sway is shutting down|lost the connection to sway" "$out.err" || { cat "$out.err" >&2; fail "no message about sway going"; }
echo "ok: the sway agent exits 1 when sway goes: $(cat "$out.err")"
rc=0; wait "$wagent" || rc=$?
[ "$rc" = 1 ] || fail "the wlr agent exited $rc when sway exited, not 1"
grep -q "lost the connection to the Wayland compositor" "$wout.err" || { cat "$wout.err" >&2; fail "no message about the compositor going"; }
echo "ok: the wlr agent exits 1 when the compositor goes: $(cat "$wout.err")"
