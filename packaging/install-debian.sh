#!/bin/bash
# Install keymapd on Debian (or a derivative) from this source tree and start it, as root:
#
#   sudo packaging/install-debian.sh              build, install, start (run again to update)
#   sudo packaging/install-debian.sh --uninstall  stop and remove it again
#
# Steps: build dependencies from apt; cargo if it is there and new enough (Rust 1.85), else
# rustup; `cargo build --release`; the binary, systemd unit, sysusers.d entry, udev rules,
# modules-load.d entry, libinput quirk, man page and shell completions; the example profiles
# into /etc/keymapd if it holds none; the keymapd user; udev reload; uinput; the service.
# Running it again changes only what changed, and restarts the service only then.
#
# --root DIR installs the files into DIR instead (an image or a VM's tree) and prepares it
# offline (user, enabled unit) without starting anything; the test bed boots such a tree.
set -euo pipefail

PROG=${0##*/}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MSRV=1.85

ROOT=/
PREFIX=/usr/local
BUILD=1
BINARY=
START=1
UNINSTALL=0
PURGE=0
CHANGED=0

usage() {
    cat <<EOF
Usage: $PROG [options]

Install keymapd from this source tree on a Debian system and start it (run as root).

Options:
  --root DIR      install into DIR instead of /; prepare it offline and start nothing
  --prefix DIR    installation prefix for the binary and data (default: /usr/local)
  --no-build      do not build; install --binary, or an existing target/release/keymapd
  --binary PATH   the keymapd binary to install (implies --no-build)
  --no-start      install and enable the service, but do not start or restart it
  --uninstall     stop the service and remove every installed file; /etc/keymapd and the
                  keymapd user stay (add --purge to remove /etc/keymapd too)
  -h, --help      this help
EOF
}

say() { printf '%s: %s\n' "$PROG" "$*"; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }

while [ $# -gt 0 ]; do
    case $1 in
        --root) ROOT=${2:?--root needs a directory}; shift ;;
        --root=*) ROOT=${1#*=} ;;
        --prefix) PREFIX=${2:?--prefix needs a directory}; shift ;;
        --prefix=*) PREFIX=${1#*=} ;;
        --no-build) BUILD=0 ;;
        --binary) BINARY=${2:?--binary needs a path}; BUILD=0; shift ;;
        --binary=*) BINARY=${1#*=}; BUILD=0 ;;
        --no-start) START=0 ;;
        --uninstall) UNINSTALL=1 ;;
        --purge) PURGE=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
    shift
done

case $PREFIX in /*) ;; *) die "--prefix must be absolute: $PREFIX" ;; esac
ROOT=$(cd "$ROOT" 2>/dev/null && pwd) || die "--root: no such directory"
[ "$ROOT" = / ] && D= || D=$ROOT      # D is prepended to every installed path
LIVE=0; [ -z "$D" ] && LIVE=1

# Where each piece goes. systemd, udev, sysusers and modules-load all read $PREFIX/lib/... for
# PREFIX=/usr/local as well as /usr; libinput reads quirks only from /usr/share/libinput.
BINDIR=$PREFIX/bin
UNIT=$PREFIX/lib/systemd/system/keymapd.service
SYSUSERS=$PREFIX/lib/sysusers.d/keymapd.conf
UDEV_RULES=$PREFIX/lib/udev/rules.d/70-keymapd.rules
MODULES_LOAD=$PREFIX/lib/modules-load.d/keymapd.conf
QUIRKS=/usr/share/libinput/50-keymapd.quirks
MAN=$PREFIX/share/man/man1/keymapd.1
BASH_COMPLETION=$PREFIX/share/bash-completion/completions/keymapd
ZSH_COMPLETION=$PREFIX/share/zsh/site-functions/_keymapd
FISH_COMPLETION=$PREFIX/share/fish/vendor_completions.d/keymapd.fish
COMPOSE=$PREFIX/share/keymapd/keymapd.compose  # for ~/.XCompose: characters outside ASCII
CONFIG_DIR=/etc/keymapd
INSTALLED=("$BINDIR/keymapd" "$UNIT" "$SYSUSERS" "$UDEV_RULES" "$MODULES_LOAD" "$QUIRKS" "$MAN"
    "$BASH_COMPLETION" "$ZSH_COMPLETION" "$FISH_COMPLETION" "$COMPOSE")

if [ "$LIVE" = 1 ] && [ "$(id -u)" != 0 ]; then
    die "run as root (sudo $0), or use --root DIR to install into a directory"
fi

systemd_running() { [ -d /run/systemd/system ]; }

TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT

# ---- build ---------------------------------------------------------------------------------

apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "apt-get install ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

version_ok() { # "1.95.0" >= $MSRV ?
    local have=$1 major minor
    major=${have%%.*}; minor=${have#*.}; minor=${minor%%.*}
    [ "$major" -gt "${MSRV%%.*}" ] || { [ "$major" -eq "${MSRV%%.*}" ] && [ "$minor" -ge "${MSRV#*.}" ]; }
}

toolchain_ok() {
    local v
    command -v cargo >/dev/null && command -v rustc >/dev/null || return 1
    v=$(rustc --version 2>/dev/null | awk '{print $2}') || return 1
    [ -n "$v" ] && version_ok "$v"
}

ensure_rust() {
    export PATH="$HOME/.cargo/bin:$PATH"
    if toolchain_ok; then
        say "using $(cargo --version)"
        return
    fi
    say "no Rust $MSRV or newer found; installing it with rustup"
    if apt-cache policy rustup 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        apt_install rustup
    else
        apt_install curl ca-certificates
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs \
            | sh -s -- -y --profile minimal --default-toolchain stable --no-modify-path \
            || die "could not install rustup from https://sh.rustup.rs; install Rust $MSRV or newer yourself and run $PROG again"
    fi
    rustup toolchain install stable --profile minimal
    rustup default >/dev/null 2>&1 || rustup default stable
    toolchain_ok || die "rustup did not provide Rust $MSRV or newer"
    say "using $(cargo --version)"
}

build() {
    apt_install build-essential pkg-config libudev-dev
    ensure_rust
    say "cargo build --release (this takes a few minutes the first time)"
    (cd "$SRC" && cargo build --release --locked --package keymapd)
    BINARY=${CARGO_TARGET_DIR:-$SRC/target}/release/keymapd
}

# ---- install files -------------------------------------------------------------------------

# put MODE SRC DEST: install SRC as DEST unless DEST already has the same content and mode.
put() {
    local mode=$1 src=$2 dest=$D$3
    if [ -f "$dest" ] && cmp -s "$src" "$dest" && [ "$(stat -c %a "$dest")" = "${mode#0}" ]; then
        return 0
    fi
    install -D -m "$mode" "$src" "$dest"
    say "installed $3"
    CHANGED=1
}

install_files() {
    local tmp=$TMPD
    put 0755 "$BINARY" "$BINDIR/keymapd"

    sed -e "s|^ExecStart=/usr/bin/keymapd |ExecStart=$BINDIR/keymapd |" \
        "$SRC/packaging/systemd/keymapd.service" > "$tmp/keymapd.service"
    put 0644 "$tmp/keymapd.service" "$UNIT"
    put 0644 "$SRC/packaging/sysusers.d/keymapd.conf" "$SYSUSERS"
    put 0644 "$SRC/udev-rules/70-keymapd.rules" "$UDEV_RULES"
    put 0644 "$SRC/packaging/modules-load.d/keymapd.conf" "$MODULES_LOAD"
    put 0644 "$SRC/packaging/libinput/50-keymapd.quirks" "$QUIRKS"
    put 0644 "$SRC/packaging/compose/keymapd.compose" "$COMPOSE"

    # Man page and completions are generated by the binary itself (from its clap definition).
    if "$BINARY" man > "$tmp/keymapd.1" 2>/dev/null && [ -s "$tmp/keymapd.1" ]; then
        put 0644 "$tmp/keymapd.1" "$MAN"
    else
        warn "this keymapd cannot generate its man page (keymapd man); skipped"
    fi
    local shell dest
    for shell in bash zsh fish; do
        case $shell in
            bash) dest=$BASH_COMPLETION ;; zsh) dest=$ZSH_COMPLETION ;; fish) dest=$FISH_COMPLETION ;;
        esac
        if "$BINARY" completions "$shell" > "$tmp/completion.$shell" 2>/dev/null && [ -s "$tmp/completion.$shell" ]; then
            put 0644 "$tmp/completion.$shell" "$dest"
        else
            warn "this keymapd cannot generate $shell completions (keymapd completions $shell); skipped"
        fi
    done

    # Example profiles, only into an empty configuration directory: never over the admin's.
    install -d -m 0755 "$D$CONFIG_DIR"
    if ! compgen -G "$D$CONFIG_DIR/*.toml" > /dev/null; then
        local p
        for p in "$SRC"/profiles/*.toml; do
            [ -e "$p" ] || continue
            put 0644 "$p" "$CONFIG_DIR/${p##*/}"
        done
    fi
}

# ---- set up the system ---------------------------------------------------------------------

prepare_offline() {
    # The user and groups, and the enabled unit, inside the tree; the rest happens at its boot
    # (systemd-modules-load loads uinput, systemd-udevd applies the rules at coldplug).
    systemd-sysusers --root="$ROOT" "$D$SYSUSERS"
    systemctl --root="$ROOT" enable keymapd.service
}

activate() {
    systemd-sysusers "$SYSUSERS"
    type -P kill >/dev/null || apt_install procps  # the unit's ExecReload runs kill
    modprobe uinput || warn "modprobe uinput failed; keymapd will not be able to create its keyboard"
    if command -v udevadm >/dev/null && udevadm control --reload 2>/dev/null; then
        udevadm trigger --action=change --subsystem-match=misc --sysname-match=uinput
        udevadm trigger --action=change --subsystem-match=input
        udevadm settle || true
    else
        warn "systemd-udevd is not running; the udev rules apply from its next start"
    fi

    if ! "$D$BINDIR/keymapd" check "$CONFIG_DIR"; then
        die "the profiles in $CONFIG_DIR are not valid (see above); fix them and run $PROG again"
    fi

    if ! systemd_running; then
        warn "systemd is not running here; start keymapd with: systemctl enable --now keymapd"
        return
    fi
    systemctl daemon-reload
    systemctl enable keymapd.service
    [ "$START" = 1 ] || { say "installed; start it with: systemctl start keymapd"; return; }
    if systemctl is-active --quiet keymapd.service; then
        if [ "$CHANGED" = 1 ]; then
            say "restarting keymapd"
            systemctl restart keymapd.service
        fi
    else
        say "starting keymapd"
        systemctl start keymapd.service
    fi
    systemctl is-active --quiet keymapd.service \
        || die "keymapd did not start; see: journalctl -u keymapd"
    say "keymapd is running. Profiles: $CONFIG_DIR/*.toml (apply edits: systemctl reload keymapd)"
}

uninstall() {
    if [ "$LIVE" = 1 ] && systemd_running; then
        systemctl disable --now keymapd.service 2>/dev/null || true
    elif [ "$LIVE" = 0 ]; then
        systemctl --root="$ROOT" disable keymapd.service 2>/dev/null || true
    fi
    local f
    for f in "${INSTALLED[@]}"; do
        if [ -e "$D$f" ]; then
            rm -f "$D$f"
            say "removed $f"
        fi
    done
    if [ "$PURGE" = 1 ] && [ -d "$D$CONFIG_DIR" ]; then
        rm -rf "${D:?}$CONFIG_DIR"
        say "removed $CONFIG_DIR"
    fi
    if [ "$LIVE" = 1 ]; then
        systemd_running && systemctl daemon-reload
        if command -v udevadm >/dev/null && udevadm control --reload 2>/dev/null; then
            udevadm trigger --action=change --subsystem-match=misc --sysname-match=uinput
            udevadm settle || true
        fi
        # udev leaves a node's owner as it was when no rule speaks of it any more: give
        # /dev/uinput back the kernel's default (root only), unless another rule claims it.
        if [ -c /dev/uinput ] && [ "$(stat -c %G /dev/uinput)" = uinput ] \
            && ! grep -qs 'KERNEL=="uinput".*GROUP=' /etc/udev/rules.d/*.rules /run/udev/rules.d/*.rules \
                /usr/local/lib/udev/rules.d/*.rules /usr/lib/udev/rules.d/*.rules; then
            chown root:root /dev/uinput && chmod 0600 /dev/uinput
            say "/dev/uinput is root:root 0600 again"
        fi
    fi
    say "keymapd is uninstalled; the user keymapd and group uinput remain (userdel keymapd; groupdel uinput)"
}

if [ "$UNINSTALL" = 1 ]; then
    uninstall
    exit 0
fi

if [ "$BUILD" = 1 ]; then
    build
elif [ -z "$BINARY" ]; then
    BINARY=${CARGO_TARGET_DIR:-$SRC/target}/release/keymapd
fi
[ -x "$BINARY" ] || die "no keymapd binary at $BINARY (build it, or pass --binary PATH)"

install_files
if [ "$LIVE" = 1 ]; then
    activate
else
    prepare_offline
    say "installed into $ROOT"
fi
