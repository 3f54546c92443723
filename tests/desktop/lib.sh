# shellcheck shell=bash
# Helpers for the desktop backend tests (sourced). Each test runs as a plain user in its own
# work directory $W, starts a real display server, and checks `keymapd session --print`.

fail() { echo "FAIL: $*" >&2; exit 1; }

# start_test: what every backend test starts with. The processes it records in `pids` are
# killed when it exits; no display from the caller's environment leaks in.
pids=()
stop_all() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
start_test() {
    trap stop_all EXIT
    unset DISPLAY WAYLAND_DISPLAY SWAYSOCK
    [ -d "${XDG_RUNTIME_DIR:-}" ] || fail "XDG_RUNTIME_DIR is not a directory"
}

# expect OUT LINE: wait (20 s at most) until the agent has printed LINE as its latest line.
# A bounded wait in the test only: the agent itself blocks on the display server.
expect() {
    local out=$1 line=$2 i
    for ((i = 0; i < 200; i++)); do
        [ "$(tail -n 1 "$out" 2>/dev/null)" = "$line" ] && { echo "ok: $(printf '%q' "$line")"; return 0; }
        sleep 0.1
    done
    echo "--- agent output:" >&2; cat "$out" >&2
    echo "--- agent stderr:" >&2; cat "$out.err" >&2 2>/dev/null || true
    fail "expected the line $(printf '%q' "$line")"
}

# same_lines OUT EXPECTED...: the whole output, line for line (one line per change, no repeats).
same_lines() {
    local out=$1
    shift
    if ! diff <(printf '%s\n' "$@") "$out" >&2; then
        fail "the agent's output is not the expected sequence (diff above: < expected, > got)"
    fi
    echo "ok: the whole sequence ($#)"
}
