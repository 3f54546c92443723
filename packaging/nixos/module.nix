# NixOS module for keymapd. The option tree follows services.keyd, so a keyd configuration
# carries over by renaming keyd to keymapd:
#
#   services.keymapd = {
#     enable = true;
#     keyboards.usb_keyboard = {
#       ids = [ "usb:kb" ];
#       settings.main = { leftcontrol = "leftmeta"; leftmeta = "leftcontrol"; };
#     };
#   };
#
# Each keyboard becomes /etc/keymapd/<name>.toml: ./render.nix turns it into the file's data
# (ids and the settings' sections), `(pkgs.formats.toml { }).generate` writes that as TOML;
# extraConfig, keyd's own syntax as services.keyd takes it, is converted at build time by
# `keymapd import-keyd` (its notes become build warnings) and appended after a blank line, and
# extraToml, raw TOML, after that. All are validated together at build time with
# `keymapd check` (a bad profile fails the build, not the running daemon). Profile
# changes are applied with `systemctl reload keymapd`, never a restart. The service itself is
# the hardened unit from packaging/systemd/keymapd.service, shipped in the package.
{ config, lib, pkgs, ... }:
let
  cfg = config.services.keymapd;
  inherit (lib) mkOption mkEnableOption mkIf mkDefault types literalExpression;

  render = import ./render.nix;
  toml = pkgs.formats.toml { };

  keyboardOptions = { name, ... }: {
    options = {
      ids = mkOption {
        type = types.nonEmptyListOf types.str;
        default = [ "*" ];
        example = [ "usb:kb" "-046d:c52b" ];
        description = ''
          The devices this profile claims: `VVVV:PPPP`, `name:<glob>`, `usb:kb`,
          `bluetooth:kb`, `laptop:kb` or `*`; a leading `-` excludes. `keymapd list`
          shows each device's id.
        '';
      };
      settings = mkOption {
        # The value space of TOML, written out by pkgs.formats.toml's generate.
        type = toml.type;
        default = { };
        example = literalExpression ''
          {
            main = { capslock = "overload(control, esc)"; rightalt = "layer(nav)"; };
            nav = { h = "left"; j = "down"; k = "up"; l = "right"; };
          }
        '';
        description = ''
          The profile's sections, each an attribute set of `key = action`, written to
          {file}`/etc/keymapd/${name}.toml` with `ids` (by `pkgs.formats.toml`: `ids` first,
          then the sections in sorted order).
        '';
      };
      extraConfig = mkOption {
        type = types.lines;
        default = "";
        example = ''
          [control+shift]
          h = left
        '';
        description = ''
          Lines in keyd's own configuration syntax, as `services.keyd`'s `extraConfig` takes
          them (`[section]` headers, unquoted `key = action` bindings). They are converted to
          TOML at build time by `keymapd import-keyd`, whose notes (what cannot be converted is
          commented out, with the reason) are shown as build warnings, and appended to the
          generated profile. A section must not also be in `settings` or `extraToml`.
        '';
      };
      extraToml = mkOption {
        type = types.lines;
        default = "";
        example = ''
          ["nav:C"]
          h = "home"
        '';
        description = ''
          Raw TOML appended verbatim to the profile, after `settings` and `extraConfig`, after
          a blank line. Begin with a section header: bare `key = "action"` lines would land in
          the section before. A section must not also be in `settings` or `extraConfig`.
        '';
      };
    };
  };

  data = render (lib.mapAttrs (_: kb: { inherit (kb) ids settings; }) cfg.keyboards);

  # Per profile file: the TOML generated from its data, its extraConfig (keyd syntax) and its
  # extraToml (null if empty). A keyboard's name may hold '@', which a store path's name may not.
  files = lib.mapAttrs'
    (name: kb:
      let drvName = "keymapd-" + builtins.replaceStrings [ "@" ] [ "_" ] name; in
      lib.nameValuePair "${name}.toml" {
        generated = toml.generate "${drvName}.toml" data."${name}.toml";
        # The file name is what import-keyd's notes (FILE:LINE: note: ...) name.
        extra = if kb.extraConfig == "" then null else pkgs.writeText "${drvName}-extraConfig.conf" kb.extraConfig;
        extraToml = if kb.extraToml == "" then null else pkgs.writeText "${drvName}-extraToml" kb.extraToml;
      })
    cfg.keyboards;

  # extraConfig is converted by `keymapd import-keyd` with an `[ids]` section after it (so that
  # the line numbers of its notes are extraConfig's own, and it reads as keyd 2 syntax); the
  # converted `ids = [...]` is dropped, the profile's ids come from the option. The notes go to
  # the build log as warnings; a config that cannot be converted fails the build.
  importKeyd = file: src: ''
    { cat ${src}; printf '\n[ids]\n*\n'; } > keyd.conf
    if ! ${cfg.package}/bin/keymapd import-keyd keyd.conf > keyd.toml 2> keyd.notes; then
      sed 's|^keyd.conf|${src}|' keyd.notes >&2
      echo "keymapd: extraConfig of ${file} (keyd syntax) could not be converted" >&2
      exit 1
    fi
    sed 's|^keyd.conf:\([0-9]*\): note: |warning: keymapd: ${file}: extraConfig line \1: |' keyd.notes >&2
    { echo; awk '/^ids = \[/ { skip = 1 } !skip && !/^# Converted from / { print } skip && /^\]/ { skip = 0 }' keyd.toml; } \
      >> $out/${lib.escapeShellArg file}
  '';

  # Every profile in one directory, checked together as the daemon would load them. (`cat`,
  # not `cp`: the copy of a store file is read-only, and extraConfig is appended to it.)
  profiles = pkgs.runCommand "keymapd-profiles" { passthru = { inherit files; }; } (''
    mkdir -p $out
  '' + lib.concatStrings (lib.mapAttrsToList
    (file: f: ''
      cat ${f.generated} > $out/${lib.escapeShellArg file}
    '' + lib.optionalString (f.extra != null) (importKeyd file f.extra)
    + lib.optionalString (f.extraToml != null) ''
      { echo; cat ${f.extraToml}; } >> $out/${lib.escapeShellArg file}
    '')
    files)
  + lib.optionalString (files != { }) ''
    ${cfg.package}/bin/keymapd check $out/*.toml
  '');
in
{
  # keymapd gives each grabbed keyboard a virtual clone with the keyboard's own identity, so
  # libinput treats it as it treats the keyboard (internal or external, its quirks): the quirk
  # that marked the one shared virtual keyboard internal is gone, and so is its option.
  imports = [
    (lib.mkRemovedOptionModule [ "services" "keymapd" "libinputQuirks" ]
      "keymapd no longer needs a libinput quirk: each keyboard reaches libinput through a virtual clone with its own identity.")
  ];

  options.services.keymapd = {
    enable = mkEnableOption "keymapd, a keyboard remapping daemon";

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = literalExpression "pkgs.callPackage ./package.nix { }";
      description = "The keymapd package to use.";
    };

    keyboards = mkOption {
      type = types.attrsOf (types.submodule keyboardOptions);
      default = { };
      example = literalExpression ''
        {
          usb_keyboard = {
            ids = [ "usb:kb" ];
            settings.main = { leftcontrol = "leftmeta"; leftmeta = "leftcontrol"; };
          };
          laptop_keyboard = {
            ids = [ "laptop:kb" ];
            settings.main = { leftalt = "leftcontrol"; leftcontrol = "leftalt"; };
          };
        }
      '';
      description = ''
        One profile per attribute, written to {file}`/etc/keymapd/<name>.toml`.
      '';
    };
  };

  config = mkIf cfg.enable {
    environment.systemPackages = [ cfg.package ];
    # The compose file for characters outside ASCII, at a fixed path for ~/.XCompose:
    # include "/run/current-system/sw/share/keymapd/keymapd.compose"
    environment.pathsToLink = [ "/share/keymapd" ];

    environment.etc = lib.mapAttrs'
      (file: _: lib.nameValuePair "keymapd/${file}" { source = "${profiles}/${file}"; })
      files;

    # uinput: the module, the "uinput" group and a rule for /dev/uinput (ours is the same).
    hardware.uinput.enable = mkDefault true;
    boot.kernelModules = [ "uinput" ];

    users.users.keymapd = {
      isSystemUser = true;
      group = "keymapd";
      extraGroups = [ "input" "uinput" ];
      description = "keymapd keyboard remapping daemon";
    };
    users.groups.keymapd = { };
    users.groups.uinput = { };

    services.udev.packages = [ cfg.package ];

    # The unit (with its sandbox) comes from the package; this adds only what NixOS decides.
    systemd.packages = [ cfg.package ];
    systemd.services.keymapd = {
      wantedBy = [ "multi-user.target" ];
      # A changed profile is applied with SIGHUP; the virtual keyboard stays (a restart would
      # recreate it and desktops would reset repeat rate and layout).
      reloadTriggers = [ profiles ];
    };
  };
}
