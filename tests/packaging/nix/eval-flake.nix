# Evaluates flake.nix's outputs and the NixOS test definition without nixpkgs, against a
# stand-in for the few parts of nixpkgs they touch: catches a misspelt attribute or a wrong
# argument before `nix flake check` ever runs (which needs nixpkgs and a VM).
let
  flake = import ../../../flake.nix;
  systems = [ "x86_64-linux" "aarch64-linux" ];
  drv = name: system: { type = "derivation"; inherit name system; outPath = "/nix/store/hash-${name}"; };
  lib = {
    genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
    mkDefault = v: { _mkDefault = v; };
    mkForce = v: { _mkForce = v; };
  };
  pkgsFor = system: {
    stdenv.hostPlatform.system = system;
    callPackage = path: args: drv (baseNameOf (toString path)) system // { _callPackage = toString path; };
    mkShell = attrs: drv "shell" system // { inherit attrs; };
    testers.runNixOSTest = test: drv "nixos-test" system // { inherit test; };
    writeShellScript = name: text: "/nix/store/hash-${name}";
    cargo = drv "cargo" system; rustc = drv "rustc" system; clippy = drv "clippy" system;
    rustfmt = drv "rustfmt" system; rust-analyzer = drv "rust-analyzer" system;
    qemu = drv "qemu" system; shellcheck = drv "shellcheck" system;
  };
  nixpkgs = {
    inherit lib;
    legacyPackages = lib.genAttrs systems pkgsFor;
  };
  self = flake.outputs { inherit self nixpkgs; };
  x86 = "x86_64-linux";
  test = self.checks.${x86}.nixos.test { inherit lib; pkgs = pkgsFor x86; };
  module = self.nixosModules.default { pkgs = pkgsFor x86; inherit lib; };
in
{
  description = flake.description;
  packages = map (s: self.packages.${s}.default._callPackage) systems;
  shellInputs = map (d: d.name) self.devShells.${x86}.default.attrs.inputsFrom;
  checks = builtins.attrNames self.checks.${x86};
  testName = test.name;
  testKeyboards = builtins.attrNames test.nodes.machine.services.keymapd.keyboards;
  testImports = builtins.length test.nodes.machine.imports;
  testScriptHasReload = builtins.match ".*switch-to-configuration test.*" test.testScript != null;
  testSession = test.nodes.machine.services.keymapd.session.enable;
  testScriptHasSession = builtins.match ".*/etc/systemd/user/graphical-session.target.wants/keymapd-session.service.*" test.testScript != null;
  moduleImports = map toString module.imports;
  modulePackage = module.services.keymapd.package._mkDefault.name;
}
