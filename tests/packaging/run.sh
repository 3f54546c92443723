#!/bin/bash
# Host-side checks of packaging/, udev-rules/ and flake.nix, with the real tools:
#   - systemd-analyze verify, and systemd-analyze security --offline below the exposure bar;
#   - the unit keeps the settings the design depends on;
#   - systemd-sysusers creates the user and groups in a scratch root;
#   - no libinput quirk is shipped (each keyboard reaches libinput as a clone of itself);
#   - every .nix file parses; the NixOS renderer (builtins only) turns the documented keyd-style
#     configuration into profile data, which json2toml (remarshal, what pkgs.formats.toml's
#     generate runs) writes as TOML that `keymapd check` accepts and that remaps as written
#     (`keymapd test --script`); the module evaluates against a stand-in nixpkgs, its build
#     script assembles the same files plus extraConfig (keyd syntax, converted with import-keyd,
#     its notes as warnings) and extraToml, and rejects a bad profile; package.nix's postInstall
#     (with stand-ins of nixpkgs' setup functions) ships the session agent's user unit as
#     packaging/systemd has it but for ExecStart; services.keymapd.session.enable off and on,
#     GNOME off and on (43, 47, 50): the user unit's WantedBy, the GNOME Shell extension's package
#     for that version (built: its files, metadata.json), its dconf default, the assertions;
#   - install-debian.sh installs into a scratch root (with GNOME Shell's extension where
#     gnome-shell is), is idempotent, and uninstalls; the man
#     pages keymapd(1) and keymapd.toml(5) render with man(1) and pass mandoc's lint, the bash, zsh and fish completions load and complete;
#   - install-debian.sh live in a fresh minimal Debian (debootstrap, chroot: no systemd running):
#     installs kmod and udev, enables no profile, says it cannot start the service, exits 1;
#   - `cargo install --path .` installs a working binary;
#   - shellcheck.
# Nothing is skipped: as root it installs every tool it needs (apt-get; remarshal from PyPI into
# a cached venv), and a missing tool is a failure that says what to install.
# Closing line: `packaging: N passed, M failed`. Exit status non-zero on any failure.
#
# Environment: KEYMAPD_BIN=path to use a built keymapd instead of building target/debug/keymapd.
#              SECURITY_THRESHOLD (default 10: exposure 1.0 on systemd's 0-10 scale).
#              KEYMAPD_PACKAGING_CACHE (default ~/.cache/keymapd-packaging): remarshal's venv.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
THRESHOLD=${SECURITY_THRESHOLD:-10}
PASSED=0
FAILED=0
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

pass() { PASSED=$((PASSED + 1)); printf 'PASS %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$*"; }
# check NAME CMD...: pass if CMD succeeds, else fail and show its output.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        pass "$name"
    else
        fail "$name"
        printf '%s\n' "$out" | sed 's/^/    /' | tail -n 25
    fi
}

# ---- tools ---------------------------------------------------------------------------------
# Each tool, and the Debian package that has it. Every check below runs; one whose tool is
# missing fails (`tool` says which package to install).
declare -A PACKAGE_OF=([systemd-analyze]=systemd [nix-instantiate]=nix-bin
    [python3]=python3 [man]=man-db [mandoc]=mandoc [zsh]=zsh [fish]=fish [shellcheck]=shellcheck [debootstrap]=debootstrap)
need=()
for t in "${!PACKAGE_OF[@]}"; do
    command -v "$t" >/dev/null || need+=("${PACKAGE_OF[$t]}")
done
# remarshal's venv (below) needs venv and ensurepip, which Debian's python3 has in python3-venv.
if [ ! -x "${KEYMAPD_PACKAGING_CACHE:-$HOME/.cache/keymapd-packaging}/remarshal-1.3.0/bin/json2toml" ] \
    && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    need+=(python3-venv)
fi
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing ${need[*]}"
        { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"; } \
            > "$WORK/apt.log" 2>&1 || { tail -n 20 "$WORK/apt.log"; echo "apt-get failed"; }
    else
        echo "missing tools (packages: ${need[*]}) and not root to install them: those checks will fail"
    fi
fi
PCACHE=${KEYMAPD_PACKAGING_CACHE:-$HOME/.cache/keymapd-packaging}
# tool NAME: true if NAME is there, else says which package has it (and the check fails).
tool() {
    command -v "$1" >/dev/null && return 0
    echo "$1 is not installed (Debian package ${PACKAGE_OF[$1]:-?}; run this script as root to install it)"
    return 1
}

# remarshal's json2toml, which nixpkgs' pkgs.formats.toml runs on builtins.toJSON's output.
# The newest release whose Python requirement Debian 12's python3 (3.11) meets, and the
# tomlkit it writes with, pinned so that the output does not change under the test. Installed
# from PyPI into a venv, once; kept in the cache.
REMARSHAL=remarshal==1.3.0
TOMLKIT=tomlkit==0.14.0
REMARSHAL_VENV=${KEYMAPD_PACKAGING_CACHE:-$HOME/.cache/keymapd-packaging}/remarshal-1.3.0
JSON2TOML=$REMARSHAL_VENV/bin/json2toml
if ! "$JSON2TOML" --version >/dev/null 2>&1; then
    echo "installing $REMARSHAL ($TOMLKIT) into $REMARSHAL_VENV"
    rm -rf "$REMARSHAL_VENV"
    if ! { python3 -m venv "$REMARSHAL_VENV" && "$REMARSHAL_VENV/bin/pip" install -q "$REMARSHAL" "$TOMLKIT"; } \
        > "$WORK/pip.log" 2>&1; then
        tail -n 20 "$WORK/pip.log"
        echo "could not install $REMARSHAL from PyPI: the NixOS rendering checks will fail"
        rm -rf "$REMARSHAL_VENV"
    fi
fi
json2toml() { # JSON-FILE TOML-FILE, as pkgs.formats.toml's generate: json2toml "$valuePath" "$out"
    [ -x "$JSON2TOML" ] || { echo "json2toml missing: $REMARSHAL did not install (see above)"; return 1; }
    "$JSON2TOML" "$1" "$2"
}

if [ -n "${KEYMAPD_BIN:-}" ]; then
    BIN=$(realpath "$KEYMAPD_BIN")  # used from other directories below
else
    echo "building keymapd (cargo build --package keymapd)"
    (cd "$REPO" && cargo build -q --package keymapd) || { fail "cargo build"; }
    BIN=${CARGO_TARGET_DIR:-$REPO/target}/debug/keymapd
fi
[ -x "$BIN" ] || { fail "keymapd binary at $BIN"; echo "packaging: $PASSED passed, $FAILED failed"; exit 1; }

# ---- systemd unit --------------------------------------------------------------------------
UNIT_SRC=$REPO/packaging/systemd/keymapd.service
mkdir -p "$WORK/unit"
# As install-debian.sh installs it: ExecStart pointing at a real binary.
sed "s|^ExecStart=/usr/bin/keymapd |ExecStart=$BIN |" "$UNIT_SRC" > "$WORK/unit/keymapd.service"

check "systemd-analyze verify keymapd.service" \
    systemd-analyze verify --man=no "$WORK/unit/keymapd.service"

security=$(cd "$WORK/unit" && systemd-analyze security --offline=true --threshold="$THRESHOLD" keymapd.service 2>&1)
rc=$?
score=$(printf '%s\n' "$security" | sed -n 's/.*Overall exposure level for keymapd.service: \([0-9.]*\).*/\1/p')
bar=$(awk -v t="$THRESHOLD" 'BEGIN { printf "%.1f", t / 10 }')
if [ $rc = 0 ] && [ -n "$score" ]; then
    pass "systemd-analyze security: exposure $score (bar: $bar)"
else
    fail "systemd-analyze security: exposure ${score:-?} above the bar $bar"
    printf '%s\n' "$security" | grep '✗' | sed 's/^/    /'
fi

# The session agent's user unit, as install-debian.sh installs it.
sed "s|^ExecStart=/usr/bin/keymapd |ExecStart=$BIN |" "$REPO/packaging/systemd/keymapd-session.service" \
    > "$WORK/unit/keymapd-session.service"
mkdir -m 0700 "$WORK/user-runtime"
check "systemd-analyze --user verify keymapd-session.service" bash -c \
    "cd '$WORK/unit' && XDG_RUNTIME_DIR='$WORK/user-runtime' systemd-analyze --user verify --man=no keymapd-session.service"
check "user unit: in the graphical session, stopped with it, not restarted when no backend fits" bash -c \
    "f='$REPO/packaging/systemd/keymapd-session.service'; grep -qx 'WantedBy=graphical-session.target' \"\$f\" \
    && grep -qx 'PartOf=graphical-session.target' \"\$f\" && grep -qx 'RestartPreventExitStatus=2' \"\$f\" \
    && grep -q '^ExecStart=/usr/bin/keymapd session\$' \"\$f\""

# The settings the daemon's design relies on, and those the security score does not see.
unit_has() { grep -qx -- "$1" "$UNIT_SRC"; }
unit_lacks() { ! grep -q -- "$1" "$UNIT_SRC"; }
check "unit: Type=notify, reload by SIGHUP, restart on failure" \
    bash -c "grep -qx 'Type=notify' '$UNIT_SRC' && grep -qx 'ExecReload=kill -HUP \$MAINPID' '$UNIT_SRC' && grep -qx 'Restart=on-failure' '$UNIT_SRC'"
check "unit: non-root user in groups input and uinput" \
    bash -c "grep -qx 'User=keymapd' '$UNIT_SRC' && grep -qx 'SupplementaryGroups=input uinput' '$UNIT_SRC'"
check "unit: devices closed but for char-input and /dev/uinput" \
    bash -c "grep -qx 'DevicePolicy=closed' '$UNIT_SRC' && [ \"\$(grep '^DeviceAllow=' '$UNIT_SRC' | sort | tr '\n' ' ')\" = 'DeviceAllow=/dev/uinput rw DeviceAllow=char-input rw ' ]"
check "unit: no capabilities, AF_UNIX and AF_NETLINK only" \
    bash -c "grep -qx 'CapabilityBoundingSet=' '$UNIT_SRC' && grep -qx 'RestrictAddressFamilies=AF_UNIX AF_NETLINK' '$UNIT_SRC' && grep -qx 'IPAddressDeny=any' '$UNIT_SRC'"
# PrivateNetwork=yes would cut the udev monitor off from systemd-udevd's events (systemd.exec(5)).
# The control socket tells users apart by SO_PEERCRED: a private user namespace would map the
# active session's user to nobody.
check "unit: PrivateUsers=no (the control socket needs real peer uids), RuntimeDirectory=keymapd" \
    bash -c "grep -qx 'PrivateUsers=no' '$UNIT_SRC' && grep -qx 'RuntimeDirectory=keymapd' '$UNIT_SRC'"
check "unit: no PrivateNetwork (udev monitor), no PrivateDevices (keyboards)" \
    bash -c "! grep -q '^PrivateNetwork=yes' '$UNIT_SRC' && ! grep -q '^PrivateDevices=yes' '$UNIT_SRC'"

# ---- sysusers, udev, libinput --------------------------------------------------------------
mkdir -p "$WORK/sysroot/etc"
printf 'root:x:0:0:root:/root:/bin/bash\n' > "$WORK/sysroot/etc/passwd"
printf 'root:x:0:\ninput:x:101:\n' > "$WORK/sysroot/etc/group"
if systemd-sysusers --root="$WORK/sysroot" "$REPO/packaging/sysusers.d/keymapd.conf" > "$WORK/sysusers.log" 2>&1 \
    && grep -q '^keymapd:x:[0-9]*:[0-9]*:.*:/usr/sbin/nologin$' "$WORK/sysroot/etc/passwd" \
    && grep -qx 'input:x:101:keymapd' "$WORK/sysroot/etc/group" \
    && grep -q '^uinput:x:[0-9]*:keymapd$' "$WORK/sysroot/etc/group"; then
    pass "systemd-sysusers: user keymapd, in input (existing) and uinput (created)"
else
    fail "systemd-sysusers: user keymapd, in input (existing) and uinput (created)"
    cat "$WORK/sysusers.log" "$WORK/sysroot/etc/passwd" "$WORK/sysroot/etc/group" | sed 's/^/    /'
fi

check "udev rules: uinput to group uinput 0660 with static_node" \
    grep -q '^SUBSYSTEM=="misc", KERNEL=="uinput", OPTIONS+="static_node=uinput", GROUP="uinput", MODE="0660"$' \
    "$REPO/udev-rules/70-keymapd.rules"
check "modules-load.d loads uinput" grep -qx uinput "$REPO/packaging/modules-load.d/keymapd.conf"

check "no libinput quirk is shipped (each keyboard has a virtual clone of its own identity)" \
    test ! -e "$REPO/packaging/libinput"

# ---- Nix -----------------------------------------------------------------------------------
while IFS= read -r f; do
    check "nix parse ${f#"$REPO"/}" nix-instantiate --parse "$f"
done < <(find "$REPO/flake.nix" "$REPO/packaging" "$REPO/tests/packaging" -name '*.nix' | sort)

# The configuration from the issue, keyd's NixOS options with keyd renamed to keymapd.
cat > "$WORK/keyboards.nix" <<'EOF'
let
  swapLeftAltLeftControl = { leftalt = "leftcontrol"; leftcontrol = "leftalt"; };
in
{
  usb_keyboard = {
    ids = [ "usb:kb" ];
    settings.main = {
      leftcontrol = "leftmeta";
      leftmeta = "leftcontrol";
      rightalt = "rightmeta";
      rightmeta = "rightalt";
    };
  };
  laptop_keyboard = { ids = [ "laptop:kb" ]; settings.main = swapLeftAltLeftControl; };
  everything = {
    settings = {
      main = { capslock = "layer(nav)"; "102nd" = "esc"; };
      "nav:C" = { h = "left"; j = "down"; };
    };
    extraToml = ''
      [extra]
      l = "right"
    '';
  };
  # services.keyd's own documented extraConfig, keyd syntax, renamed key for key; and a
  # setting keymapd lacks, which import-keyd comments out with a note (a build warning).
  keyd_style = {
    ids = [ "046d:c52b" ];
    settings.main.capslock = "overload(control, esc)";
    extraConfig = ''
      [control+shift]
      h = left

      [global]
      layer_indicator = 1
    '';
  };
}
EOF
# render.nix's data for each profile, as builtins.toJSON hands it to pkgs.formats.toml's
# generate (its `value`, passed as a file: DIR.json/NAME), turned into TOML the same way:
# `json2toml "$valuePath" "$out"`, into DIR/NAME.
render_into() { # DIR KEYBOARDS-EXPR
    local dir=$1 f
    mkdir -p "$dir" "$dir.json"
    nix-instantiate --eval --strict --json -E \
        "builtins.mapAttrs (_: builtins.toJSON) (import $REPO/packaging/nixos/render.nix ($2))" > "$dir.all.json" \
        || return 1
    python3 - "$dir.all.json" "$dir.json" <<'PY' || return 1
import json, os, sys
for name, value in json.load(open(sys.argv[1])).items():
    with open(os.path.join(sys.argv[2], name), "w") as f:
        f.write(value)
PY
    for f in "$dir.json"/*; do
        json2toml "$f" "$dir/${f##*/}" || return 1
    done
}
check "nix render: keyd-style keyboards evaluate with builtins only; json2toml writes them" \
    render_into "$WORK/rendered" "import $WORK/keyboards.nix"
check "nix render: one file per keyboard" \
    test "$(cd "$WORK/rendered" 2>/dev/null && printf '%s ' *)" = "everything.toml keyd_style.toml laptop_keyboard.toml usb_keyboard.toml "
has_lines() { # FILE LINE...: FILE has each LINE, exactly
    local file=$1 line
    shift
    for line in "$@"; do grep -qxF -- "$line" "$file" || { echo "no line: $line"; cat "$file"; return 1; }; done
}
first_line_is() { [ "$(head -n 1 "$1")" = "$2" ] || { cat "$1"; return 1; }; }
check "nix render: ids default to [\"*\"], written first" first_line_is "$WORK/rendered/everything.toml" 'ids = ["*"]'
check "nix render: digit keys bare, odd section names quoted" \
    has_lines "$WORK/rendered/everything.toml" '[main]' '102nd = "esc"' 'capslock = "layer(nav)"' '["nav:C"]'
check "nix render: extraConfig is left to the module" bash -c "! grep -q extra '$WORK/rendered/everything.toml'"

check "keymapd check accepts the rendered profiles" "$BIN" check "$WORK/rendered"

# Each: profile, input script, expected output.
expect_test() {
    local profile=$1 script=$2 want=$3 got
    got=$(printf '%b' "$script" | "$BIN" test --profile "$profile" --script - 2>&1) || {
        echo "$got"; return 1; }
    [ "$got" = "$(printf '%b' "$want")" ] || { printf 'want:\n%b\ngot:\n%s\n' "$want" "$got"; return 1; }
}
check "rendered usb_keyboard: leftcontrol -> leftmeta, leftmeta -> leftcontrol" \
    expect_test "$WORK/rendered/usb_keyboard.toml" \
    'leftcontrol down\nleftcontrol up\nleftmeta down\nleftmeta up\n' \
    'leftmeta down\nleftmeta up\nleftcontrol down\nleftcontrol up'
check "rendered usb_keyboard: rightalt <-> rightmeta, a unchanged" expect_test "$WORK/rendered/usb_keyboard.toml" \
    'rightalt down\nrightalt up\nrightmeta down\nrightmeta up\na down\na up\n' \
    'rightmeta down\nrightmeta up\nrightalt down\nrightalt up\na down\na up'
check "rendered laptop_keyboard: leftalt <-> leftcontrol" expect_test "$WORK/rendered/laptop_keyboard.toml" \
    'leftalt down\nleftalt up\nleftcontrol down\nleftcontrol up\n' \
    'leftcontrol down\nleftcontrol up\nleftalt down\nleftalt up'

render_rejects() { # LOG KEYBOARDS-EXPR NEEDLE: the renderer refuses the keyboards, saying NEEDLE
    if nix-instantiate --eval --strict -E "import $REPO/packaging/nixos/render.nix ($2)" > "$WORK/$1.log" 2>&1; then
        echo "accepted: $2"
        return 1
    fi
    grep -qF -- "$3" "$WORK/$1.log" || { cat "$WORK/$1.log"; return 1; }
}
check "nix render rejects a keyboard name that is no file name" \
    render_rejects badname '{ "bad name" = { }; }' "the name becomes the file name"
check "nix render rejects a section that is no attribute set" \
    render_rejects notsection '{ k.settings.main = "x"; }' "keyboards.k.settings.main must be a section"
check "nix render rejects settings.ids (ids is its own option)" \
    render_rejects ids '{ k.settings.ids = { }; }' "ids is not a section"
check "nix render rejects a value TOML cannot hold, naming its option" \
    render_rejects null '{ k.settings.main.a = null; }' "keyboards.k.settings.main.a: a value must be"

# The module: evaluate its config against a stand-in lib/pkgs, then run the derivation script
# that assembles and validates the profiles at build time, with the real keymapd, on a good
# and a bad config. The store paths that script reads are filled in as nixpkgs would build
# them: generate's output is json2toml of its value's builtins.toJSON, writeText's its text.
module_eval() { # DIR KEYBOARDS-EXPR
    local dir=$1
    mkdir -p "$dir/store/hash-keymapd/bin"
    ln -sf "$BIN" "$dir/store/hash-keymapd/bin/keymapd"
    nix-instantiate --eval --strict --json -E \
        "import $HERE/nix/eval-module.nix { store = \"$dir/store\"; keyboards = $2; }" > "$dir/module.json" || return 1
    [ -x "$JSON2TOML" ] || { echo "json2toml missing: $REMARSHAL did not install (see above)"; return 1; }
    python3 - "$dir" "$JSON2TOML" <<'PY' || return 1
import json, os, subprocess, sys
d, json2toml = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(d, "module.json")))
for name, f in m["files"].items():
    g = f["generated"]
    value = os.path.join(d, name + ".value.json")
    open(value, "w").write(g["json"])
    subprocess.run([json2toml, value, g["path"]], check=True)
    os.chmod(g["path"], 0o444)  # store paths are read-only
    for extra in ("extra", "extraToml"):
        if f[extra] is not None:
            open(f[extra]["path"], "w").write(f[extra]["text"])
            os.chmod(f[extra]["path"], 0o444)
open(os.path.join(d, "build.sh"), "w").write(m["profilesScript"])
PY
}
if module_eval "$WORK/mod" "import $WORK/keyboards.nix"; then
    check "nix module: config evaluates (etc files, user, uinput, reload trigger)" python3 - "$WORK/mod/module.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
etc = m["etc"]
for n in ("usb_keyboard", "laptop_keyboard", "everything"):
    assert etc["keymapd/%s.toml" % n].endswith("hash-keymapd-profiles/%s.toml" % n), etc
assert not any(k.startswith("libinput/") for k in etc), etc  # no quirk: each keyboard has a clone
assert m["removed"] == [["services", "keymapd", "libinputQuirks"]], m["removed"]
assert m["reloadTriggers"] == ["keymapd-profiles"], m["reloadTriggers"]
assert m["wantedBy"] == ["multi-user.target"]
assert m["user"]["isSystemUser"] and set(m["user"]["extraGroups"]) == {"input", "uinput"}, m["user"]
assert m["uinput"] is True and "uinput" in m["kernelModules"]
assert m["idsDefault"] == ["*"]
assert m["udevPackages"] and m["systemdPackages"]
assert m["pathsToLink"] == ["/share/keymapd"], m["pathsToLink"]  # the compose file
assert m["settingsType"] == "formats.toml type", m["settingsType"]
assert sorted(m["files"]) == ["everything.toml", "keyd_style.toml", "laptop_keyboard.toml", "usb_keyboard.toml"], m["files"]
for name, f in m["files"].items():
    assert f["generated"]["by"] == "formats.toml generate", f
assert [n for n, f in m["files"].items() if f["extra"]] == ["keyd_style.toml"], m["files"]
assert [n for n, f in m["files"].items() if f["extraToml"]] == ["everything.toml"], m["files"]
assert m["files"]["everything.toml"]["extraToml"]["text"] == '[extra]\nl = "right"\n', m["files"]
assert m["files"]["keyd_style.toml"]["extra"]["text"].startswith("[control+shift]\nh = left\n"), m["files"]
PY
    check "nix module: generate is given exactly render.nix's data" python3 - "$WORK/mod/module.json" "$WORK/rendered.json" <<'PY'
import json, os, sys
m = json.load(open(sys.argv[1]))
for name, f in m["files"].items():
    want = open(os.path.join(sys.argv[2], name)).read()
    assert f["generated"]["json"] == want, (name, f["generated"]["json"], want)
PY
    check "nix module: build-time profile check passes on the good configuration" \
        bash -c "cd '$WORK/mod' && env out='$WORK/mod/out' bash -e build.sh 2> build.log || { cat build.log; exit 1; }"
    # FILE [EXTRA-FILE]: the module's profile is generate's TOML, then EXTRA after a blank line.
    installed_is() {
        { cat "$WORK/rendered/$1"; if [ $# -gt 1 ]; then echo; cat "$2"; fi; } > "$WORK/want-$1"
        cmp "$WORK/want-$1" "$WORK/mod/out/$1" || diff "$WORK/want-$1" "$WORK/mod/out/$1"
    }
    printf '[extra]\nl = "right"\n' > "$WORK/extra.toml"
    check "nix module: installs generate's TOML as it is" installed_is usb_keyboard.toml
    check "nix module: appends extraToml after a blank line" installed_is everything.toml "$WORK/extra.toml"
    check "nix module: extraConfig in keyd syntax is converted by import-keyd and appended" \
        has_lines "$WORK/mod/out/keyd_style.toml" 'ids = ["046d:c52b"]' '[main]' 'capslock = "overload(control, esc)"' \
        '["control+shift"]' 'h = "left"'
    one_ids() {
        if [ "$(grep -c '^ids' "$1")" != 1 ] || grep -qxF '    "*",' "$1"; then cat "$1"; return 1; fi
    }
    check "nix module: extraConfig's ids are the option's, not import-keyd's" one_ids "$WORK/mod/out/keyd_style.toml"
    check "nix module: import-keyd's notes on extraConfig are build warnings, at extraConfig's line" \
        grep -q '^warning: keymapd: keyd_style.toml: extraConfig line 5: .*layer_indicator' "$WORK/mod/build.log"
    check "module's keyd_style: keyd's [control+shift] h = left works" \
        expect_test "$WORK/mod/out/keyd_style.toml" \
        'leftcontrol down\nleftshift down\nh down\nh up\nleftshift up\nleftcontrol up\n' \
        'leftcontrol down\nleftshift down\nleftshift up\nleftcontrol up\nleft down\nleft up\nleftshift down\nleftcontrol down\nleftshift up\nleftcontrol up'
    check "module's usb_keyboard (as installed): leftcontrol -> leftmeta" \
        expect_test "$WORK/mod/out/usb_keyboard.toml" 'leftcontrol down\nleftcontrol up\n' 'leftmeta down\nleftmeta up'
else
    fail "nix module: config evaluates"
fi
if module_eval "$WORK/modat" '{ "kb@home".extraToml = "[x]"; }'; then
    check "nix module: a keyboard name with @ (no valid store path name) builds as kb@home.toml" \
        bash -c "cd '$WORK/modat' && env out='$WORK/modat/out' bash -e build.sh && test -s '$WORK/modat/out/kb@home.toml'"
else
    fail "nix module: a keyboard name with @ (no valid store path name) evaluates"
fi
BAD='{ typo = { settings.main.leftcontrol = "nosuchkey"; }; }'
if module_eval "$WORK/modbad" "$BAD"; then
    if (cd "$WORK/modbad" && env out="$WORK/modbad/out" bash -e build.sh) > "$WORK/modbad.log" 2>&1; then
        fail "nix module: build-time profile check fails a bad profile"
        cat "$WORK/modbad.log"
    else
        check "nix module: build-time profile check fails a bad profile, with path:line:col" \
            grep -q 'typo.toml:[0-9]*:[0-9]*: error' "$WORK/modbad.log"
    fi
else
    fail "nix module: bad configuration evaluates (the error belongs to the build)"
fi

# ---- NixOS: the session agent (services.keymapd.session.enable) -----------------------------
# package.nix's postInstall, run as nixpkgs' builder runs it (in the source tree, $out holding
# the built binary), with stand-ins for the setup functions it calls. The package ships the
# session agent's user unit; the module only says what wants it.
substituteInPlace() { # FILE --replace-fail OLD NEW ...: as nixpkgs', failing where OLD is not found
    local file=$1
    shift
    while [ $# -gt 0 ]; do
        if [ "$1" != --replace-fail ] || [ $# -lt 3 ]; then
            echo "substituteInPlace (stand-in): cannot do $1"
            return 1
        fi
        python3 - "$file" "$2" "$3" <<'PY' || return 1
import sys
f, old, new = sys.argv[1:]
s = open(f).read()
if old not in s:
    sys.exit(f"substituteInPlace: pattern {old!r} doesn't match anything in file {f!r}")
open(f, "w").write(s.replace(old, new))
PY
        shift 3
    done
}
installManPage() { # FILE...: into share/man/manN by the file's section
    local f
    for f in "$@"; do install -Dm644 "$f" "$out/share/man/man${f##*.}/${f##*/}" || return 1; done
}
installShellCompletion() { # --cmd NAME --bash F --zsh F --fish F
    local cmd=
    while [ $# -gt 0 ]; do
        case $1 in
        --cmd) cmd=$2 ;;
        --bash) install -Dm644 "$2" "$out/share/bash-completion/completions/$cmd" || return 1 ;;
        --zsh) install -Dm644 "$2" "$out/share/zsh/site-functions/_$cmd" || return 1 ;;
        --fish) install -Dm644 "$2" "$out/share/fish/vendor_completions.d/$cmd.fish" || return 1 ;;
        *) echo "installShellCompletion (stand-in): cannot do $1"; return 1 ;;
        esac
        shift 2
    done
}
PKG_OUT=$WORK/pkg/out
package_install() {
    mkdir -p "$PKG_OUT/bin" && ln -sf "$BIN" "$PKG_OUT/bin/keymapd" || return 1
    nix-instantiate --eval --strict --json "$HERE/nix/eval-package.nix" > "$WORK/pkg/package.json" || return 1
    { declare -f substituteInPlace installManPage installShellCompletion
        python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["postInstall"])' "$WORK/pkg/package.json"
    } > "$WORK/pkg/postInstall.sh" || return 1
    # In a shell of its own: `set -e` is void in a function run as a condition, as here.
    (cd "$REPO" && out=$PKG_OUT bash -e "$WORK/pkg/postInstall.sh")
}
check "nix package: postInstall installs the package (stand-in setup functions)" package_install
PKG_USER_UNIT=$PKG_OUT/lib/systemd/user/keymapd-session.service
check "nix package: the session agent's user unit is the shipped one, ExecStart=\$out/bin/keymapd session" bash -c "\
    grep -qx 'ExecStart=$PKG_OUT/bin/keymapd session' '$PKG_USER_UNIT' \
    && diff <(sed 's|^ExecStart=/usr/bin/keymapd |ExecStart=$PKG_OUT/bin/keymapd |' '$REPO/packaging/systemd/keymapd-session.service') \
        '$PKG_USER_UNIT'"
check "nix package: systemd-analyze --user verify its user unit" bash -c \
    "cd '$PKG_OUT/lib/systemd/user' && XDG_RUNTIME_DIR='$WORK/user-runtime' systemd-analyze --user verify --man=no keymapd-session.service"
check "nix package: the system unit's ExecStart and ExecReload point into the store" bash -c "\
    grep -q '^ExecStart=$PKG_OUT/bin/keymapd ' '$PKG_OUT/lib/systemd/system/keymapd.service' \
    && grep -q '^ExecReload=/nix/store/hash-coreutils/bin/kill ' '$PKG_OUT/lib/systemd/system/keymapd.service'"

# The module with session.enable on and off, GNOME on and off (both names of its option, both
# places of gnome-shell in pkgs), against the stand-in (eval-module.nix says what each argument
# means). NAME ARGS: into $WORK/NAME/module.json.
session_eval() {
    mkdir -p "$WORK/$1"
    nix-instantiate --eval --strict --json -E "import $HERE/nix/eval-module.nix ($2)" > "$WORK/$1/module.json"
}
# NAME UNIT EXTENSION: the user unit is wanted by graphical-session.target (UNIT=yes) or not
# there (no), and the GNOME Shell extension is installed and enabled by default (yes) or absent.
session_has() {
    python3 - "$WORK/$1/module.json" "$2" "$3" <<'PY'
import json, sys
m, unit, ext = json.load(open(sys.argv[1])), sys.argv[2] == "yes", sys.argv[3] == "yes"
assert m["failedAssertions"] == [], m["failedAssertions"]
if unit:
    # Wanted by the session's target; no PATH of NixOS's over the session's (an empty path, forced).
    assert m["userServices"] == {"keymapd-session": {"wantedBy": ["graphical-session.target"],
        "path": {"_type": "override", "priority": 50, "content": []}}}, m["userServices"]
    # The unit itself: from the package, linked into /etc/systemd/user from systemd.packages.
    assert "/nix/store/hash-keymapd" in m["systemdPackages"], m["systemdPackages"]
else:
    assert m["userServices"] == {}, m["userServices"]
uuid = "keymapd@keymapd.github.io"
if ext:
    assert m["gnomeExtension"] and m["gnomeExtension"]["extensionUuid"] == uuid, m["gnomeExtension"]
    assert m["gnomeExtension"]["name"] in m["systemPackages"], m["systemPackages"]
    assert "/share/gnome-shell/extensions" in m["pathsToLink"], m["pathsToLink"]
    dbs = m["dconfUser"] or []
    assert any(uuid in db.get("settings", {}).get("org/gnome/shell", {}).get("enabled-extensions", [])
               for db in dbs), ("not enabled by default in programs.dconf.profiles.user", dbs)
else:
    assert m["gnomeExtension"] is None and m["dconfUser"] is None, (m["gnomeExtension"], m["dconfUser"])
    assert m["systemPackages"] == ["hash-keymapd"], m["systemPackages"]
PY
}
check "nix module: session.enable is off by default, and says what it does" python3 - "$WORK/mod/module.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))["sessionOption"]
assert o["default"] is False, o
for words in ("keymapd session", "graphical-session.target", "GNOME Shell", "keymapd@keymapd.github.io",
              "services.desktopManager.gnome.enable", "enabled-extensions"):
    assert words in o["description"], (words, o["description"])
PY
check "nix module: without session.enable, no user unit and no extension" session_has mod no no
if session_eval sess '{ session = true; }'; then
    check "nix module: session.enable, no GNOME: the user unit wanted by graphical-session.target, no extension" \
        session_has sess yes no
else
    fail "nix module: session.enable evaluates"
fi
if session_eval gnomeonly '{ gnome = { shell = "47.2"; }; }'; then
    check "nix module: GNOME without session.enable: no user unit, no extension" session_has gnomeonly no no
else
    fail "nix module: GNOME without session.enable evaluates"
fi
# NAME COPY VERSION: build the extension's package (its runCommand script, as nixpkgs runs it);
# its files are the shipped copy COPY's, in share/gnome-shell/extensions/<uuid>/, and its
# metadata.json is the copy's but that shell-version includes VERSION.
extension_is() {
    python3 - "$WORK/$1" "$REPO/packaging/gnome-shell/$2" "$3" <<'PY'
import filecmp, json, os, subprocess, sys
d, shipped, version = sys.argv[1:]
uuid = "keymapd@keymapd.github.io"
e = json.load(open(os.path.join(d, "module.json")))["gnomeExtension"]
assert e is not None, "no GNOME Shell extension in environment.systemPackages"
assert e["src"] == shipped, (e["src"], shipped)
out = os.path.join(d, "ext")
subprocess.run(["bash", "-e", "-c", e["script"]], check=True,
               env=dict(os.environ, out=out, src=e["src"], metadata=e["metadata"]))
ext = os.path.join(out, "share/gnome-shell/extensions", uuid)
src = os.path.join(shipped, uuid)
assert sorted(os.listdir(ext)) == sorted(os.listdir(src)), (os.listdir(ext), os.listdir(src))
for f in os.listdir(src):
    if f != "metadata.json":
        assert filecmp.cmp(os.path.join(src, f), os.path.join(ext, f), shallow=False), f + " differs from the shipped one"
meta = json.load(open(os.path.join(ext, "metadata.json")))
want = json.load(open(os.path.join(src, "metadata.json")))
assert meta["uuid"] == uuid == os.path.basename(ext), meta  # GNOME Shell requires the directory's name
assert version in meta["shell-version"], (version, meta["shell-version"])
assert meta["shell-version"][:len(want["shell-version"])] == want["shell-version"], meta["shell-version"]
assert {k: v for k, v in meta.items() if k != "shell-version"} == {k: v for k, v in want.items() if k != "shell-version"}, meta
extra = meta["shell-version"][len(want["shell-version"]):]
assert extra == ([] if version in want["shell-version"] else [version]), extra
PY
}
if session_eval g43 '{ session = true; gnome = { shell = "43.9"; option = "xserver"; pkgs = "gnome"; }; }'; then
    check "nix module: session.enable, GNOME 43 (services.xserver.desktopManager.gnome, pkgs.gnome.gnome-shell): user unit, extension enabled by default" \
        session_has g43 yes yes
    check "nix module: GNOME 43: the extension is the 43 copy, shell-version has 43" extension_is g43 43 43
else
    fail "nix module: session.enable with GNOME 43 evaluates"
fi
if session_eval g47 '{ session = true; gnome = { shell = "47.2"; }; }'; then
    check "nix module: session.enable, GNOME 47 (services.desktopManager.gnome, pkgs.gnome-shell): user unit, extension enabled by default" \
        session_has g47 yes yes
    check "nix module: GNOME 47: the extension is the 45 copy, shell-version has 47" extension_is g47 45 47
else
    fail "nix module: session.enable with GNOME 47 evaluates"
fi
# A NixOS that has dropped the older name of GNOME's option (reading it throws).
if session_eval g50 '{ session = true; gnome = { shell = "50.1"; option = "removed"; }; }'; then
    check "nix module: session.enable, GNOME 50 (services.xserver.desktopManager.gnome removed): user unit, extension enabled by default" \
        session_has g50 yes yes
    check "nix module: GNOME 50 (newer than the copy lists): the 45 copy, 50 added to shell-version" \
        extension_is g50 45 50
else
    fail "nix module: session.enable with GNOME 50 evaluates"
fi
# MESSAGE ARGS: the module's assertions fail with MESSAGE.
assertion_fails() {
    local got
    got=$(nix-instantiate --eval --strict --json -E "(import $HERE/nix/eval-module.nix ($2)).failedAssertions") || return 1
    grep -qF -- "$1" <<< "$got" || { echo "failed assertions: $got"; return 1; }
}
check "nix module: GNOME 42 is refused (the extension needs 43 or later)" \
    assertion_fails "needs GNOME Shell 43 or later; pkgs.gnome-shell is 42.9" '{ session = true; gnome = { shell = "42.9"; }; }'
check "nix module: session.enable without services.keymapd.enable is refused" \
    assertion_fails "set services.keymapd.enable too" '{ enable = false; session = true; }'

flake_eval() {
    nix-instantiate --eval --strict --json "$HERE/nix/eval-flake.nix" > "$WORK/flake.json" || return 1
    python3 - "$WORK/flake.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["checks"] == ["nixos", "package"], m
assert all(p.endswith("packaging/nixos/package.nix") for p in m["packages"]) and len(m["packages"]) == 2, m
assert m["moduleImports"][0].endswith("packaging/nixos/module.nix") and m["modulePackage"] == "package.nix", m
assert m["testName"] == "keymapd" and m["testImports"] == 1 and m["testScriptHasReload"], m
assert m["testSession"] is True and m["testScriptHasSession"], m  # the session agent's user unit
assert m["testKeyboards"] == ["laptop_keyboard", "usb_keyboard"], m
EOF
}
check "nix flake: outputs and the NixOS test evaluate (stand-in nixpkgs)" flake_eval
check "nix: Cargo.toml gives package.nix its version and description (builtins.fromTOML)" \
    nix-instantiate --eval --strict -E \
    "let c = builtins.fromTOML (builtins.readFile $REPO/Cargo.toml); in assert c.package.version != \"\" && c.package.description != \"\"; true"
# package.nix rewrites these two lines with --replace-fail; install-debian.sh the first.
check "unit: the lines package.nix and install-debian.sh rewrite are there" \
    bash -c "grep -q '^ExecStart=/usr/bin/keymapd ' '$UNIT_SRC' && grep -q '^ExecReload=kill ' '$UNIT_SRC'"

# ---- install-debian.sh ---------------------------------------------------------------------
INSTALL=$REPO/packaging/install-debian.sh
IROOT=$WORK/installroot
mkdir -p "$IROOT/etc"
printf 'root:x:0:0:root:/root:/bin/bash\n' > "$IROOT/etc/passwd"
printf 'root:x:0:\ninput:x:101:\n' > "$IROOT/etc/group"
# An earlier version's libinput quirk: the install removes it.
mkdir -p "$IROOT/usr/share/libinput" && echo '[keymapd virtual keyboard]' > "$IROOT/usr/share/libinput/50-keymapd.quirks"
mkdir -p "$WORK/alone" "$WORK/alone-root" && cp "$BIN" "$WORK/alone/keymapd"
check "install-debian.sh --binary PATH without keymapd-daemon beside it: refused, saying so" bash -c \
    "! '$INSTALL' --root '$WORK/alone-root' --no-build --binary '$WORK/alone/keymapd' 2> '$WORK/alone.err' \
        && grep -q 'error: no $WORK/alone/keymapd-daemon beside $WORK/alone/keymapd: keymapd run and keymapd session exec it' '$WORK/alone.err' \
        && [ -z \"\$(ls -A '$WORK/alone-root')\" ]"
check "install-debian.sh --root DIR --no-build --binary PATH" "$INSTALL" --root "$IROOT" --no-build --binary "$BIN"
check "install: files in place" bash -c "cd '$IROOT' && test -x usr/local/bin/keymapd \
    && cmp -s usr/local/bin/keymapd-daemon '$(dirname "$BIN")/keymapd-daemon' && test -x usr/local/bin/keymapd-daemon \
    && cmp -s usr/local/bin/keymapd-session '$(dirname "$BIN")/keymapd-session' && test -x usr/local/bin/keymapd-session \
    && test -f usr/local/lib/systemd/system/keymapd.service && test -f usr/local/lib/sysusers.d/keymapd.conf \
    && test -f usr/local/lib/udev/rules.d/70-keymapd.rules && test -f usr/local/lib/modules-load.d/keymapd.conf \
    && test ! -e usr/share/libinput/50-keymapd.quirks && test -L etc/systemd/system/multi-user.target.wants/keymapd.service \
    && test -f usr/local/lib/systemd/user/keymapd-session.service \
    && test -L etc/systemd/user/graphical-session.target.wants/keymapd-session.service \
    && cmp -s usr/local/share/keymapd/keymapd.compose '$REPO/packaging/compose/keymapd.compose' \
    && grep -q '^keymapd:' etc/passwd"
check "install: unit runs the installed binary" \
    grep -qx 'ExecStart=/usr/local/bin/keymapd run --config /etc/keymapd' "$IROOT/usr/local/lib/systemd/system/keymapd.service"
check "install: the user unit runs the installed binary" \
    grep -qx 'ExecStart=/usr/local/bin/keymapd session' "$IROOT/usr/local/lib/systemd/user/keymapd-session.service"
check "install: examples in /usr/share/doc/keymapd/examples (valid), none enabled: /etc/keymapd empty" \
    bash -c "ls '$IROOT'/usr/share/doc/keymapd/examples/{laptop,usb-keyboard}.toml >/dev/null \
        && '$BIN' check '$IROOT/usr/share/doc/keymapd/examples' && [ -d '$IROOT/etc/keymapd' ] \
        && [ -z \"\$(ls -A '$IROOT/etc/keymapd')\" ]"
check "install: the installed unit verifies" bash -c \
    "sed 's|^ExecStart=/usr/local/bin/keymapd |ExecStart=$BIN |' '$IROOT/usr/local/lib/systemd/system/keymapd.service' > '$WORK/unit2.service' && cd '$WORK' && systemd-analyze verify --man=no unit2.service"
# The man page and the completions: installed, and working in the tools that read them.
MAN1=$IROOT/usr/local/share/man/man1/keymapd.1
MAN5=$IROOT/usr/local/share/man/man5/keymapd.toml.5
BASH_COMP=$IROOT/usr/local/share/bash-completion/completions/keymapd
ZSH_COMP=$IROOT/usr/local/share/zsh/site-functions/_keymapd
FISH_COMP=$IROOT/usr/local/share/fish/vendor_completions.d/keymapd.fish
check "install: man pages keymapd(1), keymapd.toml(5) and bash, zsh, fish completions installed" bash -c \
    "for f in '$MAN1' '$MAN5' '$BASH_COMP' '$ZSH_COMP' '$FISH_COMP'; do [ -s \"\$f\" ] || { echo \"not installed: \$f\"; exit 1; }; done"
man_renders() { # PAGE WANT...: man -l renders it without a warning from groff, and says WANT
    tool man || return 1
    local page=$1 text want
    shift
    text=$(MANWIDTH=80 man --warnings -l "$page" 2> "$WORK/man.err") || return 1
    [ ! -s "$WORK/man.err" ] || { cat "$WORK/man.err"; return 1; }
    for want in "$@"; do
        grep -qF -- "$want" <<<"$text" || { echo "no '$want' in the rendered page"; return 1; }
    done
}
check "install: keymapd(1) renders (man -l), without warnings" \
    man_renders "$MAN1" NAME COMMANDS 'keymapd check' 'keymapd run' 'keymapd test' 'keymapd.toml(5)'
check "install: keymapd.toml(5) renders (man -l), without warnings" \
    man_renders "$MAN5" NAME IDS ACTIONS 'GLOBAL SETTINGS' 'overload(layer, tap)' 'chord_timeout' 'laptop:kb'
mandoc_lint() { tool mandoc && mandoc -T lint -W warning "$@"; }
check "install: both man pages pass mandoc -T lint (warnings and worse)" mandoc_lint "$MAN1" "$MAN5"
# Each completion is loaded the way its shell loads it and asked to complete `keymapd ch`.
bash_completes() {
    bash -n "$BASH_COMP" || return 1
    # shellcheck disable=SC2016  # expanded by the inner bash
    bash --norc --noprofile -c 'source "$1" && complete -p keymapd >/dev/null \
        && COMP_WORDS=(keymapd ch) COMP_CWORD=1 COMP_LINE="keymapd ch" COMP_POINT=10 && _keymapd keymapd ch keymapd \
        && printf "%s\n" "${COMPREPLY[@]}" | grep -qx check' _ "$BASH_COMP"
}
zsh_completes() { # parses, and compinit registers it for keymapd
    tool zsh || return 1
    zsh -n "$ZSH_COMP" || return 1
    mkdir -p "$WORK/zsh-home"
    # shellcheck disable=SC2016  # expanded by zsh
    HOME=$WORK/zsh-home zsh -fc 'autoload -Uz compinit && compinit -u -D && source "$1" \
        && (( $+functions[_keymapd] )) && [[ $_comps[keymapd] == _keymapd ]]' _ "$ZSH_COMP"
}
fish_completes() {
    tool fish || return 1
    fish --no-execute "$FISH_COMP" || return 1
    HOME=$WORK/fish-home fish --no-config -c "source '$FISH_COMP'; complete -C'keymapd ch'" | grep -q '^check'
}
check "install: bash completion loads and completes 'keymapd ch' to check" bash_completes
check "install: zsh completion parses and registers with compinit" zsh_completes
check "install: fish completion parses and completes 'keymapd ch' to check" fish_completes
cp "$IROOT/usr/share/doc/keymapd/examples/laptop.toml" "$IROOT/etc/keymapd/"  # the quick start's cp
echo '# admin edit' >> "$IROOT/etc/keymapd/laptop.toml"
snapshot() { (cd "$IROOT" && find . -type f -o -type l | sort | xargs -d '\n' sha256sum 2>/dev/null; find . -type l -printf '%p -> %l\n' | sort); }
before=$(snapshot)
out=$("$INSTALL" --root "$IROOT" --no-build --binary "$BIN" 2>&1)
after=$(snapshot)
check "install: a second run changes nothing and keeps the admin's profiles" \
    bash -c "[ \"\$1\" = \"\$2\" ] && ! grep -q 'installed /' <<<\"\$3\"" _ "$before" "$after" "$out"
check "install-debian.sh --root DIR --uninstall" "$INSTALL" --root "$IROOT" --uninstall
check "uninstall: no installed file left, profiles kept" bash -c "cd '$IROOT' && \
    [ -z \"\$(find usr -type f)\" ] && [ ! -e etc/systemd/system/multi-user.target.wants/keymapd.service ] \
    && [ ! -e etc/systemd/user/graphical-session.target.wants/keymapd-session.service ] \
    && grep -q 'admin edit' etc/keymapd/laptop.toml"
# Where GNOME Shell is installed, the session agent's Shell extension comes along, and goes.
GROOT=$WORK/gnomeroot
EXT=usr/share/gnome-shell/extensions/keymapd@keymapd.github.io
mkdir -p "$GROOT/etc" "$GROOT/usr/bin"
cp "$IROOT/etc/passwd" "$IROOT/etc/group" "$GROOT/etc/"
for shell in 43 48; do  # the copy for its version: 43 and 44, or 45 and later
    printf '#!/bin/sh\necho "GNOME Shell %s.1"\n' "$shell" > "$GROOT/usr/bin/gnome-shell"
    chmod +x "$GROOT/usr/bin/gnome-shell"
    copy=45; [ "$shell" = 43 ] && copy=43
    check "install: with GNOME Shell $shell, the Shell extension for it as shipped" bash -c "\
        '$INSTALL' --root '$GROOT' --no-build --binary '$BIN' >/dev/null \
        && diff -r '$REPO/packaging/gnome-shell/$copy/keymapd@keymapd.github.io' '$GROOT/$EXT'"
    check "uninstall: the Shell extension goes too (GNOME Shell $shell)" bash -c "\
        '$INSTALL' --root '$GROOT' --uninstall >/dev/null && [ ! -e '$GROOT/$EXT' ]"
done

# ---- install-debian.sh live, on a fresh Debian with no systemd running ----------------------
# A minimal Debian (debootstrap --variant=minbase, no kmod, no udev; cached as a tarball), the
# installer run inside it with chroot, as on a container or a machine without systemd as PID 1:
# it installs what it needs from apt, enables no profile, says plainly what it could not do
# (start the service) with no raw shell error, exits non-zero, and stays a no-op when re-run.
# apt's downloads are cached next to the tarball.
FRESH_TAR=$PCACHE/debian-bookworm-minbase.tar.gz
fresh_tree() {
    [ -s "$FRESH_TAR" ] && return 0
    tool debootstrap || return 1
    local ds
    ds=$(mktemp -d "${TMPDIR:-/tmp}/keymapd-minbase.XXXXXX")
    echo "debootstrap --variant=minbase bookworm (once; cached as $FRESH_TAR)"
    if ! debootstrap --variant=minbase bookworm "$ds/root" > "$WORK/debootstrap.log" 2>&1; then
        tail -n 5 "$WORK/debootstrap.log"; rm -rf "$ds"; return 1
    fi
    rm -rf "$ds"/root/var/cache/apt/archives/*.deb "$ds"/root/var/lib/apt/lists/*
    tar -C "$ds/root" -czf "$FRESH_TAR.part" . && mv "$FRESH_TAR.part" "$FRESH_TAR"
    rm -rf "$ds"
}
CH=$WORK/fresh
chroot_install() { # runs install-debian.sh in the fresh tree; output in $WORK/chroot-N.log
    chroot "$CH" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        /opt/keymapd-src/packaging/install-debian.sh --no-build --binary /opt/keymapd-src/keymapd
}
if [ "$(id -u)" != 0 ]; then
    fail "fresh Debian chroot: needs root (chroot, debootstrap)"
elif ! fresh_tree; then
    fail "fresh Debian chroot: debootstrap --variant=minbase bookworm failed"
else
    mkdir -p "$CH" "$PCACHE/apt-archives/partial" "$PCACHE/apt-lists/partial"
    tar -C "$CH" -xzf "$FRESH_TAR"
    mkdir -p "$CH/opt/keymapd-src"
    cp -r "$REPO/packaging" "$REPO/udev-rules" "$REPO/profiles" "$REPO/docs" "$CH/opt/keymapd-src/"
    install -m 0755 "$BIN" "$CH/opt/keymapd-src/keymapd"
    install -m 0755 "$(dirname "$BIN")/keymapd-daemon" "$(dirname "$BIN")/keymapd-session" "$CH/opt/keymapd-src/"
    cp /etc/resolv.conf "$CH/etc/resolv.conf"
    mount -t proc proc "$CH/proc"
    mount --bind "$PCACHE/apt-archives" "$CH/var/cache/apt/archives"
    mount --bind "$PCACHE/apt-lists" "$CH/var/lib/apt/lists"
    # shellcheck disable=SC2064  # the paths are fixed now
    trap "umount '$CH/proc' '$CH/var/cache/apt/archives' '$CH/var/lib/apt/lists' 2>/dev/null; rm -rf '$WORK'" EXIT
    check "fresh Debian: no kmod or udev before the install" \
        bash -c "! chroot '$CH' sh -c 'command -v modprobe || command -v udevadm'"
    chroot_install > "$WORK/chroot-1.log" 2>&1
    rc1=$?
    sed 's/^/    | /' "$WORK/chroot-1.log"
    check "fresh Debian: exits non-zero when the service cannot be started (status $rc1)" [ "$rc1" != 0 ]
    check "fresh Debian: says plainly that systemd is not running and what to do" \
        grep -q "start the service: systemd is not running as PID 1 here" "$WORK/chroot-1.log"
    check "fresh Debian: no raw shell error (command not found, line N:)" \
        bash -c "! grep -E 'command not found|: line [0-9]+:|No such file or directory' '$WORK/chroot-1.log'"
    check "fresh Debian: installed what it needs (kmod, udev) and the user keymapd" \
        chroot "$CH" sh -c 'command -v modprobe && command -v udevadm && id keymapd | grep -q input && id keymapd | grep -q uinput'
    check "fresh Debian: no profile enabled; the examples are in /usr/share/doc/keymapd/examples" \
        bash -c "[ -z \"\$(ls -A '$CH/etc/keymapd')\" ] && [ -f '$CH/usr/share/doc/keymapd/examples/usb-keyboard.toml' ] \
            && grep -q 'no profile in /etc/keymapd' '$WORK/chroot-1.log' \
            && grep -qF 'cp /usr/share/doc/keymapd/examples/usb-keyboard.toml /etc/keymapd/' '$WORK/chroot-1.log'"
    check "fresh Debian: keymapd list says there is no profile" \
        bash -c "chroot '$CH' /usr/local/bin/keymapd list 2>&1 | grep -q '^keymapd: no profiles in /etc/keymapd: no keyboard is remapped'"
    chroot_install > "$WORK/chroot-2.log" 2>&1
    rc2=$?
    check "fresh Debian: a second run installs nothing, fails the same way (status $rc2)" \
        bash -c "[ $rc2 != 0 ] && ! grep -E 'installed /|apt-get install|created' '$WORK/chroot-2.log' \
            && grep -q 'systemd is not running as PID 1' '$WORK/chroot-2.log'"
    umount "$CH/proc" "$CH/var/cache/apt/archives" "$CH/var/lib/apt/lists"
    trap 'rm -rf "$WORK"' EXIT
fi

# ---- cargo install -------------------------------------------------------------------------
if (cd "$REPO" && CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target} \
        cargo install -q --locked --debug --path . --root "$WORK/cargo-root") > "$WORK/cargo-install.log" 2>&1; then
    check "cargo install --path . installs a working keymapd, and keymapd-daemon and keymapd-session beside it" \
        bash -c "'$WORK/cargo-root/bin/keymapd' --version && '$WORK/cargo-root/bin/keymapd' check '$WORK/rendered' \
            && '$WORK/cargo-root/bin/keymapd-daemon' --version && '$WORK/cargo-root/bin/keymapd-session' --version"
else
    fail "cargo install --path ."
    tail -n 20 "$WORK/cargo-install.log" | sed 's/^/    /'
fi

# ---- shell scripts -------------------------------------------------------------------------
cd "$REPO" || exit 1  # source= paths in the scripts are relative to the repository
shellchecked() { tool shellcheck && shellcheck -x "$1"; }
for s in packaging/install-debian.sh tests/packaging/run.sh tests/fuzz.sh tests/all.sh tests/show-svg.sh \
    tests/desktop/run.sh tests/desktop/x11.sh tests/desktop/sway.sh tests/desktop/kde.sh \
    tests/desktop/lib.sh tests/desktop/retitle.sh \
    tests/vm/systemd-boot.sh tests/vm/systemd/vmtest.sh; do
    [ -f "$s" ] && check "shellcheck $s" shellchecked "$s"
done

echo "packaging: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
