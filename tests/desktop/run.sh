#!/usr/bin/env bash
# The desktop stage: each `keymapd session` backend against the real desktop program from
# Debian's packages, headless, as a plain (non-root) user: compositors refuse root. A backend
# whose server cannot start fails, saying why; none is skipped.
#   tests/desktop/run.sh [x11] [sway] [kde]      (all by default)
# As root it installs its packages and runs the tests as the user keymapd-desktop-test (created
# if missing); as a plain user it runs them as that user, and needs the packages installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=tests/desktop
PKGS=(xvfb xfonts-base openbox xterm xdotool sway kwin-wayland dbus-daemon dbus-bin weston foot fonts-dejavu-core)
TESTS=("$@")
((${#TESTS[@]})) || TESTS=(x11 sway kde)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    [ "$(id -u)" = 0 ] || { echo "desktop: missing packages: ${missing[*]} (run as root to install them)" >&2; exit 1; }
    echo "desktop: apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "${missing[@]}" > /dev/null
fi

# `keymapd session` execs the agent's own program, keymapd-session, from its own directory.
cargo build --locked --quiet --bin keymapd --bin keymapd-session
BIN=${CARGO_TARGET_DIR:-$PWD/target}/debug/keymapd

ROOT=$(mktemp -d /tmp/keymapd-desktop.XXXXXX)
# KEYMAPD_DESKTOP_KEEP=1 keeps the servers' and clients' logs for a look.
if [ "${KEYMAPD_DESKTOP_KEEP:-}" = 1 ]; then echo "desktop: logs kept in $ROOT"; else trap 'rm -rf "$ROOT"' EXIT; fi
chmod 0755 "$ROOT"
cp "$BIN" "${BIN%/*}/keymapd-session" "$HERE"/*.sh "$ROOT"/
chmod 0755 "$ROOT"/*

if [ "$(id -u)" = 0 ]; then
    USER_NAME=keymapd-desktop-test
    id -u "$USER_NAME" >/dev/null 2>&1 \
        || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$USER_NAME"
    as_user() { runuser -u "$USER_NAME" -- "$@"; }
else
    USER_NAME=$(id -un)
    as_user() { "$@"; }
fi

passed=0
failed=()
for t in "${TESTS[@]}"; do
    [ -f "$HERE/$t.sh" ] || { echo "desktop: no test named $t" >&2; exit 2; }
    W=$ROOT/$t
    mkdir -m 0700 "$W" "$W/home" "$W/run"
    chown -R "$USER_NAME" "$W"
    echo "=== desktop: $t (as $USER_NAME)"
    # A clean environment: only what a session would have, nothing from ours.
    if as_user env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$W/home" XDG_RUNTIME_DIR="$W/run" \
        LANG=C.UTF-8 timeout 120 bash "$ROOT/$t.sh" "$ROOT/keymapd" "$W"; then
        passed=$((passed + 1))
    else
        echo "=== desktop: $t FAILED" >&2
        failed+=("$t")
    fi
done
echo "desktop: $passed passed, ${#failed[@]} failed"
((${#failed[@]} == 0))
