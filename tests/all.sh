#!/usr/bin/env bash
# The whole test suite, VM included: README's test command, and exactly what CI runs (.ci/run).
# As root on a fresh Debian machine it installs its own system packages; downloads are cached.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n=== %s\n' "$*"; }

# Build dependencies of the crate itself (udev's -sys crate needs libudev and pkg-config).
need=()
for pkg in pkg-config libudev-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if ((${#need[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "tests/all.sh: missing packages: ${need[*]} (run as root to install them)" >&2
        exit 1
    fi
    log "apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

stages=(
    "format:cargo fmt --all -- --check"
    "lint:cargo clippy --workspace --all-targets --locked -- -D warnings"
    "unit and integration tests:cargo test --workspace --locked --no-fail-fast"
    "fuzzing (bounded):bash tests/fuzz.sh"
    "packaging:bash tests/packaging/run.sh"
    "keymapd show --svg in headless Chromium:bash tests/show-svg.sh"
    "desktop (session agent backends: Xvfb + openbox, sway via IPC and wlr-foreign-toplevel, KWin):bash tests/desktop/run.sh"
    "vm (busybox init, real udevd):bash tests/vm/run.sh"
    "vm (real systemd, installed service):bash tests/vm/systemd-boot.sh"
)
passed=0
failed=()
for stage in "${stages[@]}"; do
    name=${stage%%:*}
    cmd=${stage#*:}
    log "$name: $cmd"
    if bash -c "$cmd"; then
        passed=$((passed + 1))
    else
        echo "=== FAILED: $name" >&2
        failed+=("$name")
    fi
done

echo
if ((${#failed[@]})); then
    printf 'failed stages: %s\n' "${failed[*]}"
fi
echo "all: $passed passed, ${#failed[@]} failed"
((${#failed[@]} == 0))
