# NixOS VM test for the module, run by `nix flake check` (checks.<system>.nixos) through
# pkgs.testers.runNixOSTest. QEMU's keyboard is typed on with send_key; a reader on a fresh
# virtual terminal records the characters that come out of keymapd's virtual keyboard.
{ module }:
{ lib, pkgs, ... }:
let
  ready = "/tmp/reader-ready";
  result = "/tmp/reader-result";

  # Reads N characters from its terminal and writes them to the result file.
  reader = pkgs.writeShellScript "keymapd-test-reader" ''
    rm -f ${result} ${result}.part
    touch ${ready}
    IFS= read -r -s -N "$1" got
    rm -f ${ready}
    printf '%s' "$got" > ${result}.part
    mv ${result}.part ${result}
  '';

  swapAB = { a = "b"; b = "a"; };
in
{
  name = "keymapd";

  nodes.machine = {
    imports = [ module ];
    # QEMU's keys then come only from its i8042 (AT) keyboard, which laptop:kb claims.
    virtualisation.qemu.virtioKeyboard = false;
    services.keymapd = {
      enable = true;
      # No desktop here: this checks only that the user unit is installed and wanted.
      session.enable = true;
      keyboards.laptop_keyboard = {
        ids = [ "laptop:kb" ];
        settings.main = swapAB;
      };
      keyboards.usb_keyboard = {
        ids = [ "usb:kb" ];
        settings.main = {
          leftcontrol = "leftmeta";
          leftmeta = "leftcontrol";
          rightalt = "rightmeta";
          rightmeta = "rightalt";
        };
      };
    };
    # Same daemon, edited profile: switching to it must reload, not restart.
    specialisation.edited.configuration = {
      services.keymapd.keyboards.laptop_keyboard.settings.main = lib.mkForce { a = "c"; };
    };
  };

  testScript = ''
    def typed(keys, expect):
        machine.succeed("rm -f ${ready} ${result}")
        machine.succeed(f"openvt -sw -- ${reader} {len(expect)} >&2 &")
        machine.wait_for_file("${ready}")
        for key in keys:
            machine.send_key(key)
        machine.wait_for_file("${result}")
        got = machine.succeed("cat ${result}")
        assert got == expect, f"typed {keys}, expected {expect!r}, got {got!r}"

    machine.wait_for_unit("keymapd.service")

    with subtest("runs as its own user, without capabilities"):
        machine.succeed("test \"$(ps -o user= -C keymapd)\" = keymapd")
        machine.succeed("grep -qx 'CapEff:[[:space:]]*0*' /proc/$(systemctl show -P MainPID keymapd)/status")
        machine.succeed("stat -c '%G %a' /dev/uinput | grep -qx 'uinput 660'")

    with subtest("profiles are rendered and valid"):
        machine.succeed("keymapd check /etc/keymapd")
        machine.succeed("grep -qx 'ids = \\[\"usb:kb\"\\]' /etc/keymapd/usb_keyboard.toml")

    with subtest("the session agent's user unit: the package's, wanted by graphical-session.target"):
        machine.succeed("grep -q '^ExecStart=/nix/store/[^ ]*/bin/keymapd session$' /etc/systemd/user/keymapd-session.service")
        machine.succeed("test -e /etc/systemd/user/graphical-session.target.wants/keymapd-session.service")
        # The session's PATH reaches the agent (and its commands): NixOS's drop-in sets none.
        machine.fail("grep -qs 'PATH=' /etc/systemd/user/keymapd-session.service.d/overrides.conf")

    with subtest("remaps"):
        typed(["a", "b", "x"], "bax")

    with subtest("an edited profile is applied by reload"):
        pid = machine.succeed("systemctl show -P MainPID keymapd").strip()
        machine.succeed("/run/current-system/specialisation/edited/bin/switch-to-configuration test")
        machine.wait_until_succeeds("systemctl is-active keymapd")
        assert machine.succeed("systemctl show -P MainPID keymapd").strip() == pid, "restarted, not reloaded"
        typed(["a", "b"], "cb")

    with subtest("stops cleanly"):
        machine.succeed("systemctl stop keymapd")
        typed(["a"], "a")
  '';
}
