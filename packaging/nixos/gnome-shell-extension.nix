# keymapd's GNOME Shell extension (packaging/gnome-shell/), which tells the session agent the
# focused window, as a package for the given gnome-shell: the copy written for its version
# (43 for GNOME Shell 43 and 44, 45 for 45 and later: GNOME 45 made extensions ES modules) in
# share/gnome-shell/extensions/<uuid>/, where GNOME Shell looks for system-wide extensions
# (XDG_DATA_DIRS; NixOS links /share of environment.systemPackages).
#
# GNOME Shell loads an extension only if its metadata.json's shell-version lists the running
# major version. A gnome-shell newer than the copy's list gets its major version added rather
# than the extension refused without a word: the 45 copy uses only the Extension class,
# global.display's focus window and Gio's D-Bus (tests/desktop/gnome.sh runs it on GNOME Shell
# 48), and the alternative is the user turning version validation off for every extension.
#
# The version is known at evaluation time (gnome-shell.version), so the choice costs no build.
{ lib, runCommand, gnome-shell }:
let
  uuid = "keymapd@keymapd.github.io";
  major = lib.versions.major gnome-shell.version;
  copy = if lib.toInt major >= 45 then "45" else "43";
  # The directory holding <uuid>/ (a store path may not be named with '@').
  src = ../gnome-shell + "/${copy}";
  shipped = lib.importJSON (src + "/${uuid}/metadata.json");
  metadata = shipped // {
    shell-version = shipped.shell-version ++ lib.optional (!lib.elem major shipped.shell-version) major;
  };
in
if !(builtins.match "[0-9]+" major != null && lib.toInt major >= 43) then
  throw "keymapd's GNOME Shell extension needs GNOME Shell 43 or later; this gnome-shell is ${gnome-shell.version}"
else if metadata.uuid != uuid then
  throw "packaging/gnome-shell/${copy}/${uuid}/metadata.json: uuid is ${metadata.uuid}, not ${uuid}"
else
  runCommand "gnome-shell-extension-keymapd"
    {
      inherit src;
      metadata = builtins.toJSON metadata;
      passthru = {
        # As nixpkgs' gnomeExtensions.* have it (home-manager and others enable by it).
        extensionUuid = uuid;
        # Which copy, and the shell-version written (for the tests and for `nix eval`).
        inherit copy;
        shellVersions = metadata.shell-version;
      };
    } ''
    dir=$out/share/gnome-shell/extensions/${uuid}
    mkdir -p "$(dirname "$dir")"
    cp -r --no-preserve=mode "$src/${uuid}" "$dir"
    printf '%s\n' "$metadata" > "$dir/metadata.json"
  ''
