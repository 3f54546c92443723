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
  pkgs = {
    formats.toml = _: { type = "toml"; };
    writeText = name: text: "${store}/hash-${name}";
    runCommand = name: env: script: { inherit name script; outPath = "${store}/hash-${name}"; };
    callPackage = _: _: { outPath = "${store}/hash-keymapd"; };
  };
  self = import ../../../packaging/nixos/module.nix {
    inherit lib pkgs;
    config.services.keymapd = {
      enable = true;
      package = "${store}/hash-keymapd";
      libinputQuirks = true;
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
in
{
  etc = builtins.mapAttrs (_: v: v.source or v.text) cfg.environment.etc;
  profilesScript = (builtins.head unit.reloadTriggers).script;
  inherit (unit) wantedBy;
  reloadTriggers = map (d: d.name) unit.reloadTriggers;
  user = cfg.users.users.keymapd;
  uinput = cfg.hardware.uinput.enable;
  kernelModules = cfg.boot.kernelModules;
  udevPackages = map toString cfg.services.udev.packages;
  systemdPackages = map toString cfg.systemd.packages;
  idsDefault = (self.options.services.keymapd.keyboards.type.attrsOf.submodule { name = "x"; }).options.ids.default;
}
