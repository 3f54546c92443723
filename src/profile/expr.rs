//! keyd's action expressions (`leftmeta`, `C-a`, `layer(nav)`, …) → [`Action`].
//! Pure string handling against a keymap's layer names; errors are plain messages the caller positions.

use crate::keymap::{Action, Keymap, Mods};
use crate::keys::{self, Key};

/// keyd actions that parse but are not implemented yet: a clear error instead of a silent no-op.
const NOT_YET: &[&str] = &[
    "overload",
    "overloadt",
    "overloadt2",
    "overloadi",
    "lettermod",
    "timeout",
    "oneshot",
    "oneshotm",
    "oneshotk",
    "toggle",
    "togglem",
    "swap",
    "swapm",
    "clear",
    "clearm",
    "layerm",
    "setlayout",
    "macro",
    "macro2",
    "repeat",
    "command",
];

/// Parses one action expression. `keymap` provides the layer names `layer(…)` may refer to.
pub fn parse_action(expr: &str, keymap: &Keymap) -> Result<Action, String> {
    let s = expr.trim();
    if s.is_empty() {
        return Err("empty action; write a key (`esc`), a key with modifiers (`C-a`) or `layer(name)`".into());
    }
    if s == "noop" {
        return Ok(Action::Noop);
    }
    if let Some((name, args)) = call(s) {
        return match name {
            "layer" => {
                let layer = args.trim();
                keymap.layer_id(layer).map(Action::Layer).ok_or_else(|| unknown_layer(layer, keymap))
            }
            n if NOT_YET.contains(&n) => Err(format!("not supported yet: {s}")),
            n => Err(format!("unknown action `{n}(…)` in `{s}`")),
        };
    }
    let (mods, key) = parse_key_sequence(s)?;
    Ok(keymap.key_action(mods, key))
}

/// Splits `name(args)` into its parts, if `s` has that form.
fn call(s: &str) -> Option<(&str, &str)> {
    let open = s.find('(')?;
    let name = &s[..open];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    let args = s[open + 1..].strip_suffix(')')?;
    Some((name, args))
}

/// A key with optional keyd modifier prefixes: `a`, `C-a`, `M-S-t`, `!` (shift+1), `A` (shift+a).
pub fn parse_key_sequence(s: &str) -> Result<(Mods, Key), String> {
    let mut mods = Mods::NONE;
    let mut rest = s;
    // `X-` prefixes, but never consume the whole string: `S--` is shift+minus, `-` is minus.
    while rest.len() > 2 && rest.as_bytes()[1] == b'-' {
        match Mods::from_letter(rest.as_bytes()[0] as char) {
            Some(m) => {
                mods = mods.union(m);
                rest = &rest[2..];
            }
            None => break,
        }
    }
    if let Some(key) = Key::from_name(rest) {
        return Ok((mods, key));
    }
    if let Some(key) = keys::shifted(rest) {
        return Ok((mods.union(Mods::SHIFT), key));
    }
    Err(unknown_key(rest, if rest == s { None } else { Some(s) }))
}

/// "unknown key `leftctl`; did you mean `leftctrl`?", naming the whole expression when it differs.
pub fn unknown_key(name: &str, within: Option<&str>) -> String {
    let mut msg = format!("unknown key `{name}`");
    if let Some(expr) = within {
        msg.push_str(&format!(" in `{expr}`"));
    }
    if let Some(s) = keys::suggest(name) {
        msg.push_str(&format!("; did you mean `{s}`?"));
    }
    msg
}

fn unknown_layer(name: &str, keymap: &Keymap) -> String {
    let names: Vec<&str> = keymap.layers().iter().skip(1).map(|l| l.name.as_str()).collect();
    format!("unknown layer `{name}`; the layers are: {}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn km() -> Keymap {
        let mut k = Keymap::new();
        k.add_layer("nav", Mods::NONE);
        k
    }

    #[test]
    fn keys_and_sequences() {
        let k = km();
        assert_eq!(parse_action("esc", &k), Ok(Action::Key { mods: Mods::NONE, key: Key::ESC }));
        assert_eq!(parse_action("C-a", &k), Ok(Action::Key { mods: Mods::CONTROL, key: Key::A }));
        assert_eq!(
            parse_action("M-S-a", &k),
            Ok(Action::Key { mods: Mods::META.union(Mods::SHIFT), key: Key::A })
        );
        let meta = k.layer_id("meta").unwrap();
        assert_eq!(parse_action("leftmeta", &k), Ok(Action::Modifier { key: Key::LEFTMETA, layer: meta }));
        assert_eq!(parse_action(" noop ", &k), Ok(Action::Noop));
    }

    #[test]
    fn layers() {
        let k = km();
        assert_eq!(parse_action("layer(nav)", &k), Ok(Action::Layer(k.layer_id("nav").unwrap())));
        assert_eq!(parse_action("layer(control)", &k), Ok(Action::Layer(1)));
        assert_eq!(
            parse_action("layer(navv)", &k),
            Err("unknown layer `navv`; the layers are: control, shift, meta, alt, altgr, nav".into())
        );
    }

    #[test]
    fn errors() {
        let k = km();
        assert_eq!(
            parse_action("overload(control, esc)", &k),
            Err("not supported yet: overload(control, esc)".into())
        );
        assert_eq!(
            parse_action("frobnicate(x)", &k),
            Err("unknown action `frobnicate(…)` in `frobnicate(x)`".into())
        );
        assert!(parse_action("", &k).unwrap_err().starts_with("empty action"));
        assert_eq!(parse_action("X-a", &k), Err("unknown key `X-a`".into()));
    }
}
