//! keyd's action expressions (`leftmeta`, `C-a`, `layer(nav)`, …) → [`Action`].
//! Pure string handling against a keymap's layer names; errors are plain messages the caller positions.

use crate::keymap::{Action, Keymap, LayerId, LayerKind, MacroId, MacroOp, Mods, MAIN};
use crate::keys::{self, Key};

/// Parses one action expression. `keymap` provides the layer names `layer(…)` may refer to, the
/// `[global]` settings (`allow_commands`), and stores nested actions, macros and commands.
pub fn parse_action(expr: &str, keymap: &mut Keymap) -> Result<Action, String> {
    parse_in(expr.trim(), keymap, None, 0)
}

/// How deeply actions may nest (`overloadi(a, overloadt2(…), 1)` is 2); deeper is an error, so
/// that a hostile file can neither exhaust the stack nor take quadratic time.
const MAX_NESTING: usize = 4;

/// Actions that may wait for other keys before they know what they are. A tap (of
/// `overload()`) is over at once, so it cannot be one of these (nor another `overload()`); the
/// branches of `overloadt()`, `timeout()` and `overloadi()`, and chords, can. (`timeout()` can
/// be a tap: tapped, it waits out its time, as in keyd 2.6.)
const WAITING: &[&str] = &["overloadt", "overloadt2", "overloadi", "lettermod"];

/// Every action name the parser accepts in the `name(…)` form (`noop` is the one bare word).
/// The parser refuses any other name before it looks at arguments, so this list is the truth
/// that README's action reference is checked against.
pub const ACTIONS: &[&str] = &[
    "layer",
    "layerm",
    "oneshot",
    "oneshotm",
    "oneshotk",
    "toggle",
    "togglem",
    "swap",
    "swapm",
    "clear",
    "clearm",
    "setlayout",
    "overload",
    "overloadt",
    "overloadt2",
    "overloadi",
    "lettermod",
    "timeout",
    "macro",
    "macro2",
    "repeat",
    "command",
];

/// Parses the action of a chord binding (`"j+k" = "esc"`).
pub fn parse_chord_action(expr: &str, keymap: &mut Keymap) -> Result<Action, String> {
    parse_in(expr.trim(), keymap, Some("chord"), 0)
}

/// `within`: the tap-hold action this expression is the tap or a branch of, if any.
fn parse_in(s: &str, keymap: &mut Keymap, within: Option<&str>, depth: usize) -> Result<Action, String> {
    if depth > MAX_NESTING {
        return Err(format!("actions nest too deeply (at most {MAX_NESTING} levels)"));
    }
    if s.is_empty() {
        return Err("empty action; write a key (`esc`), a key with modifiers (`C-a`) or `layer(name)`".into());
    }
    if s == "noop" {
        return Ok(Action::Noop);
    }
    let Some((name, raw)) = call(s) else {
        if let Some((_, msg)) = unbalanced(s) {
            return Err(msg);
        }
        // `tap-dance(a, b)`: a call of something that is not an action name.
        if let Some(open) = s.find('(').filter(|_| s.ends_with(')')) {
            let name = s[..open].trim();
            if !name.is_empty() && !name.contains(char::is_whitespace) {
                return Err(unknown_action(name, s));
            }
        }
        if s.contains(char::is_whitespace) {
            return Err(format!("cannot read `{s}`; to type several keys write `macro({s})`"));
        }
        if !s.is_ascii() {
            // A character outside ASCII (`😄`, `é`): typed as keyd types it, as a macro.
            return Ok(Action::Macro(store_macro(keymap, macro_ops(s, s)?)?));
        }
        let (mods, key) = parse_key_sequence(s)?;
        return Ok(keymap.key_action(mods, key));
    };
    if !ACTIONS.contains(&name) {
        return Err(unknown_action(name, s));
    }
    match within {
        Some("overload") if WAITING.contains(&name) || name == "overload" => {
            return Err(format!(
                "`{name}(…)` cannot be the tap of `overload(…)`: it waits, and a tap is over at once; use a \
                 key, a layer action or a macro there"
            ))
        }
        _ => {}
    }
    let args = split_args(raw);
    let want = |n: usize, usage: &str| -> Result<(), String> {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!("`{name}` takes {usage}; got `{s}`"))
        }
    };
    let nested = |keymap: &mut Keymap, text: &str| -> Result<u16, String> {
        let a = parse_in(text, keymap, Some(name), depth + 1)?;
        keymap.add_action(a).ok_or_else(|| "too many nested actions in one profile".to_owned())
    };
    Ok(match name {
        "layer" => {
            want(1, "one layer: `layer(nav)`")?;
            Action::Layer(layer_arg(args[0], keymap)?)
        }
        "layerm" => {
            want(2, "a layer and a macro: `layerm(nav, macro(…))`")?;
            Action::LayerM(layer_arg(args[0], keymap)?, macro_arg(args[1], keymap)?)
        }
        "oneshot" => {
            want(1, "one layer: `oneshot(shift)`")?;
            Action::Oneshot(layer_arg(args[0], keymap)?)
        }
        "oneshotm" => {
            want(2, "a layer and a macro: `oneshotm(shift, macro(…))`")?;
            Action::OneshotM(layer_arg(args[0], keymap)?, macro_arg(args[1], keymap)?)
        }
        "oneshotk" => {
            want(2, "a layer and a key: `oneshotk(nav, esc)`")?;
            let layer = layer_arg(args[0], keymap)?;
            let (mods, key) = parse_key_sequence(args[1])?;
            Action::OneshotK(layer, mods, key)
        }
        "toggle" => {
            want(1, "one layer: `toggle(nav)`")?;
            Action::Toggle(layer_arg(args[0], keymap)?)
        }
        "togglem" => {
            want(2, "a layer and a macro: `togglem(nav, macro(…))`")?;
            Action::ToggleM(layer_arg(args[0], keymap)?, macro_arg(args[1], keymap)?)
        }
        // keyd's older two-argument `swap(layer, macro)` is `swapm`.
        "swap" if args.len() == 2 => Action::SwapM(layer_arg(args[0], keymap)?, macro_arg(args[1], keymap)?),
        "swap" => {
            want(1, "one layer: `swap(nav)`")?;
            Action::Swap(layer_arg(args[0], keymap)?)
        }
        "swapm" => {
            want(2, "a layer and a macro: `swapm(nav, macro(…))`")?;
            Action::SwapM(layer_arg(args[0], keymap)?, macro_arg(args[1], keymap)?)
        }
        "clear" => {
            want(0, "no arguments: `clear()`")?;
            Action::Clear
        }
        "clearm" => {
            want(1, "a macro: `clearm(macro(…))`")?;
            Action::ClearM(macro_arg(args[0], keymap)?)
        }
        "setlayout" => {
            want(1, "one layout: `setlayout(dvorak)`")?;
            Action::SetLayout(layout_arg(args[0], keymap)?)
        }
        "overload" => {
            want(2, "a layer and the tap action: `overload(control, esc)`")?;
            let layer = layer_arg(args[0], keymap)?;
            Action::Overload { layer, tap: nested(keymap, args[1])? }
        }
        "overloadt" | "overloadt2" => {
            want(3, "a layer, the tap action and a timeout in ms: `overloadt(control, esc, 200)`")?;
            let layer = layer_arg(args[0], keymap)?;
            let tap = nested(keymap, args[1])?;
            Action::OverloadT { layer, tap, ms: ms_arg(args[2], s)?, interrupt: name == "overloadt2" }
        }
        "overloadi" => {
            want(3, "two actions and an idle time in ms: `overloadi(a, overloadt2(shift, a, 200), 150)`")?;
            let fast = nested(keymap, args[0])?;
            let slow = nested(keymap, args[1])?;
            Action::OverloadI { fast, slow, ms: ms_arg(args[2], s)? }
        }
        "lettermod" => {
            want(4, "a layer, a key, an idle time and a hold time in ms: `lettermod(shift, a, 150, 200)`")?;
            let layer = layer_arg(args[0], keymap)?;
            let (mods, key) = parse_key_sequence(args[1])?;
            let idle = ms_arg(args[2], s)?;
            let hold = ms_arg(args[3], s)?;
            let key = keymap.key_action(mods, key);
            let full = "too many nested actions in one profile";
            let tap = keymap.add_action(key).ok_or(full)?;
            let slow = Action::OverloadT { layer, tap, ms: hold, interrupt: true };
            let slow = keymap.add_action(slow).ok_or(full)?;
            Action::OverloadI { fast: tap, slow, ms: idle }
        }
        "timeout" => {
            want(3, "an action, a time in ms and an action: `timeout(a, 500, layer(control))`")?;
            let tap = nested(keymap, args[0])?;
            let t = ms_arg(args[1], s)?;
            Action::Timeout { tap, ms: t, hold: nested(keymap, args[2])? }
        }
        "macro" => Action::Macro(store_macro(keymap, macro_ops(raw, s)?)?),
        "macro2" => {
            want(3, "a timeout, a repeat time (ms) and a macro: `macro2(400, 50, macro(…))`")?;
            let timeout = ms_arg(args[0], s)?;
            let repeat = ms_arg(args[1], s)?;
            Action::Macro2 { id: macro_arg(args[2], keymap)?, timeout, repeat }
        }
        "repeat" => {
            want(0, "no arguments: `repeat()`")?;
            Action::Repeat
        }
        "command" => {
            if !keymap.settings.allow_commands {
                return Err(format!(
                    "`{s}`: command() is off by default: it runs a shell command (as the daemon's user, or \
                     in the user's session through its session agent); enable it with \
                     `allow_commands = true` in [global]"
                ));
            }
            let cmd = raw.trim();
            if cmd.is_empty() {
                return Err("`command()` needs a shell command: `command(brightnessctl s +10%)`".into());
            }
            Action::Command(keymap.add_command(cmd).ok_or("too many commands in one profile")?)
        }
        n => return Err(unknown_action(n, s)),
    })
}

/// Parentheses that do not match: the byte offset in `s` where the problem is (where a missing
/// `)` belongs: the end; or the `)` that closes nothing) and the message.
pub fn unbalanced(s: &str) -> Option<(usize, String)> {
    let mut open: Vec<usize> = Vec::new();
    for (i, c) in s.char_indices() {
        match c {
            '(' => open.push(i),
            ')' if open.pop().is_none() => {
                return Some((i, format!("`)` closes nothing in `{s}`; remove it, or add the `(` it closes")))
            }
            _ => {}
        }
    }
    let inner = *open.last()?;
    let what = s[..inner].rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')).next();
    let what = what.filter(|w| !w.is_empty()).map_or_else(|| "(".to_owned(), |w| format!("{w}("));
    let n = open.len();
    let missing = if n == 1 { "missing `)`".to_owned() } else { format!("{n} `)` missing") };
    Some((s.len(), format!("{missing} at the end of `{s}` (to close `{what}`)")))
}

/// "unknown action `overlaod(…)` in `overlaod(a, b)`; did you mean `overload`?"
fn unknown_action(name: &str, expr: &str) -> String {
    let mut msg = format!("unknown action `{name}(…)` in `{expr}`");
    let lower = name.to_ascii_lowercase();
    let hint = if lower != name && ACTIONS.contains(&lower.as_str()) {
        ACTIONS.iter().copied().find(|a| *a == lower)
    } else {
        let joined = lower.replace(['-', '_'], "");
        keys::closest(name, ACTIONS.iter().copied().chain(["noop"]))
            .or_else(|| ACTIONS.iter().copied().find(|a| *a == joined))
    };
    // Other remappers' names (kanata's, QMK's) for what keyd spells differently.
    let joined = lower.replace(['-', '_'], "");
    let foreign = match joined.as_str() {
        "taphold" | "tapholdpress" | "tapholdrelease" | "lt" | "mt" => {
            Some("tap-hold is `overloadt(layer, tap, ms)` (or `overload(layer, tap)`, `lettermod(…)`) here")
        }
        "tapdance" | "td" => Some(
            "keyd's actions have no tap dance; `timeout(tap, ms, hold)` and `overloadt(…)` choose by time",
        ),
        "osm" | "osl" => Some("a one-shot is `oneshot(layer)` here"),
        "tg" => Some("a toggle is `toggle(layer)` here"),
        "mo" => Some("a momentary layer is `layer(name)` here"),
        _ => None,
    };
    match (hint, foreign) {
        (Some(a), _) => {
            let call = if a == "noop" { "noop".to_owned() } else { format!("{a}(…)") };
            msg.push_str(&format!("; did you mean `{call}`?"));
        }
        (None, Some(f)) => msg.push_str(&format!("; {f}")),
        (None, None) => msg.push_str(&format!("; the actions are: {}, noop", ACTIONS.join(", "))),
    }
    msg
}

/// keyd's way to type a character outside ASCII: `cancel`, then the character's index in keyd's
/// table (`unicode.rs`, generated with the compose file by packaging/compose/generate.py) in
/// base 36 as three keys (0-9, a-z). The compose file (keymapd.compose, the same as keyd's
/// keyd.compose) turns the sequence back into the character.
pub fn compose_sequence(c: char) -> Option<[Key; 4]> {
    const DIGITS: [Key; 36] = [
        Key::KEY_0,
        Key::KEY_1,
        Key::KEY_2,
        Key::KEY_3,
        Key::KEY_4,
        Key::KEY_5,
        Key::KEY_6,
        Key::KEY_7,
        Key::KEY_8,
        Key::KEY_9,
        Key::A,
        Key::B,
        Key::C,
        Key::D,
        Key::E,
        Key::F,
        Key::G,
        Key::H,
        Key::I,
        Key::J,
        Key::K,
        Key::L,
        Key::M,
        Key::N,
        Key::O,
        Key::P,
        Key::Q,
        Key::R,
        Key::S,
        Key::T,
        Key::U,
        Key::V,
        Key::W,
        Key::X,
        Key::Y,
        Key::Z,
    ];
    let cp = u32::from(c);
    let mut index = 0usize;
    for &(first, n) in super::unicode::RUNS.iter() {
        if cp >= first && cp - first < u32::from(n) {
            let i = index + (cp - first) as usize;
            return Some([Key::CANCEL, DIGITS[i / (36 * 36) % 36], DIGITS[i / 36 % 36], DIGITS[i % 36]]);
        }
        index += usize::from(n);
    }
    None
}

const UNICODE: &str = "keyd's character table (Unicode 14.0) has no such character, so it cannot be typed";

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

/// Splits arguments at the commas outside parentheses; `()` has none.
fn split_args(raw: &str) -> Vec<&str> {
    if raw.trim().is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    let mut prev = ' ';
    for (i, c) in raw.char_indices() {
        // `\(` and `\)` in a macro are not parentheses (and `\\` escapes the backslash).
        let escaped = prev == '\\';
        prev = if escaped { ' ' } else { c };
        if escaped && matches!(c, '\\' | '(' | ')') {
            continue;
        }
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(raw[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(raw[start..].trim());
    out
}

fn ms_arg(text: &str, expr: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .map_err(|_| format!("bad time `{text}` in `{expr}`; write whole milliseconds from 0 to 65535"))
}

/// A layer that keys can activate: not `main`, not a layout, not a composite.
fn layer_arg(name: &str, keymap: &Keymap) -> Result<LayerId, String> {
    let id = keymap.layer_id(name).ok_or_else(|| unknown_layer(name, keymap))?;
    match &keymap.layer(id).kind {
        _ if id == MAIN => Err("`main` is always active; name another layer".into()),
        LayerKind::Layout => Err(format!("`{name}` is a layout; switch to it with `setlayout({name})`")),
        LayerKind::Composite(_) => Err(format!(
            "`{name}` is a composite layer: it is active whenever all of its layers are, and cannot be \
             activated itself"
        )),
        LayerKind::App(_) => Err(format!(
            "`{name}` is an application layer: it is active while that application has the focus, and \
             cannot be activated by a key"
        )),
        LayerKind::Normal => Ok(id),
    }
}

/// A `:layout` layer, or `main` (no layout).
fn layout_arg(name: &str, keymap: &Keymap) -> Result<LayerId, String> {
    let id = keymap.layer_id(name).ok_or_else(|| unknown_layer(name, keymap))?;
    if id == MAIN || keymap.layer(id).kind == LayerKind::Layout {
        Ok(id)
    } else {
        match keymap.layer(id).kind {
            LayerKind::App(_) => Err(format!(
                "`{name}` is an application layer, not a layout: it is active while that application \
                 has the focus"
            )),
            _ => Err(format!("`{name}` is not a layout; declare it as [\"{name}:layout\"]")),
        }
    }
}

/// A macro argument: `macro(…)`, or a key sequence (`C-a`) or character (`!`).
fn macro_arg(text: &str, keymap: &mut Keymap) -> Result<MacroId, String> {
    let ops = match call(text) {
        Some(("macro", inner)) => macro_ops(inner, text)?,
        _ => macro_ops(text, text).map_err(|_| {
            format!("expected a macro here (`macro(…)` or a key such as `C-a`), not `{text}`")
        })?,
    };
    store_macro(keymap, ops)
}

fn store_macro(keymap: &mut Keymap, ops: Vec<MacroOp>) -> Result<MacroId, String> {
    keymap.add_macro(ops).ok_or_else(|| "too many macros in one profile".to_owned())
}

/// The longest macro, in steps (a typed key is four: modifiers, down, up, modifiers back).
const MAX_MACRO_OPS: usize = 4096;

/// Compiles the inside of `macro(…)`: space-separated tokens, each a key sequence (`C-a`), a
/// group pressed together (`leftcontrol+leftmeta`), a delay (`50ms`) or ASCII text (`Hello`).
pub fn macro_ops(inner: &str, expr: &str) -> Result<Vec<MacroOp>, String> {
    let too_long =
        || format!("macro too long: at most {MAX_MACRO_OPS} steps (about {} keys)", MAX_MACRO_OPS / 4);
    // keyd: a macro that is one key sequence is typed with the modifiers of the active layers
    // (but that of the binding's layer) changed straight to the sequence's; its end restores them.
    let mut words = inner.split_whitespace();
    if let (Some(token), None) = (words.next(), words.next()) {
        if let Some((mods, key)) = lookup_key_sequence(token) {
            return Ok(vec![MacroOp::Mods(mods), MacroOp::Down(key), MacroOp::Up(key)]);
        }
    }
    // Any other: the layers' modifiers first (all but the binding's layer's), then each key
    // sequence presses its modifiers, taps its key and releases its modifiers, in keyd's order.
    let mut ops = vec![MacroOp::Mods(Mods::NONE)];
    let tap = |ops: &mut Vec<MacroOp>, mods: Mods, key: Key| {
        if mods.is_empty() {
            ops.extend([MacroOp::Down(key), MacroOp::Up(key)]);
        } else {
            ops.extend([
                MacroOp::ModsDown(mods),
                MacroOp::Down(key),
                MacroOp::Up(key),
                MacroOp::ModsUp(mods),
            ]);
        }
    };
    for token in inner.split_whitespace() {
        if ops.len() > MAX_MACRO_OPS || token.len() > MAX_MACRO_OPS {
            return Err(too_long());
        }
        if let Some(n) =
            token.strip_suffix("ms").filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        {
            let d = n
                .parse::<u16>()
                .map_err(|_| format!("delay `{token}` in `{expr}` is too long; at most 65535ms"))?;
            ops.push(MacroOp::Delay(d));
        } else if let Some((mods, key)) = lookup_key_sequence(token) {
            tap(&mut ops, mods, key);
        } else if token.len() > 1
            && token.contains('+')
            && token.split('+').all(|k| Key::from_name(k).is_some())
        {
            // Held together, then released in the order they were pressed (keyd).
            let group: Vec<Key> = token.split('+').filter_map(Key::from_name).collect();
            ops.extend(group.iter().map(|&k| MacroOp::Down(k)));
            ops.extend(group.iter().map(|&k| MacroOp::Up(k)));
        } else {
            let mut chars = token.chars();
            while let Some(mut c) = chars.next() {
                // keyd's escapes: `\\` a backslash, `\n` enter, `\t` tab, `\(` and `\)` parentheses.
                if c == '\\' {
                    match chars.clone().next() {
                        Some(e @ ('\\' | '(' | ')')) => {
                            chars.next();
                            c = e;
                        }
                        Some(e @ ('n' | 't')) => {
                            chars.next();
                            tap(&mut ops, Mods::NONE, if e == 'n' { Key::ENTER } else { Key::TAB });
                            continue;
                        }
                        _ => {}
                    }
                }
                if !c.is_ascii() {
                    // Through the compose file: `cancel` and three keys, no modifiers (keyd).
                    let seq = compose_sequence(c).ok_or_else(|| format!("`{c}` in `{expr}`: {UNICODE}"))?;
                    for k in seq {
                        ops.extend([MacroOp::Down(k), MacroOp::Up(k)]);
                    }
                    continue;
                }
                let name = c.to_string();
                let (mods, key) = if let Some(k) = Key::from_name(&name) {
                    (Mods::NONE, k)
                } else if let Some(k) = keys::shifted(&name) {
                    (Mods::SHIFT, k)
                } else {
                    return Err(format!("`{c}` in `{expr}`: {UNICODE}"));
                };
                tap(&mut ops, mods, key);
            }
        }
    }
    if ops.len() == 1 {
        return Err(format!("empty macro `{expr}`"));
    }
    if ops.len() > MAX_MACRO_OPS {
        return Err(too_long());
    }
    Ok(ops)
}

/// A key with optional keyd modifier prefixes: `a`, `C-a`, `M-S-t`, `!` (shift+1), `A` (shift+a).
pub fn parse_key_sequence(s: &str) -> Result<(Mods, Key), String> {
    lookup_key_sequence(s).ok_or_else(|| {
        let (_, rest) = strip_mods(s);
        unknown_key(rest, if rest == s { None } else { Some(s) })
    })
}

/// [`parse_key_sequence`] without the error: cheap to try on every word of a macro's text
/// (the error's "did you mean" search is not).
fn lookup_key_sequence(s: &str) -> Option<(Mods, Key)> {
    let (mods, rest) = strip_mods(s);
    if let Some(key) = Key::from_name(rest).or_else(|| modifier_name(rest)) {
        return Some((mods, key));
    }
    keys::shifted(rest).map(|key| (mods.union(Mods::SHIFT), key))
}

/// Splits `X-` modifier prefixes off, but never the whole string: `S--` is shift+minus, `-` is
/// minus.
fn strip_mods(s: &str) -> (Mods, &str) {
    let mut mods = Mods::NONE;
    let mut rest = s;
    while rest.len() > 2 && rest.as_bytes()[1] == b'-' {
        match Mods::from_letter(rest.as_bytes()[0] as char) {
            Some(m) => {
                mods = mods.union(m);
                rest = &rest[2..];
            }
            None => break,
        }
    }
    (mods, rest)
}

/// keyd's short names for the left modifiers (and AltGr) on the right-hand side: `alt`, `meta`…
fn modifier_name(name: &str) -> Option<Key> {
    Some(match name {
        "control" => Key::LEFTCTRL,
        "shift" => Key::LEFTSHIFT,
        "alt" => Key::LEFTALT,
        "meta" => Key::LEFTMETA,
        "altgr" => Key::RIGHTALT,
        _ => return None,
    })
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
        let dv = k.add_layer("dvorak", Mods::NONE);
        k.set_kind(dv, LayerKind::Layout);
        k
    }

    #[test]
    fn keys_and_sequences() {
        let mut k = km();
        assert_eq!(parse_action("esc", &mut k), Ok(Action::Key { mods: Mods::NONE, key: Key::ESC }));
        assert_eq!(parse_action("C-a", &mut k), Ok(Action::Key { mods: Mods::CONTROL, key: Key::A }));
        assert_eq!(
            parse_action("M-S-a", &mut k),
            Ok(Action::Key { mods: Mods::META.union(Mods::SHIFT), key: Key::A })
        );
        let meta = k.layer_id("meta").unwrap();
        assert_eq!(
            parse_action("leftmeta", &mut k),
            Ok(Action::Modifier { key: Key::LEFTMETA, layer: meta })
        );
        assert_eq!(parse_action(" noop ", &mut k), Ok(Action::Noop));
    }

    #[test]
    fn layers() {
        let mut k = km();
        let nav = k.layer_id("nav").unwrap();
        assert_eq!(parse_action("layer(nav)", &mut k), Ok(Action::Layer(nav)));
        assert_eq!(parse_action("layer(control)", &mut k), Ok(Action::Layer(1)));
        assert_eq!(
            parse_action("layer(navv)", &mut k),
            Err("unknown layer `navv`; the layers are: control, shift, meta, alt, altgr, nav, dvorak".into())
        );
        assert_eq!(parse_action("toggle(nav)", &mut k), Ok(Action::Toggle(nav)));
        assert_eq!(parse_action("oneshot( nav )", &mut k), Ok(Action::Oneshot(nav)));
        assert_eq!(parse_action("clear()", &mut k), Ok(Action::Clear));
        assert_eq!(parse_action("setlayout(dvorak)", &mut k), Ok(Action::SetLayout(7)));
        assert_eq!(parse_action("setlayout(main)", &mut k), Ok(Action::SetLayout(0)));
        assert_eq!(
            parse_action("layer(dvorak)", &mut k),
            Err("`dvorak` is a layout; switch to it with `setlayout(dvorak)`".into())
        );
        assert_eq!(
            parse_action("setlayout(nav)", &mut k),
            Err("`nav` is not a layout; declare it as [\"nav:layout\"]".into())
        );
        assert_eq!(
            parse_action("toggle()", &mut k),
            Err("`toggle` takes one layer: `toggle(nav)`; got `toggle()`".into())
        );
    }

    #[test]
    fn tap_hold_and_nesting() {
        let mut k = km();
        let Ok(Action::Overload { layer: 1, tap }) = parse_action("overload(control, esc)", &mut k) else {
            panic!()
        };
        assert_eq!(k.action(tap), Action::Key { mods: Mods::NONE, key: Key::ESC });
        assert!(matches!(
            parse_action("overloadt2(control, esc, 200)", &mut k),
            Ok(Action::OverloadT { layer: 1, ms: 200, interrupt: true, .. })
        ));
        assert!(matches!(
            parse_action("lettermod(shift, a, 150, 200)", &mut k),
            Ok(Action::OverloadI { ms: 150, .. })
        ));
        assert_eq!(
            parse_action("overload(control, overloadt(nav, a, 1))", &mut k),
            Err("`overloadt(…)` cannot be the tap of `overload(…)`: it waits, and a tap is over at once; use a \
                 key, a layer action or a macro there"
                .into())
        );
        // A tapped timeout() waits out its time (keyd 2.6): it can be a tap.
        assert!(parse_action("overload(control, timeout(a, 1, b))", &mut k).is_ok());
        // keyd's simlayer: an overload as the first branch of a timeout.
        assert!(parse_action("timeout(overload(nav, backspace), 500, backspace)", &mut k).is_ok());
        assert!(parse_chord_action("overloadt(nav, a, 1)", &mut k).is_ok());
        assert_eq!(parse_action("alt", &mut k), Ok(Action::Modifier { key: Key::LEFTALT, layer: 4 }));
        assert_eq!(
            parse_action("overloadt(control, esc, 70000)", &mut k),
            Err("bad time `70000` in `overloadt(control, esc, 70000)`; write whole milliseconds from 0 to 65535".into())
        );
    }

    #[test]
    fn macros() {
        use crate::keymap::Mods as M;
        use MacroOp::*;
        let none = M::NONE;
        assert_eq!(
            macro_ops("C-a 50ms Hi", "m").unwrap(),
            vec![
                Mods(none),
                ModsDown(M::CONTROL),
                Down(Key::A),
                Up(Key::A),
                ModsUp(M::CONTROL),
                Delay(50),
                ModsDown(M::SHIFT),
                Down(Key::H),
                Up(Key::H),
                ModsUp(M::SHIFT),
                Down(Key::I),
                Up(Key::I),
            ]
        );
        // One key sequence: straight to its modifiers, and back at the end.
        assert_eq!(macro_ops("C-a", "m").unwrap(), vec![Mods(M::CONTROL), Down(Key::A), Up(Key::A)]);
        assert_eq!(
            macro_ops("leftcontrol+leftmeta", "m").unwrap(),
            vec![Mods(none), Down(Key::LEFTCTRL), Down(Key::LEFTMETA), Up(Key::LEFTCTRL), Up(Key::LEFTMETA)]
        );
        // Outside ASCII: cancel and the index in keyd's table in base 36 (😄 is 32334: o y 6).
        assert_eq!(compose_sequence('😄'), Some([Key::CANCEL, Key::O, Key::Y, Key::KEY_6]));
        assert_eq!(compose_sequence('\u{80}'), Some([Key::CANCEL, Key::KEY_0, Key::KEY_0, Key::KEY_0]));
        assert_eq!(compose_sequence('a'), None);
        assert_eq!(
            macro_ops("1😄", "m").unwrap(),
            vec![
                Mods(none),
                Down(Key::KEY_1),
                Up(Key::KEY_1),
                Down(Key::CANCEL),
                Up(Key::CANCEL),
                Down(Key::O),
                Up(Key::O),
                Down(Key::Y),
                Up(Key::Y),
                Down(Key::KEY_6),
                Up(Key::KEY_6)
            ]
        );
        // Unassigned in Unicode 14.0: not in the table.
        assert!(macro_ops("\u{378}", "macro(\u{378})").unwrap_err().contains("keyd's character table"));
        let mut k = km();
        assert!(matches!(
            parse_action("macro2(400, 50, left)", &mut k),
            Ok(Action::Macro2 { timeout: 400, repeat: 50, .. })
        ));
        assert!(matches!(parse_action("swap(nav, A-tab)", &mut k), Ok(Action::SwapM(6, _))));
    }

    #[test]
    fn errors() {
        let mut k = km();
        assert_eq!(
            parse_action("frobnicate(x)", &mut k),
            Err(format!(
                "unknown action `frobnicate(…)` in `frobnicate(x)`; the actions are: {}, noop",
                ACTIONS.join(", ")
            ))
        );
        assert_eq!(
            parse_action("overlaod(control, esc)", &mut k),
            Err("unknown action `overlaod(…)` in `overlaod(control, esc)`; did you mean `overload(…)`?"
                .into())
        );
        assert_eq!(
            parse_action("Layer(nav)", &mut k),
            Err("unknown action `Layer(…)` in `Layer(nav)`; did you mean `layer(…)`?".into())
        );
        assert_eq!(
            parse_action("oneshotz(nav)", &mut k),
            Err("unknown action `oneshotz(…)` in `oneshotz(nav)`; did you mean `oneshot(…)`?".into())
        );
        // A nested unknown action is named too.
        assert_eq!(
            parse_action("overload(nav, tiemout(a, 1, b))", &mut k),
            Err("unknown action `tiemout(…)` in `tiemout(a, 1, b)`; did you mean `timeout(…)`?".into())
        );
        // Every listed name is accepted by the parser (whatever its arguments say).
        for name in ACTIONS {
            let e = parse_action(&format!("{name}(nav, x)"), &mut k).err().unwrap_or_default();
            assert!(!e.contains("unknown action"), "{name}: {e}");
        }
        assert!(parse_action("", &mut k).unwrap_err().starts_with("empty action"));
        assert_eq!(parse_action("X-a", &mut k), Err("unknown key `X-a`".into()));
        assert!(parse_action("command(true)", &mut k).unwrap_err().contains("allow_commands = true"));
        k.settings.allow_commands = true;
        assert_eq!(parse_action("command(echo hi)", &mut k), Ok(Action::Command(0)));
        assert_eq!(k.command(0), "echo hi");
    }
}
