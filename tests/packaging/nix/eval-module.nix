# Evaluates packaging/nixos/module.nix without nixpkgs: a small stand-in for the parts of
# nixpkgs' lib and pkgs the module uses, enough to check that its `config` evaluates and
# says what it should. (The real module system is exercised by the flake's NixOS test.)
{ keyboards, store ? "/nix/store" }:
let
  inherit (builtins) attrNames listToAttrs map replaceStrings concatStringsSep;
  lib = rec {
    mkOption = o: { _option = true; } // o;
    mkEnableOption = what: mkOption { default = false; description = "Whether to enable ${what}."; };
    mkIf = cond: content: if cond then content else { };
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
    runCommand = name: env: script:
      { inherit name script; outPath = out name; } // (env.passthru or { });
    callPackage = _: _: { outPath = "${store}/hash-keymapd"; };
  };
  self = import ../../../packaging/nixos/module.nix {
    inherit lib pkgs;
    config.services.keymapd = {
      enable = true;
      package = "${store}/hash-keymapd";
      # What the module system would hand over: each keyboard with its options' defaults.
      keyboards = builtins.mapAttrs
        (name: kb:
          let opts = (self.options.services.keymapd.keyboards.type.attrsOf.submodule { inherit name; }).options;
          in builtins.mapAttrs (o: opt: kb.${o} or opt.default) opts)
        keyboards;
    };
  };
  cfg = self.config.content or self.config;
  unit = cfg.systemd.services.keymapd;
  profiles = builtins.head unit.reloadTriggers;
  keyboardOptions = (self.options.services.keymapd.keyboards.type.attrsOf.submodule { name = "x"; }).options;
in
{
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
