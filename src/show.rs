//! `keymapd show`: a drawing of what each key does in each layer of a profile, as box-drawing
//! text for a terminal (at most [`TEXT_WIDTH`] columns) and as an SVG image. Pure: a keymap in,
//! text out; the command line reads the profile and writes the result.
//!
//! The keyboard is an ANSI 104-key board. A key on it shows its action in short (`C-a`,
//! `esc/C` for `overload(control, esc)`, `@nav` for `layer(nav)`); each layer's legend lists
//! every binding in full, bindings of keys the board lacks and chords included.

use std::fmt::Write as _;

use crate::keymap::{Action, Keymap, LayerId, MacroOp, MAIN};
use crate::keys::{self, Key};

/// The terminal drawing never grows wider than this.
pub const TEXT_WIDTH: usize = 100;

/// One key of the board: its key name, position and size in key units (1u: a letter key).
#[derive(Clone, Copy, Debug)]
pub struct Cap {
    pub name: &'static str,
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

/// The ANSI 104-key board, row by row: `(name, width)` from a starting x; a name "" is a gap.
const ROWS: [(f32, &[(&str, f32)]); 6] = [
    (
        0.0,
        &[
            ("esc", 1.0),
            ("", 1.0),
            ("f1", 1.0),
            ("f2", 1.0),
            ("f3", 1.0),
            ("f4", 1.0),
            ("", 0.5),
            ("f5", 1.0),
            ("f6", 1.0),
            ("f7", 1.0),
            ("f8", 1.0),
            ("", 0.5),
            ("f9", 1.0),
            ("f10", 1.0),
            ("f11", 1.0),
            ("f12", 1.0),
            ("", 0.5),
            ("sysrq", 1.0),
            ("scrolllock", 1.0),
            ("pause", 1.0),
        ],
    ),
    (
        1.5,
        &[
            ("grave", 1.0),
            ("1", 1.0),
            ("2", 1.0),
            ("3", 1.0),
            ("4", 1.0),
            ("5", 1.0),
            ("6", 1.0),
            ("7", 1.0),
            ("8", 1.0),
            ("9", 1.0),
            ("0", 1.0),
            ("minus", 1.0),
            ("equal", 1.0),
            ("backspace", 2.0),
            ("", 0.5),
            ("insert", 1.0),
            ("home", 1.0),
            ("pageup", 1.0),
            ("", 0.5),
            ("numlock", 1.0),
            ("kpslash", 1.0),
            ("kpasterisk", 1.0),
            ("kpminus", 1.0),
        ],
    ),
    (
        2.5,
        &[
            ("tab", 1.5),
            ("q", 1.0),
            ("w", 1.0),
            ("e", 1.0),
            ("r", 1.0),
            ("t", 1.0),
            ("y", 1.0),
            ("u", 1.0),
            ("i", 1.0),
            ("o", 1.0),
            ("p", 1.0),
            ("leftbrace", 1.0),
            ("rightbrace", 1.0),
            ("backslash", 1.5),
            ("", 0.5),
            ("delete", 1.0),
            ("end", 1.0),
            ("pagedown", 1.0),
            ("", 0.5),
            ("kp7", 1.0),
            ("kp8", 1.0),
            ("kp9", 1.0),
            ("kpplus", 1.0), // two rows tall
        ],
    ),
    (
        3.5,
        &[
            ("capslock", 1.75),
            ("a", 1.0),
            ("s", 1.0),
            ("d", 1.0),
            ("f", 1.0),
            ("g", 1.0),
            ("h", 1.0),
            ("j", 1.0),
            ("k", 1.0),
            ("l", 1.0),
            ("semicolon", 1.0),
            ("apostrophe", 1.0),
            ("enter", 2.25),
            ("", 4.0),
            ("kp4", 1.0),
            ("kp5", 1.0),
            ("kp6", 1.0),
        ],
    ),
    (
        4.5,
        &[
            ("leftshift", 2.25),
            ("z", 1.0),
            ("x", 1.0),
            ("c", 1.0),
            ("v", 1.0),
            ("b", 1.0),
            ("n", 1.0),
            ("m", 1.0),
            ("comma", 1.0),
            ("dot", 1.0),
            ("slash", 1.0),
            ("rightshift", 2.75),
            ("", 1.5),
            ("up", 1.0),
            ("", 1.5),
            ("kp1", 1.0),
            ("kp2", 1.0),
            ("kp3", 1.0),
            ("kpenter", 1.0), // two rows tall
        ],
    ),
    (
        5.5,
        &[
            ("leftcontrol", 1.25),
            ("leftmeta", 1.25),
            ("leftalt", 1.25),
            ("space", 6.25),
            ("rightalt", 1.25),
            ("rightmeta", 1.25),
            ("compose", 1.25),
            ("rightcontrol", 1.25),
            ("", 0.5),
            ("left", 1.0),
            ("down", 1.0),
            ("right", 1.0),
            ("", 0.5),
            ("kp0", 2.0),
            ("kpdot", 1.0),
        ],
    ),
];

/// The board's width and height in key units.
pub const BOARD_W: f32 = 23.0;
pub const BOARD_H: f32 = 6.5;

/// The 104 keys of the board.
pub fn board() -> Vec<Cap> {
    let mut caps = Vec::with_capacity(104);
    for (y, row) in ROWS {
        let mut x = 0.0;
        for &(name, w) in row {
            if !name.is_empty() {
                let h = if name == "kpplus" || name == "kpenter" { 2.0 } else { 1.0 };
                caps.push(Cap { name, x, y, w, h });
            }
            x += w;
        }
    }
    caps
}

/// What one key does in one layer, as drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub key: Key,
    /// In short, for the key cap.
    pub short: String,
    /// In full, keyd's syntax, for the legend.
    pub full: String,
}

/// One layer, ready to draw: its name and its bindings (in `[main]`, only those that change a
/// key), and its chords (`j+k`, action).
#[derive(Clone, Debug)]
pub struct LayerView {
    pub name: String,
    pub bindings: Vec<Binding>,
    pub chords: Vec<(String, String)>,
}

impl LayerView {
    fn binding(&self, key: Key) -> Option<&Binding> {
        self.bindings.iter().find(|b| b.key == key)
    }
}

/// The layers to draw: `[main]` and every layer that binds something (the built-in modifier
/// layers only then), in the profile's order; or only `only`. An unknown `only` is an error
/// naming the layers there are.
pub fn layers(keymap: &Keymap, only: Option<&str>) -> Result<Vec<LayerView>, String> {
    let ids: Vec<LayerId> = match only {
        Some(name) => match keymap.layer_id(name) {
            Some(id) => vec![id],
            None => {
                let names: Vec<&str> = keymap.layers().iter().map(|l| l.name.as_str()).collect();
                let hint = keys::closest(name, names.iter().copied())
                    .map(|n| format!("; did you mean `{n}`?"))
                    .unwrap_or_default();
                return Err(format!(
                    "no layer `{name}` in this profile (its layers: {}){hint}",
                    names.join(", ")
                ));
            }
        },
        None => (0..keymap.layers().len() as LayerId)
            .filter(|&id| {
                let l = keymap.layer(id);
                id == MAIN || l.bindings().next().is_some() || !l.chords().is_empty()
            })
            .collect(),
    };
    Ok(ids.into_iter().map(|id| view(keymap, id)).collect())
}

fn view(keymap: &Keymap, id: LayerId) -> LayerView {
    let layer = keymap.layer(id);
    let bindings = layer
        .bindings()
        .filter(|&(key, a)| id != MAIN || a != keymap.identity(key))
        .map(|(key, a)| Binding { key, short: short(keymap, a), full: full(keymap, a) })
        .collect();
    let chords = layer
        .chords()
        .iter()
        .map(|c| {
            let keys: Vec<&str> = c.keys().iter().map(|k| k.name()).collect();
            (keys.join("+"), full(keymap, c.action))
        })
        .collect();
    LayerView { name: layer.name.clone(), bindings, chords }
}

/// A layer's name in short: the built-in modifier layers by their letter.
fn layer_short(keymap: &Keymap, id: LayerId) -> String {
    let name = &keymap.layer(id).name;
    match name.as_str() {
        "control" => "C".into(),
        "shift" => "S".into(),
        "meta" => "M".into(),
        "alt" => "A".into(),
        "altgr" => "G".into(),
        n => n.into(),
    }
}

/// A key's name in short, as printed on a key cap.
pub fn key_short(key: Key) -> String {
    let name = key.name();
    let s = match name {
        "grave" => "`",
        "minus" => "-",
        "equal" => "=",
        "leftbrace" => "[",
        "rightbrace" => "]",
        "backslash" => "\\",
        "semicolon" => ";",
        "apostrophe" => "'",
        "comma" => ",",
        "dot" => ".",
        "slash" => "/",
        "space" => "space",
        "backspace" => "bksp",
        "capslock" => "caps",
        "leftcontrol" => "lctl",
        "rightcontrol" => "rctl",
        "leftshift" => "lsft",
        "rightshift" => "rsft",
        "leftalt" => "lalt",
        "rightalt" => "ralt",
        "leftmeta" => "lmet",
        "rightmeta" => "rmet",
        "compose" => "menu",
        "sysrq" => "prt",
        "scrolllock" => "scr",
        "pause" => "brk",
        "insert" => "ins",
        "delete" => "del",
        "pageup" => "pg↑",
        "pagedown" => "pg↓",
        "home" => "hom",
        "left" => "←",
        "right" => "→",
        "up" => "↑",
        "down" => "↓",
        "numlock" => "num",
        "kpslash" => "/",
        "kpasterisk" => "*",
        "kpminus" => "-",
        "kpplus" => "+",
        "kpenter" => "ent",
        "kpdot" => ".",
        "enter" => "enter",
        n if n.len() == 3 && n.starts_with("kp") => &n[2..],
        n => n,
    };
    s.to_owned()
}

/// An action in short, for a key cap: `C-a`, `@nav` (layer), `1:nav` (oneshot), `T:nav`
/// (toggle), `S:nav` (swap), `L:dvorak` (setlayout), `tap/layer` (tap-hold), `macro`, `cmd`.
pub fn short(keymap: &Keymap, a: Action) -> String {
    let l = |id| layer_short(keymap, id);
    let nested = |id| short(keymap, keymap.action(id));
    match a {
        Action::Key { mods, key } => format!("{}{}", mods.prefix(), key_short(key)),
        Action::Modifier { key, .. } => key_short(key),
        Action::Layer(id) | Action::LayerM(id, _) => format!("@{}", l(id)),
        Action::Oneshot(id) | Action::OneshotM(id, _) | Action::OneshotK(id, _, _) => format!("1:{}", l(id)),
        Action::Toggle(id) | Action::ToggleM(id, _) => format!("T:{}", l(id)),
        Action::Swap(id) | Action::SwapM(id, _) => format!("S:{}", l(id)),
        Action::SetLayout(id) => format!("L:{}", l(id)),
        Action::Clear | Action::ClearM(_) => "clear".into(),
        Action::Overload { layer, tap } | Action::OverloadT { layer, tap, .. } => {
            format!("{}/{}", nested(tap), l(layer))
        }
        Action::OverloadI { fast, slow, .. } => format!("{}/{}", nested(fast), nested(slow)),
        Action::Timeout { tap, hold, .. } => format!("{}/{}", nested(tap), nested(hold)),
        Action::Macro(_) | Action::Macro2 { .. } => "macro".into(),
        Action::Repeat => "rep".into(),
        Action::Command(_) => "cmd".into(),
        Action::Noop => "noop".into(),
    }
}

/// An action in full, in keyd's syntax (a macro's steps as compiled: `macro(C-a 50ms b)`).
pub fn full(keymap: &Keymap, a: Action) -> String {
    let l = |id: LayerId| keymap.layer(id).name.clone();
    let nested = |id| full(keymap, keymap.action(id));
    let mac = |id| macro_text(keymap, id);
    match a {
        Action::Key { mods, key } => format!("{}{}", mods.prefix(), key.name()),
        Action::Modifier { key, .. } => key.name().into(),
        Action::Layer(id) => format!("layer({})", l(id)),
        Action::LayerM(id, m) => format!("layerm({}, {})", l(id), mac(m)),
        Action::Oneshot(id) => format!("oneshot({})", l(id)),
        Action::OneshotM(id, m) => format!("oneshotm({}, {})", l(id), mac(m)),
        Action::OneshotK(id, mods, key) => format!("oneshotk({}, {}{})", l(id), mods.prefix(), key.name()),
        Action::Toggle(id) => format!("toggle({})", l(id)),
        Action::ToggleM(id, m) => format!("togglem({}, {})", l(id), mac(m)),
        Action::Swap(id) => format!("swap({})", l(id)),
        Action::SwapM(id, m) => format!("swapm({}, {})", l(id), mac(m)),
        Action::Clear => "clear()".into(),
        Action::ClearM(m) => format!("clearm({})", mac(m)),
        Action::SetLayout(id) => format!("setlayout({})", l(id)),
        Action::Overload { layer, tap } => format!("overload({}, {})", l(layer), nested(tap)),
        Action::OverloadT { layer, tap, ms, interrupt } => {
            format!("overloadt{}({}, {}, {ms})", if interrupt { "2" } else { "" }, l(layer), nested(tap))
        }
        Action::OverloadI { fast, slow, ms } => {
            format!("overloadi({}, {}, {ms})", nested(fast), nested(slow))
        }
        Action::Timeout { tap, ms, hold } => format!("timeout({}, {ms}, {})", nested(tap), nested(hold)),
        Action::Macro(m) => mac(m),
        Action::Macro2 { id, timeout, repeat } => format!("macro2({timeout}, {repeat}, {})", mac(id)),
        Action::Repeat => "repeat()".into(),
        Action::Command(id) => format!("command({})", keymap.command(id)),
        Action::Noop => "noop".into(),
    }
}

/// A compiled macro as keyd's `macro(…)`: keys pressed together joined by `+`, with the
/// modifiers held for them as a prefix, delays as `Nms`; runs of letters and digits typed one
/// by one as a word (`Hello`), unless the word would read as a key name.
fn macro_text(keymap: &Keymap, id: u16) -> String {
    let ops = keymap.macro_ops(id);
    let mut steps = Vec::new();
    let mut mods = crate::keymap::Mods::NONE;
    let mut i = 0;
    while i < ops.len() {
        match ops[i] {
            MacroOp::Mods(m) => mods = m,
            MacroOp::ModsDown(m) => mods = mods.union(m),
            MacroOp::ModsUp(m) => mods = mods.minus(m),
            MacroOp::Delay(ms) => steps.push(format!("{ms}ms")),
            MacroOp::Up(_) => {}
            MacroOp::Down(_) => {
                let mut group = Vec::new();
                while let Some(MacroOp::Down(k)) = ops.get(i) {
                    group.push(k.name());
                    i += 1;
                }
                steps.push(format!("{}{}", mods.prefix(), group.join("+")));
                continue;
            }
        }
        i += 1;
    }
    // Join runs of single characters into words.
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if word.chars().count() > 1 && Key::from_name(word).is_some() {
            out.extend(word.chars().map(String::from));
        } else if !word.is_empty() {
            out.push(word.clone());
        }
        word.clear();
    };
    for step in steps {
        let c = match step.as_bytes() {
            [c] if c.is_ascii_alphanumeric() => Some(*c as char),
            [b'S', b'-', c] if c.is_ascii_lowercase() => Some(c.to_ascii_uppercase() as char),
            _ => None,
        };
        match c {
            Some(c) => word.push(c),
            None => {
                flush(&mut word, &mut out);
                out.push(step);
            }
        }
    }
    flush(&mut word, &mut out);
    format!("macro({})", out.join(" "))
}

/// Cuts `s` to at most `width` characters, ending in `…` when cut.
fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_owned()
    } else if width == 0 {
        String::new()
    } else {
        let mut t: String = s.chars().take(width - 1).collect();
        t.push('…');
        t
    }
}

/// The legend of a layer: one line per binding (board order, then the keys the board lacks),
/// one per chord; each cut to `width` characters.
fn legend(view: &LayerView, width: usize) -> Vec<String> {
    let board = board();
    let on_board = |k: Key| board.iter().any(|c| Key::from_name(c.name) == Some(k));
    let mut lines = Vec::new();
    let mut order: Vec<&Binding> =
        board.iter().filter_map(|c| Key::from_name(c.name).and_then(|k| view.binding(k))).collect();
    order.extend(view.bindings.iter().filter(|b| !on_board(b.key)));
    for b in order {
        lines.push(fit(&format!("{} = {}", b.key.name(), b.full), width));
    }
    for (keys, action) in &view.chords {
        lines.push(fit(&format!("{keys} = {action} (chord)"), width));
    }
    lines
}

// ---- text ----------------------------------------------------------------------------------

const UP: u8 = 1;
const DOWN: u8 = 2;
const LEFT: u8 = 4;
const RIGHT: u8 = 8;

/// Columns per key unit and lines per key row in the terminal drawing.
const COLS_PER_U: f32 = 4.0;
const LINES_PER_U: f32 = 2.0;

fn box_char(mask: u8) -> char {
    match mask {
        m if m == LEFT | RIGHT => '─',
        m if m == UP | DOWN => '│',
        m if m == DOWN | RIGHT => '┌',
        m if m == DOWN | LEFT => '┐',
        m if m == UP | RIGHT => '└',
        m if m == UP | LEFT => '┘',
        m if m == UP | DOWN | RIGHT => '├',
        m if m == UP | DOWN | LEFT => '┤',
        m if m == DOWN | LEFT | RIGHT => '┬',
        m if m == UP | LEFT | RIGHT => '┴',
        m if m == UP | DOWN | LEFT | RIGHT => '┼',
        m if m == LEFT || m == RIGHT => '─',
        m if m == UP || m == DOWN => '│',
        _ => ' ',
    }
}

/// One layer drawn with box-drawing characters: a line with its name, the board (each key's
/// action in short; in `[main]` the keys it leaves alone show their own name, in another layer
/// they are blank), then the legend.
pub fn text_layer(view: &LayerView, is_main: bool) -> String {
    let cols = (BOARD_W * COLS_PER_U) as usize + 1;
    let rows = (BOARD_H * LINES_PER_U) as usize + 1;
    let mut mask = vec![vec![0u8; cols]; rows];
    let mut label = vec![vec![None::<char>; cols]; rows];
    for cap in board() {
        let x0 = (cap.x * COLS_PER_U).round() as usize;
        let x1 = ((cap.x + cap.w) * COLS_PER_U).round() as usize;
        let y0 = (cap.y * LINES_PER_U).round() as usize;
        let y1 = ((cap.y + cap.h) * LINES_PER_U).round() as usize;
        for x in x0..x1 {
            for y in [y0, y1] {
                mask[y][x] |= RIGHT;
                mask[y][x + 1] |= LEFT;
            }
        }
        for y in y0..y1 {
            for x in [x0, x1] {
                mask[y][x] |= DOWN;
                mask[y + 1][x] |= UP;
            }
        }
        let key = Key::from_name(cap.name);
        let text = match key.and_then(|k| view.binding(k)) {
            Some(b) => b.short.clone(),
            None if is_main => key.map(key_short).unwrap_or_default(),
            None => String::new(),
        };
        let inner = x1 - x0 - 1;
        let t: Vec<char> = fit(&text, inner).chars().collect();
        let y = (y0 + y1) / 2;
        let start = x0 + 1 + (inner - t.len()) / 2;
        for (i, c) in t.into_iter().enumerate() {
            label[y][start + i] = Some(c);
        }
    }
    let mut out = format!("[{}]\n", view.name);
    for y in 0..rows {
        let line: String = (0..cols).map(|x| label[y][x].unwrap_or_else(|| box_char(mask[y][x]))).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    for l in legend(view, TEXT_WIDTH - 2) {
        let _ = writeln!(out, "  {l}");
    }
    out
}

/// Every layer, drawn for a terminal, separated by blank lines.
pub fn text(views: &[LayerView]) -> String {
    views.iter().map(|v| text_layer(v, v.name == "main")).collect::<Vec<_>>().join("\n")
}

// ---- SVG -----------------------------------------------------------------------------------

/// Pixels per key unit, and the margin around everything.
const PX: f32 = 48.0;
const MARGIN: f32 = 16.0;
const TITLE_H: f32 = 30.0;
const LEGEND_LINE: f32 = 16.0;
const GAP: f32 = 24.0;

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Every layer as one SVG image: a keyboard per layer, one under the other, each titled with
/// its layer and followed by its legend. Keys the layer changes are highlighted; each key's
/// full binding is also its tooltip.
pub fn svg(profile_name: &str, views: &[LayerView]) -> String {
    let width = BOARD_W * PX + 2.0 * MARGIN;
    let mut body = String::new();
    let mut y = MARGIN;
    let _ = writeln!(
        body,
        r#"<text x="{MARGIN}" y="{}" class="profile">{}</text>"#,
        y + 18.0,
        xml(&format!("keymapd profile {profile_name}"))
    );
    y += TITLE_H;
    for v in views {
        let is_main = v.name == "main";
        let _ = writeln!(body, r#"<g class="layer" id="layer-{}">"#, xml(&v.name));
        let _ =
            writeln!(body, r#"<text x="{MARGIN}" y="{}" class="title">[{}]</text>"#, y + 18.0, xml(&v.name));
        y += TITLE_H;
        for cap in board() {
            let key = Key::from_name(cap.name);
            let b = key.and_then(|k| v.binding(k));
            let (x0, y0) = (MARGIN + cap.x * PX + 2.0, y + cap.y * PX + 2.0);
            let (w, h) = (cap.w * PX - 4.0, cap.h * PX - 4.0);
            let class = match b {
                Some(_) => "key mapped",
                None if is_main => "key",
                None => "key through",
            };
            let name = key.map(key_short).unwrap_or_default();
            let tip = match b {
                Some(b) => format!("{} = {}", cap.name, b.full),
                None => cap.name.to_owned(),
            };
            let _ = writeln!(
                body,
                r#"<g class="{class}"><title>{}</title><rect x="{x0}" y="{y0}" width="{w}" height="{h}" rx="5"/>"#,
                xml(&tip)
            );
            let chars = ((w - 6.0) / 7.0).max(1.0) as usize;
            match b {
                Some(b) => {
                    let _ = writeln!(
                        body,
                        r#"<text x="{}" y="{}" class="name">{}</text><text x="{}" y="{}" class="action">{}</text>"#,
                        x0 + 4.0,
                        y0 + 11.0,
                        xml(&fit(&name, chars + 2)),
                        x0 + w / 2.0,
                        y0 + h / 2.0 + 9.0,
                        xml(&fit(&b.short, chars))
                    );
                }
                None if is_main => {
                    let _ = writeln!(
                        body,
                        r#"<text x="{}" y="{}" class="plain">{}</text>"#,
                        x0 + w / 2.0,
                        y0 + h / 2.0 + 5.0,
                        xml(&fit(&name, chars))
                    );
                }
                None => {
                    let _ = writeln!(
                        body,
                        r#"<text x="{}" y="{}" class="name">{}</text>"#,
                        x0 + 4.0,
                        y0 + 11.0,
                        xml(&fit(&name, chars + 2))
                    );
                }
            }
            body.push_str("</g>\n");
        }
        y += BOARD_H * PX + 8.0;
        let cols_chars = ((width - 2.0 * MARGIN) / 7.2) as usize;
        for l in legend(v, cols_chars) {
            y += LEGEND_LINE;
            let _ = writeln!(body, r#"<text x="{MARGIN}" y="{y}" class="legend">{}</text>"#, xml(&l));
        }
        body.push_str("</g>\n");
        y += GAP;
    }
    let height = y + MARGIN - GAP;
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">
<style>
svg {{ background: #ffffff; }}
text {{ font-family: "DejaVu Sans Mono", monospace; fill: #222222; }}
.profile {{ font-size: 18px; font-weight: bold; }}
.title {{ font-size: 16px; font-weight: bold; }}
.key rect {{ fill: #f2f2f2; stroke: #8a8a8a; stroke-width: 1; }}
.key.mapped rect {{ fill: #ffd24d; stroke: #9a7400; stroke-width: 1.5; }}
.key.through rect {{ fill: #fafafa; stroke: #c4c4c4; }}
.name {{ font-size: 9px; fill: #6a6a6a; }}
.plain {{ font-size: 12px; text-anchor: middle; fill: #444444; }}
.action {{ font-size: 12px; font-weight: bold; text-anchor: middle; }}
.legend {{ font-size: 12px; }}
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
{body}</svg>
"##
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::profile::Profile;

    fn keymap(text: &str) -> std::sync::Arc<Keymap> {
        let text = if text.starts_with("ids") { text.to_owned() } else { format!("ids = [\"*\"]\n{text}") };
        let (p, _) = Profile::parse(Path::new("t.toml"), &text).unwrap();
        p.keymap
    }

    #[test]
    fn the_board_has_104_distinct_known_keys_that_do_not_overlap() {
        let caps = board();
        assert_eq!(caps.len(), 104);
        let mut seen = std::collections::HashSet::new();
        for c in &caps {
            let k = Key::from_name(c.name).unwrap_or_else(|| panic!("unknown key {}", c.name));
            assert!(seen.insert(k), "{} twice", c.name);
            assert!(c.x + c.w <= BOARD_W && c.y + c.h <= BOARD_H, "{} outside the board", c.name);
        }
        for (i, a) in caps.iter().enumerate() {
            for b in &caps[i + 1..] {
                let apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
                assert!(apart, "{} overlaps {}", a.name, b.name);
            }
        }
    }

    #[test]
    fn main_shows_what_changes_and_other_layers_what_they_bind() {
        let km = keymap(
            "ids = [\"*\"]\n[main]\ncapslock = \"overload(control, esc)\"\nleftcontrol = \"leftmeta\"\na = \"a\"\nf13 = \"layer(nav)\"\n[nav]\nh = \"left\"\nj = \"C-down\"\n\"j+k\" = \"esc\"\n",
        );
        let views = layers(&km, None).unwrap();
        let names: Vec<&str> = views.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["main", "nav"]);
        let main: Vec<(&str, &str, &str)> =
            views[0].bindings.iter().map(|b| (b.key.name(), b.short.as_str(), b.full.as_str())).collect();
        assert_eq!(
            main,
            [
                ("leftcontrol", "lmet", "leftmeta"),
                ("capslock", "esc/C", "overload(control, esc)"),
                ("f13", "@nav", "layer(nav)"),
            ]
        );
        assert_eq!(views[1].chords, [("j+k".to_owned(), "esc".to_owned())]);
        let only = layers(&km, Some("nav")).unwrap();
        assert_eq!(only.len(), 1);
        let err = layers(&km, Some("nva")).unwrap_err();
        assert!(err.contains("no layer `nva`") && err.contains("did you mean `nav`?"), "{err}");
    }

    #[test]
    fn full_text_reads_back_as_the_same_action() {
        for expr in [
            "overloadt2(nav, a, 200)",
            "timeout(f12, 300, layer(control))",
            "oneshotk(nav, tab)",
            "macro(C-a 50ms b leftcontrol+leftmeta)",
            "macro(Hello e s c 12)",
            "macro2(400, 50, macro(left))",
            "lettermod(alt, s, 150, 200)",
            "swapm(nav, macro(M-tab))",
            "setlayout(main)",
        ] {
            let km = keymap(&format!("[main]\nf1 = \"{expr}\"\nf2 = \"layer(nav)\"\n[nav]\nx = \"y\"\n"));
            let a = km.layer(MAIN).get(Key::F1).unwrap();
            let text = full(&km, a);
            let again = keymap(&format!("[main]\nf1 = \"{text}\"\nf2 = \"layer(nav)\"\n[nav]\nx = \"y\"\n"));
            assert_eq!(full(&again, again.layer(MAIN).get(Key::F1).unwrap()), text, "{expr} -> {text}");
        }
    }

    #[test]
    fn the_text_drawing_fits_100_columns_with_shared_borders() {
        let km = keymap("[main]\ncapslock = \"overload(control, esc)\"\nspace = \"overloadt(nav, space, 200)\"\n[nav]\nh = \"left\"\nj = \"macro(Hello space world, this is a very long macro indeed, more than a hundred columns long)\"\n");
        let t = text(&layers(&km, None).unwrap());
        for line in t.lines() {
            assert!(line.chars().count() <= TEXT_WIDTH, "too wide: {line}");
        }
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "[main]");
        assert_eq!(lines[1], "┌───┐   ┌───┬───┬───┬───┐ ┌───┬───┬───┬───┐ ┌───┬───┬───┬───┐ ┌───┬───┬───┐");
        assert_eq!(
            lines[10],
            "├──────┴─┬─┴─┬─┴─┬─┴─┬─┴─┬─┴─┬─┴─┬─┴─┬─┴─┬─┴─┬─┴─┬─┴────────┤     ┌───┐     ├───┼───┼───┼───┤"
        );
        assert_eq!(
            lines[12],
            "├────┬───┴┬──┴─┬─┴───┴───┴───┴───┴───┴──┬┴───┼───┴┬────┬────┤ ┌───┼───┼───┐ ├───┴───┼───┤ent│"
        );
        assert_eq!(lines[2], "│esc│   │f1 │f2 │f3 │f4 │ │f5 │f6 │f7 │f8 │ │f9 │f10│f11│f12│ │prt│scr│brk│");
        assert!(t.contains("│esc/C │"), "capslock shows its tap/hold:\n{t}");
        assert!(t.contains("  capslock = overload(control, esc)\n"), "{t}");
        assert!(t.contains("\n[nav]\n"), "{t}");
        assert!(t.contains("  h = left\n"), "{t}");
        assert!(t.contains("  j = macro(Hello space world comma thisis"), "{t}");
        assert!(t.contains("│ ← │"), "h in nav shows left as an arrow:\n{t}");
        assert!(t.contains("…"), "a long legend line is cut:\n{t}");
    }

    #[test]
    fn the_svg_highlights_mapped_keys_one_keyboard_per_layer() {
        let km = keymap("[main]\ncapslock = \"esc\"\nf2 = \"layer(nav)\"\n[nav]\nh = \"left\"\nf1 = \"macro(a b)\"\n[x]\n");
        let views = layers(&km, None).unwrap();
        let s = svg("a<b", &views);
        assert!(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert_eq!(s.matches("class=\"layer\"").count(), 2, "main and nav; [x] binds nothing");
        assert_eq!(s.matches("class=\"key mapped\"").count(), 4, "capslock, f2; h and f1 in nav");
        assert_eq!(s.matches("<rect x=").count(), 2 * 104);
        assert!(s.contains("keymapd profile a&lt;b"));
        assert!(s.contains("<title>capslock = esc</title>"));
    }
}
