# keymapd as a Nix package: the programs (keymapd, keymapd-daemon, keymapd-session), the
# systemd unit, the session agent's user unit (lib/systemd/user: NixOS links it from
# systemd.packages), sysusers entry, udev rules, modules-load entry, compose file, man pages
# keymapd(1) and keymapd.toml(5)
# (docs/man) and shell completions.
{ lib
, stdenv
, rustPlatform
, pkg-config
, udev
, installShellFiles
, coreutils
}:
let
  root = ../..;
  cargoToml = lib.importTOML (root + "/Cargo.toml");
  # The source tree without build output and caches (tests/vm keeps its kernel cache in .cache).
  src = lib.cleanSourceWith {
    src = lib.cleanSource root;
    filter = path: type:
      let rel = lib.removePrefix (toString root + "/") (toString path);
      in !(lib.elem rel [ "target" ".cache" "result" ]) && !(lib.hasPrefix "tests/vm/.cache" rel);
  };
in
rustPlatform.buildRustPackage {
  pname = "keymapd";
  inherit (cargoToml.package) version;
  inherit src;

  cargoLock.lockFile = root + "/Cargo.lock";
  # The workspace also holds the test bed's driver; build and test only keymapd: its programs
  # $out/bin/keymapd, keymapd-daemon and keymapd-session (which `keymapd run` and `keymapd
  # session` exec from their own directory).
  cargoBuildFlags = [ "--package" "keymapd" ];
  cargoTestFlags = [ "--package" "keymapd" "--lib" ];

  nativeBuildInputs = [ pkg-config installShellFiles ];
  buildInputs = [ udev ];

  postInstall = ''
    install -Dm644 packaging/systemd/keymapd.service $out/lib/systemd/system/keymapd.service
    substituteInPlace $out/lib/systemd/system/keymapd.service \
      --replace-fail "ExecStart=/usr/bin/keymapd" "ExecStart=$out/bin/keymapd" \
      --replace-fail "ExecReload=kill" "ExecReload=${coreutils}/bin/kill"
    # The session agent's user unit, as shipped but for the binary's path (the module's
    # services.keymapd.session.enable adds only its WantedBy).
    install -Dm644 packaging/systemd/keymapd-session.service $out/lib/systemd/user/keymapd-session.service
    substituteInPlace $out/lib/systemd/user/keymapd-session.service \
      --replace-fail "ExecStart=/usr/bin/keymapd" "ExecStart=$out/bin/keymapd"
    install -Dm644 packaging/sysusers.d/keymapd.conf $out/lib/sysusers.d/keymapd.conf
    install -Dm644 udev-rules/70-keymapd.rules $out/lib/udev/rules.d/70-keymapd.rules
    install -Dm644 packaging/modules-load.d/keymapd.conf $out/lib/modules-load.d/keymapd.conf
    install -Dm644 -t $out/share/keymapd/profiles profiles/*.toml
    # As committed (rendered from the source; tests/docs.rs keeps them current).
    installManPage docs/man/keymapd.1 docs/man/keymapd.toml.5
    # How characters outside ASCII come out (the same sequences as keyd's keyd.compose).
    install -Dm644 packaging/compose/keymapd.compose $out/share/keymapd/keymapd.compose
  '' + lib.optionalString (stdenv.buildPlatform.canExecute stdenv.hostPlatform) ''
    # Generated from the command line definition (hidden subcommand `completions`).
    if $out/bin/keymapd completions bash > /dev/null; then
      installShellCompletion --cmd keymapd \
        --bash <($out/bin/keymapd completions bash) \
        --zsh <($out/bin/keymapd completions zsh) \
        --fish <($out/bin/keymapd completions fish)
    fi
  '';

  meta = {
    description = cargoToml.package.description;
    license = with lib.licenses; [ mit asl20 ];
    platforms = lib.platforms.linux;
    mainProgram = "keymapd";
  };
}
