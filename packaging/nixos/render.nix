# Turns services.keymapd.keyboards into the data of each profile file, using builtins only (no
# nixpkgs), so that tests/packaging can evaluate it with a bare `nix-instantiate`. The module
# hands each result to `(pkgs.formats.toml { }).generate`, which serialises it (json2toml on its
# builtins.toJSON), and appends the keyboard's extraConfig and extraToml; the test does the same with
# remarshal's json2toml and feeds the files to `keymapd check` and `keymapd test`.
#
#   keyboards: { <name> = { ids ? [ "*" ]; settings ? { }; ... }; ... }
#   result:    { "<name>.toml" = { ids = [ ... ]; <section> = { <key> = <action>; ... }; ... }; ... }
#
# settings is { <section> = { <key> = <action>; ... }; ... }, e.g. settings.main.capslock = "esc".
# Values may be strings, integers, booleans, floats, lists of those, or nested attribute sets
# (sub-tables). Other attributes of a keyboard (extraConfig, extraToml) are not the renderer's business.
keyboards:
let
  inherit (builtins)
    all attrNames filter head isAttrs isBool isFloat isInt isList isPath isString
    listToAttrs map match typeOf;

  # The TOML value space, checked here so that a mistake names its option rather than failing
  # later inside json2toml (TOML has no null; a function has no JSON form).
  value = where: v:
    if isString v || isBool v || isInt v || isFloat v || isPath v then true
    else if isList v then all (value where) v
    else if isAttrs v then all (n: value "${where}.${n}" v.${n}) (attrNames v)
    else throw "keymapd: ${where}: a value must be a string, number, boolean, list or attribute set, not ${typeOf v}";

  profile = name: kb:
    let
      ids = kb.ids or [ "*" ];
      settings = kb.settings or { };
      where = "keyboards.${name}.settings";
      bad = filter (s: !(isAttrs settings.${s})) (attrNames settings);
    in
    if match "[A-Za-z0-9_][A-Za-z0-9_.@-]*" name == null then
      throw "keymapd: keyboards.${name}: the name becomes the file name ${name}.toml; use letters, digits, '_', '-', '.', '@'"
    else if !(isList ids) || ids == [ ] || !(all isString ids) then
      throw "keymapd: keyboards.${name}.ids must be a non-empty list of device ids"
    else if settings ? ids then
      throw "keymapd: ${where}.ids: ids is not a section; set keyboards.${name}.ids"
    else if bad != [ ] then
      throw "keymapd: ${where}.${head bad} must be a section: an attribute set of key = action"
    else
      # (`value` throws on a bad value; it never returns false.)
      assert all (s: value "${where}.${s}" settings.${s}) (attrNames settings);
      # `ids` is the only top-level value; json2toml writes plain values before tables.
      { inherit ids; } // settings;
in
listToAttrs (map
  (name: { name = "${name}.toml"; value = profile name keyboards.${name}; })
  (attrNames keyboards))
