# Evaluates packaging/nixos/module.nix without nixpkgs: a small stand-in for the parts of
# nixpkgs' lib and pkgs the module uses, enough to check that its `config` evaluates and
# says what it should. (The real module system is exercised by the flake's NixOS test.)
#
#   keyboards  services.keymapd.keyboards
#   enable     services.keymapd.enable
#   session    services.keymapd.session.enable (null: not set, the option's default)
#   gnome      null: no GNOME; else { shell = "47.2"; option = "desktopManager" (NixOS 24.11
#              and later: services.desktopManager.gnome.enable, the older name an alias),
#              "removed" (the same, the older name removed: reading it throws) or "xserver"
#              (before: only services.xserver.desktopManager.gnome.enable);
#              pkgs = "gnome-shell" (pkgs.gnome-shell) or "gnome" (pkgs.gnome.gnome-shell) }
{ keyboards ? { }, store ? "/nix/store", enable ? true, session ? null, gnome ? null }:
let
  inherit (builtins) attrNames listToAttrs map replaceStrings concatStringsSep;
  lib = rec {
    mkOption = o: { _option = true; } // o;
    mkEnableOption = what: mkOption { default = false; description = "Whether to enable ${what}."; };
    mkIf = cond: content: if cond then content else { };
    mkForce = content: { _type = "override"; priority = 50; inherit content; };
    # The module system's merge, for what the module defines: attribute sets merge, lists
    # concatenate, anything else defined twice is a conflict.
    mkMerge = builtins.foldl' merge { };
    merge = a: b: a // builtins.mapAttrs
      (n: v:
        if !(a ? ${n}) then v
        else if builtins.isList v && builtins.isList a.${n} then a.${n} ++ v
        else if builtins.isAttrs v && builtins.isAttrs a.${n} && !(v ? outPath) then merge a.${n} v
        else throw "stand-in mkMerge: ${n} is defined twice")
      b;
    versions.major = v: builtins.head (builtins.splitVersion v);
    toInt = s: builtins.fromJSON s;
    elem = builtins.elem;
    optional = c: x: if c then [ x ] else [ ];
    importJSON = path: builtins.fromJSON (builtins.readFile path);
    mkDefault = v: v;
    mkRemovedOptionModule = path: message: { removed = path; inherit message; };
    literalExpression = text: { _type = "literalExpression"; inherit text; };
    types = {
      str = "str"; lines = "lines"; bool = "bool"; package = "package";
      nonEmptyListOf = t: { listOf = t; };
      attrsOf = t: { attrsOf = t; };
      submodule = f: { submodule = f; };
    };
    mapAttrs = builtins.mapAttrs;
    nameValuePair = name: value: { inherit name value; };
    mapAttrs' = f: set: listToAttrs (map (n: f n set.${n}) (attrNames set));
    mapAttrsToList = f: set: map (n: f n set.${n}) (attrNames set);
    concatStrings = concatStringsSep "";
    optionalString = c: s: if c then s else "";
    optionalAttrs = c: s: if c then s else { };
    escapeShellArg = s: "'" + replaceStrings [ "'" ] [ "'\\''" ] s + "'";
  };
  # Derivations are attribute sets with an outPath (so "${drv}" is its store path) that also
  # carry what they would be built from, for tests/packaging/run.sh to build them the way
  # nixpkgs does: formats.toml's generate runs `json2toml "$valuePath" "$out"` on
  # builtins.toJSON of its value; writeText writes its text; runCommand's passthru is kept.
  # A derivation's name must be a valid store path name, as Nix checks it.
  out = name:
    if builtins.match "[A-Za-z0-9+_?=-][A-Za-z0-9+._?=-]*" name == null
    then throw "invalid store path name: ${name}"
    else "${store}/hash-${name}";
  pkgs = {
    formats.toml = _: {
      type = "formats.toml type";
      generate = name: value: {
        inherit name;
        by = "formats.toml generate";
        json = builtins.toJSON value;
        outPath = out name;
      };
    };
    writeText = name: text: { inherit name text; outPath = out name; };
    # env is kept as given (a path in it stays a path, not copied to the store).
    runCommand = name: env: script:
      { inherit name script env; outPath = out name; } // (env.passthru or { });
    # As nixpkgs' callPackage: the function's arguments from pkgs (and lib), then args.
    callPackage = path: args:
      let f = import path; in
      f (builtins.intersectAttrs (builtins.functionArgs f) (pkgs // { inherit lib; }) // args);
  } // (if gnome == null then { } else if (gnome.pkgs or "gnome-shell") == "gnome-shell"
  then { gnome-shell.version = gnome.shell; } else { gnome.gnome-shell.version = gnome.shell; });
  gnomeConfig =
    if gnome == null then { }
    else if (gnome.option or "desktopManager") == "desktopManager" then {
      desktopManager.gnome.enable = true;
      xserver.desktopManager.gnome.enable = true; # the alias reads the same
    } else if gnome.option == "removed" then {
      desktopManager.gnome.enable = true;
      # What reading an option removed by mkRemovedOptionModule does.
      xserver.desktopManager.gnome.enable = throw "The option `services.xserver.desktopManager.gnome.enable' can no longer be used since it's been removed.";
    } else {
      xserver.desktopManager.gnome.enable = true;
    };
  options = self.options.services.keymapd;
  self = import ../../../packaging/nixos/module.nix {
    inherit lib pkgs;
    config.services = gnomeConfig // { keymapd = {
      inherit enable;
      session.enable = if session == null then options.session.enable.default else session;
      package = "${store}/hash-keymapd";
      # What the module system would hand over: each keyboard with its options' defaults.
      keyboards = builtins.mapAttrs
        (name: kb:
          let opts = (self.options.services.keymapd.keyboards.type.attrsOf.submodule { inherit name; }).options;
          in builtins.mapAttrs (o: opt: kb.${o} or opt.default) opts)
        keyboards;
    }; };
  };
  cfg = self.config;
  unit = cfg.systemd.services.keymapd;
  profiles = builtins.head unit.reloadTriggers;
  keyboardOptions = (self.options.services.keymapd.keyboards.type.attrsOf.submodule { name = "x"; }).options;
  # A package's name: a derivation's, or the store path's for cfg.package (a string here).
  pkgName = p: if builtins.isAttrs p then p.name else builtins.baseNameOf p;
  extension = builtins.filter (p: builtins.isAttrs p && p ? extensionUuid) (cfg.environment.systemPackages or [ ]);
in
{
  # The session agent and GNOME (services.keymapd.session.enable).
  sessionOption = { inherit (options.session.enable) default description; };
  failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) cfg.assertions);
  userServices = builtins.mapAttrs (_: s: s) (cfg.systemd.user.services or { });
  systemPackages = map pkgName (cfg.environment.systemPackages or [ ]);
  # The extension's package: what its build script reads (src is a path: given as a string,
  # not copied to a store), its script, and its passthru.
  gnomeExtension =
    if extension == [ ] then null
    else let e = builtins.head extension; in {
      inherit (e) name script extensionUuid copy shellVersions;
      path = e.outPath;
      src = toString e.env.src;
      inherit (e.env) metadata;
    };
  dconfUser = cfg.programs.dconf.profiles.user.databases or null;
} // lib.optionalAttrs enable {
  etc = builtins.mapAttrs (_: v: v.source or v.text) cfg.environment.etc;
  removed = map (i: i.removed) (self.imports or [ ]);
  profilesScript = profiles.script;
  # What the profiles derivation reads: per file, generate's output and input, and the
  # extraConfig (keyd syntax) and extraToml files (null when there is none).
  files = builtins.mapAttrs
    (_: f: {
      generated = { path = f.generated.outPath; inherit (f.generated) json by; };
      extra = if f.extra == null then null else { path = f.extra.outPath; inherit (f.extra) text; };
      extraToml = if f.extraToml == null then null else { path = f.extraToml.outPath; inherit (f.extraToml) text; };
    })
    profiles.files;
  settingsType = keyboardOptions.settings.type;
  inherit (unit) wantedBy;
  reloadTriggers = map (d: d.name) unit.reloadTriggers;
  user = cfg.users.users.keymapd;
  uinput = cfg.hardware.uinput.enable;
  kernelModules = cfg.boot.kernelModules;
  udevPackages = map toString cfg.services.udev.packages;
  pathsToLink = cfg.environment.pathsToLink;
  systemdPackages = map toString cfg.systemd.packages;
  idsDefault = keyboardOptions.ids.default;
}
