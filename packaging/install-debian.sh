#!/bin/bash
# Install keymapd on Debian (or a derivative) from this source tree and start it, as root:
#
#   sudo packaging/install-debian.sh              build, install, start (run again to update)
#   sudo packaging/install-debian.sh --uninstall  stop and remove it again
#
# Steps: build dependencies from apt; cargo if it is there and new enough (Rust 1.85), else
# rustup; `cargo build --release`; the programs (keymapd, keymapd-daemon, keymapd-session), systemd unit, the session agent's user unit (enabled
# for every user), sysusers.d entry, udev rules,
# modules-load.d entry, man pages (1, 5) and shell completions; where GNOME Shell is installed, the
# session agent's Shell extension; the example profiles
# into /usr/share/doc/keymapd/examples (none is enabled: /etc/keymapd is created empty, and the
# daemon remaps nothing until a profile is copied there); what it needs to run (kmod, udev);
# the keymapd user; udev reload; uinput; the service. Running it again changes only what
# changed, and restarts the service only then. It exits non-zero when the service could not
# be started (no systemd as PID 1, say), after saying what it could not do.
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
  --prefix DIR    installation prefix for the programs and data (default: /usr/local)
  --no-build      do not build; install --binary, or an existing target/release/keymapd
  --binary PATH   the keymapd binary to install (implies --no-build); the daemon's and the
                  session agent's own programs, keymapd-daemon and keymapd-session, are
                  taken from beside it
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
# PREFIX=/usr/local as well as /usr.
BINDIR=$PREFIX/bin
UNIT=$PREFIX/lib/systemd/system/keymapd.service
USER_UNIT=$PREFIX/lib/systemd/user/keymapd-session.service
SYSUSERS=$PREFIX/lib/sysusers.d/keymapd.conf
UDEV_RULES=$PREFIX/lib/udev/rules.d/70-keymapd.rules
MODULES_LOAD=$PREFIX/lib/modules-load.d/keymapd.conf
# What an earlier version installed and this one removes: the libinput quirk that marked the one
# shared virtual keyboard internal (each keyboard now has a clone of its own identity).
LEGACY=(/usr/share/libinput/50-keymapd.quirks)
MAN=$PREFIX/share/man/man1/keymapd.1
MAN5=$PREFIX/share/man/man5/keymapd.toml.5
BASH_COMPLETION=$PREFIX/share/bash-completion/completions/keymapd
ZSH_COMPLETION=$PREFIX/share/zsh/site-functions/_keymapd
FISH_COMPLETION=$PREFIX/share/fish/vendor_completions.d/keymapd.fish
# GNOME Shell reads system-wide extensions from /usr/share (each user enables it).
GNOME_EXT_UUID=keymapd@keymapd.github.io
GNOME_EXT=/usr/share/gnome-shell/extensions/$GNOME_EXT_UUID
COMPOSE=$PREFIX/share/keymapd/keymapd.compose  # for ~/.XCompose: characters outside ASCII
EXAMPLES=/usr/share/doc/keymapd/examples
CONFIG_DIR=/etc/keymapd
INSTALLED=("$BINDIR/keymapd" "$BINDIR/keymapd-daemon" "$BINDIR/keymapd-session" "$UNIT" "$USER_UNIT" "$SYSUSERS" "$UDEV_RULES" "$MODULES_LOAD" "$MAN" "$MAN5"
    "$BASH_COMPLETION" "$ZSH_COMPLETION" "$FISH_COMPLETION" "$COMPOSE"
    "$GNOME_EXT/metadata.json" "$GNOME_EXT/extension.js")
for p in "$SRC"/profiles/*.toml; do
    [ -e "$p" ] && INSTALLED+=("$EXAMPLES/${p##*/}")
done

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
    command -v apt-get >/dev/null || die "${missing[*]} missing, and no apt-get to install them: install them yourself and run $PROG again"
    say "apt-get install ${missing[*]}"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
        || die "apt-get could not install ${missing[*]} (see above); install them yourself and run $PROG again"
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
    # `keymapd run` and `keymapd session` exec these, which they find beside themselves.
    for p in keymapd-daemon keymapd-session; do
        put 0755 "${BINARY%/*}/$p" "$BINDIR/$p"
    done

    sed -e "s|^ExecStart=/usr/bin/keymapd |ExecStart=$BINDIR/keymapd |" \
        "$SRC/packaging/systemd/keymapd.service" > "$tmp/keymapd.service"
    put 0644 "$tmp/keymapd.service" "$UNIT"
    sed -e "s|^ExecStart=/usr/bin/keymapd |ExecStart=$BINDIR/keymapd |" \
        "$SRC/packaging/systemd/keymapd-session.service" > "$tmp/keymapd-session.service"
    put 0644 "$tmp/keymapd-session.service" "$USER_UNIT"
    put 0644 "$SRC/packaging/sysusers.d/keymapd.conf" "$SYSUSERS"
    put 0644 "$SRC/udev-rules/70-keymapd.rules" "$UDEV_RULES"
    put 0644 "$SRC/packaging/modules-load.d/keymapd.conf" "$MODULES_LOAD"
    put 0644 "$SRC/packaging/compose/keymapd.compose" "$COMPOSE"
    local old
    for old in "${LEGACY[@]}"; do
        if [ -e "$D$old" ]; then
            rm -f "$D$old"
            say "removed $old (no longer needed)"
        fi
    done

    # The man pages, as committed in docs/man (rendered from the source; tests/docs.rs keeps
    # them current). The completions are generated by the binary (from its clap definition).
    put 0644 "$SRC/docs/man/keymapd.1" "$MAN"
    put 0644 "$SRC/docs/man/keymapd.toml.5" "$MAN5"
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

    # The Shell extension that tells the session agent the focused window, where GNOME runs.
    # One copy for GNOME Shell 43 and 44, one for 45 and later (ES modules).
    if [ -x "$D/usr/bin/gnome-shell" ]; then
        local shell_version ext_src
        shell_version=$(dpkg-query --admindir="$D/var/lib/dpkg" -W -f='${Version}' gnome-shell 2>/dev/null \
            || "$D/usr/bin/gnome-shell" --version 2>/dev/null | sed -n 's/^GNOME Shell //p') || true
        ext_src=$SRC/packaging/gnome-shell/45/$GNOME_EXT_UUID
        [[ $shell_version =~ ^(43|44)[.~+-] ]] && ext_src=$SRC/packaging/gnome-shell/43/$GNOME_EXT_UUID
        put 0644 "$ext_src/metadata.json" "$GNOME_EXT/metadata.json"
        put 0644 "$ext_src/extension.js" "$GNOME_EXT/extension.js"
        say "GNOME Shell: each user enables the extension with: gnome-extensions enable $GNOME_EXT_UUID"
    fi

    # The example profiles are documentation: none is enabled by installing. /etc/keymapd is
    # created empty (never touched when it exists); the daemon remaps nothing until a profile
    # is copied there, and says so.
    local p
    for p in "$SRC"/profiles/*.toml; do
        [ -e "$p" ] || continue
        put 0644 "$p" "$EXAMPLES/${p##*/}"
    done
    if [ ! -d "$D$CONFIG_DIR" ]; then
        install -d -m 0755 "$D$CONFIG_DIR"
        say "created $CONFIG_DIR (empty: no profile is enabled)"
    fi
}

has_profiles() { compgen -G "$D$CONFIG_DIR/*.toml" > /dev/null; }

# What enabling an example looks like, for the messages below and README's quick start.
ENABLE_HINT="cp $EXAMPLES/usb-keyboard.toml $CONFIG_DIR/   (then: keymapd check; keymapd list)"

# ---- set up the system ---------------------------------------------------------------------

prepare_offline() {
    # The user and groups, and the enabled unit, inside the tree; the rest happens at its boot
    # (systemd-modules-load loads uinput, systemd-udevd applies the rules at coldplug).
    systemd-sysusers --root="$ROOT" "$D$SYSUSERS"
    systemctl --root="$ROOT" enable keymapd.service
    systemctl --root="$ROOT" --global enable keymapd-session.service
}

# The system user and groups: systemd-sysusers where systemd is installed, else the same
# entries (packaging/sysusers.d/keymapd.conf) with groupadd and useradd.
create_user() {
    if command -v systemd-sysusers >/dev/null; then
        systemd-sysusers "$SYSUSERS"
        return
    fi
    getent group uinput >/dev/null || groupadd --system uinput
    getent group input >/dev/null || groupadd --system input
    if ! getent passwd keymapd >/dev/null; then
        useradd --system --no-create-home --home-dir / --shell /usr/sbin/nologin \
            --comment "keymapd keyboard remapping daemon" --user-group keymapd
        say "created the system user keymapd"
    fi
    usermod -a -G input,uinput keymapd
}

activate() {
    local problems=() out
    # What the daemon and this script need on a minimal Debian: libudev (the binary), modprobe
    # (kmod), udevadm and the udev rules' daemon (udev), kill for the unit's ExecReload (procps).
    local need=(libudev1)
    command -v modprobe >/dev/null || need+=(kmod)
    command -v udevadm >/dev/null || need+=(udev)
    type -P kill >/dev/null || need+=(procps)
    apt_install "${need[@]}"
    create_user

    if ! out=$(modprobe uinput 2>&1); then
        problems+=("load the uinput module (modprobe uinput: ${out:-failed}); keymapd cannot create its keyboard without it")
    fi
    if udevadm control --reload 2>/dev/null; then
        udevadm trigger --action=change --subsystem-match=misc --sysname-match=uinput
        udevadm trigger --action=change --subsystem-match=input
        udevadm settle || true
    else
        problems+=("apply the udev rules now: systemd-udevd is not running (they apply from its next start)")
    fi

    if has_profiles; then
        if ! "$D$BINDIR/keymapd" check "$CONFIG_DIR"; then
            die "the profiles in $CONFIG_DIR are not valid (see above); fix them and run $PROG again"
        fi
    else
        say "no profile in $CONFIG_DIR: keymapd starts and remaps nothing until one is there; to enable an example:"
        say "  $ENABLE_HINT"
    fi

    # The session agent, for every user, from their next graphical login (links only: no
    # running systemd needed).
    if ! { command -v systemctl >/dev/null && systemctl --global enable --quiet keymapd-session.service; }; then
        problems+=("enable the session agent for every user: systemctl --global enable keymapd-session.service")
    fi
    if ! systemd_running; then
        problems+=("start the service: systemd is not running as PID 1 here (a container or chroot?); on a systemd machine: systemctl enable --now keymapd, or run \`$BINDIR/keymapd run\` as root")
        report "${problems[@]}"
        exit 1
    fi
    systemctl daemon-reload
    systemctl enable --quiet keymapd.service
    if [ "$START" = 0 ]; then
        report "${problems[@]}"
        say "installed; start it with: systemctl start keymapd"
        return
    fi
    if systemctl is-active --quiet keymapd.service; then
        if [ "$CHANGED" = 1 ]; then
            say "restarting keymapd"
            systemctl restart keymapd.service || true
        fi
    else
        say "starting keymapd"
        systemctl start keymapd.service || true
    fi
    if ! systemctl is-active --quiet keymapd.service; then
        problems+=("start the service: keymapd did not start; see: journalctl -u keymapd")
        report "${problems[@]}"
        exit 1
    fi
    report "${problems[@]}"
    if has_profiles; then
        say "keymapd is running. Profiles: $CONFIG_DIR/*.toml (edits apply on save; keymapd list shows the claims)"
    else
        say "keymapd is running with no profile (it remaps nothing). To enable one: $ENABLE_HINT"
    fi
}

# report PROBLEM...: what could not be done, one line each, on stderr.
report() {
    [ $# -gt 0 ] || return 0
    local p
    printf '%s: could not:\n' "$PROG" >&2
    for p in "$@"; do
        printf '  - %s\n' "$p" >&2
    done
}

uninstall() {
    if [ "$LIVE" = 1 ] && command -v systemctl >/dev/null; then
        # Links only: works without a running systemd too.
        systemctl --global disable --quiet keymapd-session.service 2>/dev/null || true
    fi
    if [ "$LIVE" = 1 ] && systemd_running; then
        systemctl disable --now keymapd.service 2>/dev/null || true
    elif [ "$LIVE" = 0 ]; then
        systemctl --root="$ROOT" disable keymapd.service 2>/dev/null || true
        systemctl --root="$ROOT" --global disable keymapd-session.service 2>/dev/null || true
    fi
    local f
    for f in "${INSTALLED[@]}" "${LEGACY[@]}"; do
        if [ -e "$D$f" ]; then
            rm -f "$D$f"
            say "removed $f"
        fi
    done
    rmdir "$D$EXAMPLES" "$D${EXAMPLES%/*}" 2>/dev/null || true
    rmdir "$D$GNOME_EXT" 2>/dev/null || true
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
for p in keymapd-daemon keymapd-session; do
    [ -x "${BINARY%/*}/$p" ] || die "no ${BINARY%/*}/$p beside $BINARY: keymapd run and keymapd session exec it (cargo build --package keymapd builds all three)"
done

install_files
if [ "$LIVE" = 1 ]; then
    activate
else
    prepare_offline
    say "installed into $ROOT"
fi
