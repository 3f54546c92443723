# Renders services.keymapd.keyboards into profile files, using builtins only (no nixpkgs), so
# that tests/packaging can evaluate it with a bare `nix-instantiate` and feed the result to
# `keymapd check` and `keymapd test`. The NixOS module installs exactly this text.
#
#   keyboards: { <name> = { ids ? [ "*" ]; settings ? { }; extraConfig ? ""; }; ... }
#   result:    { "<name>.toml" = "<TOML text>"; ... }
#
# settings is { <section> = { <key> = <action>; ... }; ... }, e.g. settings.main.capslock = "esc".
# Values may be strings, integers, booleans, floats, lists of those, or nested attribute sets
# (written as sub-tables). extraConfig is appended verbatim after the generated text.
keyboards:
let
  inherit (builtins)
    attrNames concatStringsSep filter isAttrs isBool isFloat isInt isList isString map match
    sort stringLength substring throw toJSON;

  # A TOML key: bare when it may be, else a basic string. JSON's string escapes are all valid
  # TOML basic-string escapes (\" \\ \n \t \uXXXX ...), so toJSON quotes correctly.
  key = k: if match "[A-Za-z0-9_-]+" k != null then k else toJSON k;

  scalar = where: v:
    if isString v then toJSON v
    else if isBool v then (if v then "true" else "false")
    else if isInt v then toString v
    else if isFloat v then toJSON v
    else if isList v then "[" + concatStringsSep ", " (map (scalar where) v) + "]"
    else throw "keymapd: ${where}: a value must be a string, number, boolean or list, not ${builtins.typeOf v}";

  # Section names in file order: main first (as in keyd's files), then the rest sorted.
  order = names:
    (filter (n: n == "main") names) ++ sort (a: b: a < b) (filter (n: n != "main") names);

  # One table and, after it, its sub-tables ([a] then [a.b]).
  table = where: path: attrs:
    let
      names = order (attrNames attrs);
      plain = filter (n: !(isAttrs attrs.${n})) names;
      nested = filter (n: isAttrs attrs.${n}) names;
      header = "[" + concatStringsSep "." (map key path) + "]\n";
      body = concatStringsSep "" (map (n: "${key n} = ${scalar "${where}.${n}" attrs.${n}}\n") plain);
    in
    header + body
    + concatStringsSep "" (map (n: "\n" + table "${where}.${n}" (path ++ [ n ]) attrs.${n}) nested);

  profile = name: kb:
    let
      ids = kb.ids or [ "*" ];
      settings = kb.settings or { };
      extraConfig = kb.extraConfig or "";
      where = "keyboards.${name}.settings";
      sections = order (attrNames settings);
      bad = filter (s: !(isAttrs settings.${s})) sections;
    in
    if match "[A-Za-z0-9_][A-Za-z0-9_.@-]*" name == null then
      throw "keymapd: keyboards.${name}: the name becomes the file name ${name}.toml; use letters, digits, '_', '-', '.', '@'"
    else if !(isList ids) || ids == [ ] then
      throw "keymapd: keyboards.${name}.ids must be a non-empty list of device ids"
    else if bad != [ ] then
      throw "keymapd: ${where}.${builtins.head bad} must be a section: an attribute set of key = action"
    else
      "# Generated from services.keymapd.keyboards.${name}; edits here are overwritten.\n"
      + "ids = ${scalar "keyboards.${name}.ids" ids}\n"
      + concatStringsSep "" (map (s: "\n" + table "${where}.${s}" [ s ] settings.${s}) sections)
      + (if extraConfig == "" then "" else "\n" + extraConfig
          + (if substring (stringLength extraConfig - 1) 1 extraConfig == "\n" then "" else "\n"));
in
builtins.listToAttrs (map
  (name: { name = "${name}.toml"; value = profile name keyboards.${name}; })
  (attrNames keyboards))
