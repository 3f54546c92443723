# Evaluates packaging/nixos/package.nix without nixpkgs, against a stand-in for the few parts of
# lib and the builders it touches: buildRustPackage hands back its attributes, so
# tests/packaging/run.sh can run the postInstall script (with stand-ins of nixpkgs' setup
# functions) on the binary it built and look at what the package installs.
let
  store = "/nix/store";
  lib = {
    importTOML = path: builtins.fromTOML (builtins.readFile path);
    cleanSource = src: src;
    cleanSourceWith = { src, filter }: src;
    removePrefix = _: s: s;
    elem = builtins.elem;
    hasPrefix = _: _: false;
    optionalString = c: s: if c then s else "";
    licenses = { mit = "mit"; asl20 = "asl20"; };
    platforms.linux = [ "x86_64-linux" ];
  };
  platform = { canExecute = _: true; };
  drv = import ../../../packaging/nixos/package.nix {
    inherit lib;
    stdenv = { buildPlatform = platform; hostPlatform = platform; };
    rustPlatform.buildRustPackage = attrs: attrs;
    pkg-config = "${store}/hash-pkg-config";
    udev = "${store}/hash-udev";
    installShellFiles = "${store}/hash-installShellFiles";
    coreutils = "${store}/hash-coreutils";
  };
in
{
  inherit (drv) pname version postInstall;
}
