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
#
# services.keymapd.session.enable starts the session agent (`keymapd session`) in every user's
# graphical session: its user unit is the package's (packaging/systemd/keymapd-session.service,
# ExecStart rewritten to the store path); the module adds its WantedBy and keeps NixOS's default
# PATH out of it (the agent passes the session's environment on). Under GNOME it
# also installs the Shell extension the agent reads the focus from (./gnome-shell-extension.nix,
# the copy for pkgs.gnome-shell's version) and enables it by default (a dconf system database).
{ config, lib, pkgs, ... }:
let
  cfg = config.services.keymapd;
  inherit (lib) mkOption mkEnableOption mkIf mkMerge mkDefault types literalExpression;

  render = import ./render.nix;
  toml = pkgs.formats.toml { };

  # GNOME: the option's newer name (services.desktopManager.gnome, NixOS 24.11 and later), else
  # the older one. (Where the newer exists, the older is an alias of it, or removed: not read.)
  gnome = config.services.desktopManager.gnome.enable
    or (config.services.xserver.desktopManager.gnome.enable or false);
  # The gnome-shell GNOME runs (top-level since NixOS 24.11, pkgs.gnome.* before).
  gnomeShell = pkgs.gnome-shell or pkgs.gnome.gnome-shell;
  gnomeExtension = pkgs.callPackage ./gnome-shell-extension.nix { gnome-shell = gnomeShell; };
  gnomeExtensionUuid = "keymapd@keymapd.github.io";

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

    session.enable = mkOption {
      type = types.bool;
      default = false;
      example = true;
      description = ''
        Whether to run the session agent, `keymapd session`, in every user's graphical
        session: it reports the focused window to the daemon, which switches the profiles'
        application layers (`["app:GLOB"]` sections) with it. This installs its systemd user
        unit, `keymapd-session.service` from the package, wanted by
        `graphical-session.target` (so it starts with any desktop that starts that target:
        GNOME, KDE Plasma, sway when its configuration starts the target; and stops with
        it).

        Where GNOME is enabled (`services.desktopManager.gnome.enable`, or the older
        `services.xserver.desktopManager.gnome.enable`), it also installs the GNOME Shell
        extension `keymapd@keymapd.github.io` that tells the agent the focused window (the
        copy for the version of `pkgs.gnome-shell`: 43 and 44, or 45 and later), and adds it
        to `org.gnome.shell` `enabled-extensions` in a dconf system database
        (`programs.dconf.profiles.user`), the default for every user. A user whose own dconf
        already sets `enabled-extensions` (anyone who has turned an extension on or off) keeps
        their list and enables it once with
        `gnome-extensions enable keymapd@keymapd.github.io`. GNOME Shell on Wayland sees a
        newly installed extension at the next login.

        Needs {option}`services.keymapd.enable`.
      '';
    };
  };

  config = mkMerge [
    {
      assertions = [{
        assertion = cfg.session.enable -> cfg.enable;
        message = "services.keymapd.session.enable: the session agent reports to the keymapd daemon; set services.keymapd.enable too.";
      }];
    }

    (mkIf cfg.enable {
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
    })

    # The user unit comes from the package (systemd.packages, above: linked into
    # /etc/systemd/user), so it is packaging/systemd/keymapd-session.service itself; NixOS reads
    # no [Install] section, so the module says what it is wanted by.
    (mkIf (cfg.enable && cfg.session.enable) {
      systemd.user.services.keymapd-session = {
        wantedBy = [ "graphical-session.target" ];
        # NixOS would put its minimal default PATH (coreutils, findutils, grep, sed, systemd)
        # in the unit's drop-in, hiding the session's own PATH, which the desktop imports into
        # the user manager: the agent runs the profiles' command()s with its environment. An
        # empty `path` sets no PATH (as enableDefaultPath = false does where NixOS has it).
        path = lib.mkForce [ ];
      };
    })

    (mkIf (cfg.enable && cfg.session.enable && gnome) {
      assertions = [{
        assertion = let m = lib.versions.major gnomeShell.version; in
          builtins.match "[0-9]+" m != null && lib.toInt m >= 43;
        message = "services.keymapd.session.enable: keymapd's GNOME Shell extension needs GNOME Shell 43 or later; pkgs.gnome-shell is ${gnomeShell.version}.";
      }];
      # In /run/current-system/sw/share/gnome-shell/extensions/, which GNOME Shell searches
      # (the GNOME module links all of /share; this says what this module relies on).
      environment.systemPackages = [ gnomeExtension ];
      environment.pathsToLink = [ "/share/gnome-shell/extensions" ];
      # Enabled for every user by default: a system database below each user's own, so a user
      # who sets enabled-extensions themselves overrides it (dconf replaces a list, never merges).
      programs.dconf.profiles.user.databases = [{
        settings."org/gnome/shell".enabled-extensions = [ gnomeExtensionUuid ];
      }];
    })
  ];
}
