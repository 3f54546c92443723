{
  description = "keymapd: a keyboard remapping daemon for Linux";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      eachSystem = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = eachSystem (pkgs: rec {
        keymapd = pkgs.callPackage ./packaging/nixos/package.nix { };
        default = keymapd;
      });

      # services.keymapd; its package defaults to this flake's build.
      nixosModules.default = { pkgs, lib, ... }: {
        imports = [ ./packaging/nixos/module.nix ];
        services.keymapd.package =
          lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      };

      devShells = eachSystem (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${pkgs.stdenv.hostPlatform.system}.default ];
          packages = with pkgs; [ cargo rustc clippy rustfmt rust-analyzer qemu shellcheck ];
        };
      });

      checks = eachSystem (pkgs: {
        package = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        nixos = pkgs.testers.runNixOSTest (import ./packaging/nixos/test.nix {
          module = self.nixosModules.default;
        });
      });
    };
}
