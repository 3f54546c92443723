//! Profile text → [`Profile`]: TOML with positions, sections, key names and keyd expressions.
//! Pure: it is given the files' bytes; every problem becomes a positioned diagnostic.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::expr;
use super::{Diagnostic, IdSelector, Profile, ProfileSet, Severity};
use crate::keymap::{Action, AppGlob, Chord, Keymap, LayerId, LayerKind, Mods, Settings, APP_PREFIX, MAIN};
use crate::keys::Key;

/// At most this many problems are reported per file; checking stops there.
const MAX_DIAGNOSTICS: usize = 100;

/// At most this many sections (layers) per profile; keyd allows fewer.
const MAX_LAYERS: usize = 250;

/// The `[global]` settings keymapd accepts (keyd's, plus `allow_commands`).
pub const SETTINGS: &[&str] = &[
    "overload_tap_timeout",
    "oneshot_timeout",
    "chord_timeout",
    "chord_hold_timeout",
    "macro_timeout",
    "macro_repeat_timeout",
    "macro_sequence_timeout",
    "disable_modifier_guard",
    "default_layout",
    "allow_commands",
    "hold_shared_keys",
];

/// keyd settings that have no meaning here: accepted with a warning.
const IGNORED_SETTINGS: &[&str] = &["layer_indicator"];

/// Left-hand names that stand for several keys unless `[aliases]` says otherwise (keyd's).
const DEFAULT_ALIASES: &[(&str, Key)] = &[
    ("control", Key::LEFTCTRL),
    ("control", Key::RIGHTCTRL),
    ("shift", Key::LEFTSHIFT),
    ("shift", Key::RIGHTSHIFT),
    ("meta", Key::LEFTMETA),
    ("meta", Key::RIGHTMETA),
    ("alt", Key::LEFTALT),
    ("altgr", Key::RIGHTALT),
];

/// Collects diagnostics for one file, turning byte offsets into line:col.
struct Diags<'a> {
    path: &'a Path,
    text: &'a str,
    list: Vec<Diagnostic>,
}

impl Diags<'_> {
    fn at(&mut self, offset: usize, severity: Severity, message: String) {
        if self.full() {
            return;
        }
        // Messages quote the file; its control characters must not reach terminals and logs.
        let message = if message.chars().any(char::is_control) {
            message
                .chars()
                .map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
                .collect()
        } else {
            message
        };
        if self.list.len() + 1 == MAX_DIAGNOSTICS {
            let (line, col) = line_col(self.text, offset);
            let message = format!("{message} (and more errors: only the first {MAX_DIAGNOSTICS} are shown)");
            self.list.push(Diagnostic { path: self.path.to_owned(), line, col, severity, message });
            return;
        }
        let (line, col) = line_col(self.text, offset);
        self.list.push(Diagnostic { path: self.path.to_owned(), line, col, severity, message });
    }
    fn error(&mut self, offset: usize, message: impl Into<String>) {
        self.at(offset, Severity::Error, message.into());
    }
    /// Enough errors to stop: a file this broken is not worth checking (or slowing) further.
    fn full(&self) -> bool {
        self.list.len() >= MAX_DIAGNOSTICS
    }
    fn has_errors(&self) -> bool {
        self.list.iter().any(|d| d.severity == Severity::Error)
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// A section header: `main`, `nav`, `nav:C`, `dvorak:layout`, `control+alt`.
struct Section<'t> {
    name: &'t str,
    mods: Mods,
    kind: SectionKind<'t>,
}

enum SectionKind<'t> {
    Normal,
    Layout,
    Composite(Vec<&'t str>),
    App(AppGlob),
}

fn valid_layer_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// An application part of a section name, `app:GLOB`: its compiled pattern.
fn parse_app_part(raw: &str, part: &str) -> Result<AppGlob, String> {
    let glob = &part[APP_PREFIX.len()..];
    if glob.is_empty() {
        return Err(format!(
            "[{raw}]: `app:` needs an application id or a glob, e.g. [\"app:org.gnome.Terminal\"] or [\"app:org.gnome.*\"]"
        ));
    }
    if glob.contains('+') {
        return Err(format!(
            "[{raw}]: an application pattern cannot contain `+`; in a composite layer the application comes \
             last (`meta+app:kitty`)"
        ));
    }
    if glob.chars().any(|c| c.is_whitespace() && c != ' ') {
        return Err(format!("[{raw}]: an application pattern cannot contain tabs or line breaks"));
    }
    AppGlob::new(glob).map_err(|e| format!("bad application pattern `{glob}` in [{raw}]: {e}"))
}

fn parse_section_name(raw: &str) -> Result<Section<'_>, String> {
    // `app:GLOB`, alone or as the last part of a composite: the pattern may contain `:`.
    if raw.starts_with(APP_PREFIX) {
        let glob = parse_app_part(raw, raw)?;
        return Ok(Section { name: raw, mods: Mods::NONE, kind: SectionKind::App(glob) });
    }
    if let Some(at) = raw.find(&format!("+{APP_PREFIX}")) {
        let app = &raw[at + 1..];
        parse_app_part(raw, app)?;
        let mut parts: Vec<&str> = raw[..at].split('+').collect();
        if !parts.iter().all(|p| valid_layer_name(p)) {
            return Err(format!(
                "bad composite layer name `{raw}`; join layer names with `+`, the application last \
                 (`meta+app:org.gnome.Terminal`)"
            ));
        }
        parts.push(app);
        return Ok(Section { name: raw, mods: Mods::NONE, kind: SectionKind::Composite(parts) });
    }
    let (name, suffix) = match raw.split_once(':') {
        Some((n, s)) => (n, Some(s)),
        None => (raw, None),
    };
    if name.contains('+') {
        let parts: Vec<&str> = name.split('+').collect();
        if suffix.is_some() {
            return Err(format!("composite layer [{raw}] cannot carry modifiers or be a layout"));
        }
        if parts.len() < 2 || !parts.iter().all(|p| valid_layer_name(p)) {
            return Err(format!(
                "bad composite layer name `{raw}`; join layer names with `+` (`control+alt`)"
            ));
        }
        return Ok(Section { name, mods: Mods::NONE, kind: SectionKind::Composite(parts) });
    }
    if !valid_layer_name(name) {
        return Err(format!(
            "bad section name `{raw}`; a layer name uses letters, digits, `_` and `-`, optionally \
             followed by `:` and modifiers (`nav:C-S`) or `:layout`"
        ));
    }
    let mut mods = Mods::NONE;
    let mut kind = SectionKind::Normal;
    if let Some(suffix) = suffix {
        if suffix == "layout" {
            kind = SectionKind::Layout;
        } else {
            for part in suffix.split('-') {
                let mut chars = part.chars();
                match (chars.next().and_then(Mods::from_letter), chars.next()) {
                    (Some(m), None) => mods = mods.union(m),
                    _ => {
                        return Err(format!(
                            "bad modifiers `{suffix}` in section [{raw}]; use letters C, M, A, S, G joined by `-`"
                        ))
                    }
                }
            }
        }
    }
    if name == "main" && (!mods.is_empty() || matches!(kind, SectionKind::Layout)) {
        return Err("[main] cannot carry modifiers or be a layout".into());
    }
    Ok(Section { name, mods, kind })
}

/// A keyd binding pasted as it is (`capslock = overload(control, esc)`): TOML needs the action
/// quoted. Given the offset of a TOML error, the offset of the unquoted value on its line and
/// the message that says so, if the line is `key = value` with a value TOML cannot read.
fn unquoted_action(text: &str, error_at: usize) -> Option<(usize, String)> {
    let start = text[..error_at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = &text[start..end];
    let eq = line.find('=')?;
    let key = line[..eq].trim();
    let value = line[eq + 1..].split(" #").next().unwrap_or("").trim();
    let bare_key =
        !key.is_empty() && !key.starts_with(['[', '#', '"', '\'']) && !key.contains(char::is_whitespace);
    let literal = value.is_empty()
        || value.starts_with(['"', '\'', '[', '{'])
        || value.parse::<f64>().is_ok()
        || value == "true"
        || value == "false";
    if !bare_key || literal {
        return None;
    }
    let value_at = start + eq + 1 + (line[eq + 1..].len() - line[eq + 1..].trim_start().len());
    let quoted = value.replace('\\', "\\\\").replace('"', "\\\"");
    Some((
        value_at,
        format!("`{key}`: quote the action: `{key} = \"{quoted}\"` (TOML needs strings in quotes)"),
    ))
}

/// Parses and validates one profile. Returns the profile and its warnings, or every error found.
pub fn parse_profile(path: &Path, text: &str) -> Result<(Profile, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut d = Diags { path, text, list: Vec::new() };
    let root = match DeTable::parse(text) {
        Ok(t) => t,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            if let Some((at, msg)) = unquoted_action(text, offset) {
                d.error(at, msg);
                return Err(d.list);
            }
            let msg = e.message().trim_end().replace('\n', "; ");
            d.error(offset, format!("invalid TOML: {msg}"));
            return Err(d.list);
        }
    };

    let mut ids: Option<Vec<IdSelector>> = None;
    let mut sections: Vec<(&Spanned<std::borrow::Cow<str>>, &DeTable)> = Vec::new();
    let mut global: Option<&DeTable> = None;
    let mut aliases: Option<&DeTable> = None;
    for (key, value) in root.get_ref().iter() {
        match (key.get_ref().ref_str(), value.get_ref()) {
            ("ids", v) => ids = parse_ids(&mut d, value.span().start, v),
            ("global", DeValue::Table(t)) => global = Some(t),
            ("aliases", DeValue::Table(t)) => aliases = Some(t),
            (_, DeValue::Table(t)) => sections.push((key, t)),
            (k, _) => d.error(
                key.span().start,
                format!("unknown field `{k}`; a profile has `ids = [...]` and sections such as `[main]`"),
            ),
        }
    }

    // First pass: declare every layer, so `layer(x)` may name a section defined further down.
    let mut keymap = Keymap::new();
    let mut layer_of = Vec::with_capacity(sections.len());
    let mut composites: Vec<(LayerId, usize, Vec<&str>)> = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (key, _) in &sections {
        let raw: &str = key.get_ref();
        let offset = key.span().start;
        let section = match parse_section_name(raw) {
            Ok(s) => s,
            Err(msg) => {
                d.error(offset, msg);
                layer_of.push(None);
                continue;
            }
        };
        if let Some(&prev) = seen.get(section.name) {
            let (l, c) = line_col(text, prev);
            d.error(offset, format!("layer `{}` is defined twice (also at {l}:{c})", section.name));
            layer_of.push(None);
            continue;
        }
        if keymap.layers().len() >= MAX_LAYERS {
            d.error(offset, format!("too many layers: a profile has at most {MAX_LAYERS} sections"));
            break;
        }
        seen.insert(section.name, offset);
        let builtin = keymap.layer_id(section.name).filter(|&id| id != 0 && id as usize <= 5);
        if builtin.is_some() && !section.mods.is_empty() {
            d.error(
                offset,
                format!("[{}] is a built-in modifier layer; its modifiers cannot be changed", section.name),
            );
            layer_of.push(None);
            continue;
        }
        let id = keymap.add_layer(section.name, section.mods);
        match section.kind {
            SectionKind::Normal => {}
            SectionKind::Layout if builtin.is_some() => {
                d.error(
                    offset,
                    format!("[{}] is a built-in modifier layer; it cannot be a layout", section.name),
                );
                layer_of.push(None);
                continue;
            }
            SectionKind::Layout => keymap.set_kind(id, LayerKind::Layout),
            SectionKind::Composite(parts) => composites.push((id, offset, parts)),
            SectionKind::App(glob) => keymap.set_kind(id, LayerKind::App(glob)),
        }
        layer_of.push(Some(id));
    }
    // Composite layers name layers declared anywhere in the file.
    for (id, offset, parts) in composites {
        let mut ids = Vec::new();
        for part in parts {
            // `["meta+app:kitty"]` needs no `["app:kitty"]` section of its own.
            if let Some(pattern) = part.strip_prefix(APP_PREFIX).filter(|_| keymap.layer_id(part).is_none()) {
                if keymap.layers().len() >= MAX_LAYERS {
                    d.error(offset, format!("too many layers: a profile has at most {MAX_LAYERS} sections"));
                    continue;
                }
                // The pattern was checked with the section name.
                if let Ok(glob) = AppGlob::new(pattern) {
                    let app = keymap.add_layer(part, Mods::NONE);
                    keymap.set_kind(app, LayerKind::App(glob));
                }
            }
            match keymap.layer_id(part) {
                // A layout may be a part (keyd's `[ara+control]`): it counts while it is current.
                Some(l) if l != MAIN && matches!(keymap.layer(l).kind, LayerKind::Composite(_)) => d.error(
                    offset,
                    format!("`{part}` cannot be part of a composite layer; use plain or modifier layers, a layout or an application (`app:kitty`)"),
                ),
                Some(l) if l != MAIN => ids.push(l),
                Some(_) => d.error(
                    offset,
                    format!("`{part}` cannot be part of a composite layer: it is always active"),
                ),
                None => d.error(
                    offset,
                    format!("composite layer [{}] names unknown layer `{part}`", keymap.layer(id).name),
                ),
            }
        }
        keymap.set_kind(id, LayerKind::Composite(ids));
    }

    if let Some(t) = global {
        keymap.settings = parse_global(&mut d, &keymap, t);
    }
    let aliases = parse_aliases(&mut d, aliases);

    // Second pass: bindings. Those of a section named like a reserved one (`[globl]`) are
    // judged apart: if nothing activates it, it is a typo, and its entries (settings read as
    // key bindings) are not worth an error each.
    let mut suspects: Vec<(LayerId, usize, &str, &str, Vec<Diagnostic>)> = Vec::new();
    for ((key, table), layer) in sections.iter().zip(&layer_of) {
        let Some(layer) = *layer else { continue };
        let l = keymap.layer(layer);
        match close_to_reserved(&l.name)
            .filter(|_| !matches!(l.kind, LayerKind::Composite(_) | LayerKind::App(_)))
        {
            Some(meant) => {
                let mut apart = Diags { path, text, list: Vec::new() };
                parse_bindings(&mut apart, &mut keymap, &aliases, layer, table);
                suspects.push((layer, key.span().start, key.get_ref(), meant, apart.list));
            }
            None => parse_bindings(&mut d, &mut keymap, &aliases, layer, table),
        }
    }
    // An alias that is a key name makes its keys that key, where [main] does not bind them.
    for (key, name) in &aliases.user {
        if let Some(target) = Key::from_name(name) {
            if keymap.layer(MAIN).get(*key).is_none() {
                let a = keymap.key_action(Mods::NONE, target);
                keymap.set(MAIN, *key, a);
            }
        }
    }

    let reached = keymap.reachable_layers();
    for (layer, at, raw, meant, diags) in suspects {
        if reached[layer as usize] {
            d.list.extend(diags); // activated by some action: a layer that was meant
        } else {
            let meant = if meant == "ids" { "`ids = [...]`".to_owned() } else { format!("[{meant}]") };
            d.error(at, format!("unknown section [{raw}]; did you mean {meant}?"));
        }
    }
    d.list.truncate(MAX_DIAGNOSTICS);
    if !d.has_errors() {
        warn_unreachable(&mut d, &keymap, &reached, &sections, &layer_of);
    }

    let ids = match ids {
        Some(ids) => ids,
        None => {
            d.error(0, "missing `ids`: say which keyboards this profile is for, e.g. `ids = [\"usb:kb\"]` or `ids = [\"*\"]`");
            Vec::new()
        }
    };
    if d.has_errors() {
        return Err(d.list);
    }
    let name = path.file_stem().map_or_else(|| "profile".to_owned(), |s| s.to_string_lossy().into_owned());
    let profile = Profile { name, path: path.to_owned(), ids, keymap: Arc::new(keymap) };
    Ok((profile, d.list))
}

/// The names keymapd gives a meaning to, which a typo in a table name most likely meant; `ids`
/// is a field, not a table, but `[ids]` is keyd's spelling of it.
const RESERVED: &[&str] = &["main", "global", "aliases", "ids", "control", "shift", "meta", "alt", "altgr"];

/// The reserved name that `name` is close to: equal but for ASCII case, or within one edit (two
/// for names longer than five letters, so `alias` finds `aliases` but `data` is not `meta`).
fn close_to_reserved(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    RESERVED.iter().copied().find(|&r| r == lower).or_else(|| {
        RESERVED
            .iter()
            .copied()
            .filter(|r| {
                let limit = if r.len() > 5 { 2 } else { 1 };
                r.len().abs_diff(name.len()) <= limit
                    && crate::keys::edit_distance(name, r).is_some_and(|d| d <= limit)
            })
            .min_by_key(|r| crate::keys::edit_distance(name, r))
    })
}

/// Warns about sections that can never take effect: nothing can activate them (see
/// [`Keymap::reachable_layers`] for keyd's rules). Those named like a reserved section are
/// errors, reported before this.
fn warn_unreachable(
    d: &mut Diags,
    keymap: &Keymap,
    reached: &[bool],
    sections: &[(&Spanned<std::borrow::Cow<str>>, &DeTable)],
    layer_of: &[Option<LayerId>],
) {
    if reached.iter().all(|&r| r) {
        return;
    }
    // Which unreachable layers name each unreachable layer (so the warning can say why).
    let mut named_by: HashMap<LayerId, Vec<LayerId>> = HashMap::new();
    for (id, _) in keymap.layers().iter().enumerate().filter(|(i, _)| !reached[*i]) {
        let id = id as LayerId;
        for a in keymap.layer_actions(id) {
            keymap.action_layers(a, &mut |t| {
                if t != id {
                    let v = named_by.entry(t).or_default();
                    if !v.contains(&id) {
                        v.push(id);
                    }
                }
            });
        }
    }
    let quoted = |ids: &[LayerId]| -> String {
        ids.iter().map(|&l| format!("`{}`", keymap.layer(l).name)).collect::<Vec<_>>().join(", ")
    };
    for ((key, _), layer) in sections.iter().zip(layer_of) {
        let Some(id) = *layer else { continue };
        if reached[id as usize] {
            continue;
        }
        let at = key.span().start;
        let l = keymap.layer(id);
        let name = l.name.as_str();
        let message = match &l.kind {
            LayerKind::App(_) => continue, // the focus activates it
            LayerKind::Composite(parts) => {
                let off: Vec<LayerId> = parts.iter().copied().filter(|&p| !reached[p as usize]).collect();
                let (s, verb) = if off.len() == 1 { ("", "is") } else { ("s", "are") };
                format!(
                    "composite layer [{name}] is never active: its part{s} {} {verb} never activated",
                    quoted(&off)
                )
            }
            LayerKind::Layout => match named_by.get(&id) {
                Some(by) => format!(
                    "layout `{name}` is never made current: only {} switch{} to it, and nothing activates {}",
                    quoted(by),
                    if by.len() == 1 { "es" } else { "" },
                    if by.len() == 1 { "that layer" } else { "those layers" }
                ),
                None => format!(
                    "layout `{name}` is never made current: no action does `setlayout({name})` and it is not \
                     the `default_layout`"
                ),
            },
            LayerKind::Normal => match named_by.get(&id) {
                Some(by) => format!(
                    "layer `{name}` is never activated: only {} activate{} it, and nothing activates {}",
                    quoted(by),
                    if by.len() == 1 { "s" } else { "" },
                    if by.len() == 1 { "that layer" } else { "those layers" }
                ),
                None => format!("layer `{name}` is never activated by any action"),
            },
        };
        d.at(at, Severity::Warning, message);
    }
}

trait RefStr {
    fn ref_str(&self) -> &str;
}
impl RefStr for std::borrow::Cow<'_, str> {
    fn ref_str(&self) -> &str {
        self
    }
}

/// The `ids` entries; errors are recorded in `d` (the result is then incomplete but present).
fn parse_ids(d: &mut Diags, offset: usize, value: &DeValue) -> Option<Vec<IdSelector>> {
    let DeValue::Array(items) = value else {
        d.error(offset, "`ids` must be an array of strings, e.g. `ids = [\"usb:kb\"]`");
        return Some(Vec::new());
    };
    let mut ids = Vec::new();
    for item in items.iter() {
        let at = item.span().start;
        match item.get_ref() {
            DeValue::String(s) => match IdSelector::parse(s) {
                Ok(sel) => ids.push(sel),
                Err(msg) => d.error(at, msg),
            },
            _ => d.error(at, "`ids` entries must be strings"),
        }
    }
    if items.iter().count() > 0 && ids.iter().all(|s| s.exclude) && !ids.is_empty() {
        d.error(offset, "`ids` only excludes devices; add what it claims, e.g. `\"*\"`");
    } else if items.iter().count() == 0 {
        d.error(offset, "`ids` is empty: this profile would claim no device");
    }
    Some(ids)
}

/// Which keys each left-hand name stands for.
struct Aliases {
    /// Every key that has an alias, with it (keyd's defaults, then `[aliases]`).
    of: Vec<(Key, String)>,
    /// The `[aliases]` entries.
    user: Vec<(Key, String)>,
}

impl Aliases {
    /// The keys a left-hand name binds: those aliased to it, else the key of that name.
    fn resolve(&self, name: &str) -> Option<Vec<Key>> {
        let keys: Vec<Key> = self.of.iter().filter(|(_, n)| n == name).map(|(k, _)| *k).collect();
        if !keys.is_empty() {
            return Some(keys);
        }
        Key::from_name(name).map(|k| vec![k])
    }
}

fn parse_aliases(d: &mut Diags, table: Option<&DeTable>) -> Aliases {
    let mut of: Vec<(Key, String)> = DEFAULT_ALIASES.iter().map(|&(n, k)| (k, n.to_owned())).collect();
    let mut user = Vec::new();
    for (key, value) in table.into_iter().flat_map(|t| t.iter()) {
        let name: &str = key.get_ref();
        let Some(k) = Key::from_name(name) else {
            d.error(key.span().start, expr::unknown_key(name, None));
            continue;
        };
        let alias = match value.get_ref() {
            DeValue::String(s) if valid_layer_name(s) => s.to_string(),
            _ => {
                d.error(
                    value.span().start,
                    format!("the alias for `{name}` must be a name (letters, digits, `_`, `-`), e.g. `{name} = \"meta\"`"),
                );
                continue;
            }
        };
        // A key has one alias at a time: the new one replaces the default.
        of.retain(|(key, _)| *key != k);
        of.push((k, alias.clone()));
        user.push((k, alias));
    }
    Aliases { of, user }
}

fn parse_global(d: &mut Diags, keymap: &Keymap, table: &DeTable) -> Settings {
    let mut s = Settings::default();
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        let at = value.span().start;
        let v = value.get_ref();
        let number = |max: u32| -> Result<u32, String> {
            let n = match v {
                DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok(),
                DeValue::String(t) => t.trim().parse::<i64>().ok(),
                _ => None,
            };
            match n {
                Some(n) if (0..=i64::from(max)).contains(&n) => Ok(n as u32),
                _ => Err(format!("`{name}` must be a whole number from 0 to {max}")),
            }
        };
        let flag = || -> Result<bool, String> {
            match v {
                DeValue::Boolean(b) => Ok(*b),
                DeValue::Integer(i) if i.as_str() == "0" => Ok(false),
                DeValue::Integer(i) if i.as_str() == "1" => Ok(true),
                _ => Err(format!("`{name}` must be `true` or `false`")),
            }
        };
        let r = match name {
            "overload_tap_timeout" => number(65535).map(|n| s.overload_tap_timeout = n),
            "oneshot_timeout" => number(65535).map(|n| s.oneshot_timeout = n),
            "chord_timeout" => number(65535).map(|n| s.chord_timeout = n),
            "chord_hold_timeout" => number(65535).map(|n| s.chord_hold_timeout = n),
            "macro_timeout" => number(65535).map(|n| s.macro_timeout = n),
            "macro_repeat_timeout" => number(65535).map(|n| s.macro_repeat_timeout = n),
            "macro_sequence_timeout" => number(1_000_000).map(|n| s.macro_sequence_timeout_us = n),
            "disable_modifier_guard" => flag().map(|b| s.disable_modifier_guard = b),
            "allow_commands" => flag().map(|b| s.allow_commands = b),
            "hold_shared_keys" => flag().map(|b| s.hold_shared_keys = b),
            "default_layout" => match v {
                DeValue::String(l) => match keymap.layer_id(l) {
                    Some(id) if id == MAIN || keymap.layer(id).kind == LayerKind::Layout => {
                        s.default_layout = id;
                        Ok(())
                    }
                    Some(id) if matches!(keymap.layer(id).kind, LayerKind::App(_)) => {
                        Err(format!("`default_layout`: `{l}` is an application layer, not a layout"))
                    }
                    Some(_) => Err(format!(
                        "`default_layout`: `{l}` is not a layout; declare it as [\"{l}:layout\"]"
                    )),
                    None => Err(format!("`default_layout`: no layout named `{l}`")),
                },
                _ => Err("`default_layout` must be the name of a layout, e.g. `default_layout = \"dvorak\"`"
                    .into()),
            },
            n if IGNORED_SETTINGS.contains(&n) => {
                d.at(
                    key.span().start,
                    Severity::Warning,
                    format!("`{n}` is not supported by keymapd and is ignored"),
                );
                Ok(())
            }
            n => Err(format!("unknown setting `{n}` in [global]; the settings are: {}", SETTINGS.join(", "))),
        };
        if let Err(msg) = r {
            let at = if SETTINGS.contains(&name) { at } else { key.span().start };
            d.error(at, msg);
        }
    }
    s
}

fn parse_bindings(d: &mut Diags, keymap: &mut Keymap, aliases: &Aliases, layer: LayerId, table: &DeTable) {
    // Per key: where it was bound, by which name, and whether that name was its own (an alias
    // for several keys yields to a binding of one of them, wherever it is written).
    let mut bound: HashMap<Key, (usize, &str, bool)> = HashMap::new();
    let mut chords: Vec<(Vec<Key>, usize, &str)> = Vec::new();
    for (key, value) in table.iter() {
        if d.full() {
            return;
        }
        let name: &str = key.get_ref();
        let at = key.span().start;
        let DeValue::String(expr_text) = value.get_ref() else {
            d.error(
                value.span().start,
                format!("the action for `{name}` must be a string, e.g. `{name} = \"esc\"`"),
            );
            continue;
        };
        if name.contains('+') && name.len() > 1 {
            let mut keys = Vec::new();
            for part in name.split('+').map(str::trim) {
                match aliases.resolve(part).filter(|k| k.len() == 1) {
                    Some(k) if !keys.contains(&k[0]) => keys.push(k[0]),
                    Some(_) => {
                        d.error(at, format!("chord `{name}` names `{part}` twice"));
                        keys.clear();
                        break;
                    }
                    None => {
                        d.error(at, format!("in chord `{name}`: {}", expr::unknown_key(part, None)));
                        keys.clear();
                        break;
                    }
                }
            }
            if keys.is_empty() {
                continue;
            }
            let mut sorted = keys.clone();
            sorted.sort_by_key(|k| k.code());
            if let Some((_, prev, prev_name)) = chords.iter().find(|(k, _, _)| *k == sorted) {
                let (l, c) = line_col(d.text, *prev);
                d.error(
                    at,
                    format!(
                        "chord `{name}` is bound twice in [{}] (also at {l}:{c} as `{prev_name}`)",
                        keymap.layer(layer).name
                    ),
                );
                continue;
            }
            chords.push((sorted, at, name));
            match expr::parse_chord_action(expr_text, keymap) {
                Ok(action) => match Chord::new(&keys, action)
                    .inspect(|_| warn_unemittable(d, keymap, action, value.span().start, name))
                {
                    Some(c) => keymap.add_chord(layer, c),
                    None => {
                        d.error(at, format!("chord `{name}` has {} keys; a chord has 2 to 8", keys.len()))
                    }
                },
                Err(msg) => d.error(value.span().start, format!("`{name}`: {msg}")),
            }
            continue;
        }
        let Some(keys) = aliases.resolve(name) else {
            d.error(at, unknown_left_hand(name, keymap, layer));
            continue;
        };
        let own = keys.len() == 1;
        let mut targets = Vec::new();
        let mut twice = false;
        for &k in &keys {
            match bound.get(&k) {
                Some(&(prev, prev_name, prev_own)) if prev_own == own => {
                    let (l, c) = line_col(d.text, prev);
                    d.error(
                        at,
                        format!(
                            "key `{name}` is bound twice in [{}] (also at {l}:{c} as `{prev_name}`)",
                            keymap.layer(layer).name
                        ),
                    );
                    twice = true;
                    break;
                }
                Some(&(_, _, true)) => {} // the key's own binding wins over an alias
                _ => targets.push(k),
            }
        }
        if twice {
            continue;
        }
        if let Some((off, msg)) = expr::unbalanced(expr_text) {
            d.error(string_offset(d.text, value.span(), expr_text, off), format!("`{name}`: {msg}"));
            continue;
        }
        match expr::parse_action(expr_text, keymap) {
            Ok(action) => {
                warn_unemittable(d, keymap, action, value.span().start, name);
                for k in targets {
                    bound.insert(k, (at, name, own));
                    keymap.set(layer, k, action);
                }
            }
            Err(msg) => d.error(value.span().start, format!("`{name}`: {msg}")),
        }
    }
}

/// The file offset of byte `off` of a string value whose TOML source spans `span`: exact for a
/// string written without escapes, else the string's start.
fn string_offset(text: &str, span: std::ops::Range<usize>, value: &str, off: usize) -> usize {
    match text.get(span.start + 1..span.end.saturating_sub(1)) {
        Some(raw) if raw == value => span.start + 1 + off,
        _ => span.start,
    }
}

/// The error for a left-hand side that is not a key. A key with modifiers (`S-tab`) gets the
/// layer that binds it: the modifiers' built-in layer, or a composite with the current layer.
fn unknown_left_hand(name: &str, keymap: &Keymap, layer: LayerId) -> String {
    let Ok((mods, key)) = expr::parse_key_sequence(name) else {
        return expr::unknown_key(name, None);
    };
    let parts: Vec<&str> =
        crate::keymap::BUILTIN_LAYERS.iter().filter(|(_, m)| mods.contains(*m)).map(|(n, _)| *n).collect();
    if mods.is_empty() || parts.is_empty() {
        return expr::unknown_key(name, None);
    }
    let here = &keymap.layer(layer).name;
    let section = if layer == MAIN && parts.len() == 1 {
        format!("[{}]", parts[0])
    } else if layer == MAIN {
        format!("[\"{}\"]", parts.join("+"))
    } else {
        format!("[\"{here}+{}\"]", parts.join("+"))
    };
    format!(
        "`{name}`: the key of a binding cannot carry modifiers; bind `{key}` in {section}, which is active \
         while {} held",
        if layer == MAIN {
            format!("{} is", parts.join(" and "))
        } else {
            format!("[{here}] and {} are", parts.join(" and "))
        }
    )
}

/// A binding that emits a joystick, gamepad or tablet button: valid, but nothing will come out
/// (keymapd has a virtual clone per keyboard, and a virtual pointer for mouse buttons; none declares
/// those codes, and the kernel drops undeclared codes).
fn warn_unemittable(d: &mut Diags, keymap: &Keymap, action: Action, at: usize, name: &str) {
    let mut bad = None;
    keymap.action_keys(action, &mut |k| {
        if !k.is_emittable() && bad.is_none() {
            bad = Some(k);
        }
    });
    if let Some(k) = bad {
        d.at(
            at,
            Severity::Warning,
            format!(
                "`{name}`: `{k}` is a joystick, gamepad or tablet button, which keymapd cannot emit \
                 (its virtual keyboards and pointer do not declare it); it will do nothing"
            ),
        );
    }
}

/// Validates a set of profiles the shell has read, in the order given: `unreadable` holds what
/// could not be listed (a directory), `files` each file's bytes or why it could not be read.
/// Any error fails the whole set.
pub fn build_set(
    unreadable: Vec<(PathBuf, String)>,
    files: Vec<(PathBuf, Result<Vec<u8>, String>)>,
) -> Result<ProfileSet, Vec<Diagnostic>> {
    let whole = |path: PathBuf, message: String| Diagnostic {
        path,
        line: 0,
        col: 0,
        severity: Severity::Error,
        message,
    };
    let mut errors: Vec<Diagnostic> = unreadable.into_iter().map(|(p, m)| whole(p, m)).collect();
    let mut profiles = Vec::new();
    let mut warnings = Vec::new();
    for (f, bytes) in files {
        let text = match bytes.map_err(|m| whole(f.clone(), m)).and_then(|b| utf8(&f, b)) {
            Ok(t) => t,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        match parse_profile(&f, &text) {
            Ok((p, w)) => {
                profiles.push((p, text));
                warnings.extend(w);
            }
            Err(e) => errors.extend(e),
        }
    }
    errors.extend(ties(&profiles));
    if errors.is_empty() {
        Ok(ProfileSet { profiles: profiles.into_iter().map(|(p, _)| p).collect(), warnings })
    } else {
        errors.extend(warnings);
        Err(errors)
    }
}

/// A file's bytes as text, or where its first invalid UTF-8 sequence is.
fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        let (line, col) = line_col(&text, valid);
        Diagnostic {
            path: path.to_owned(),
            line,
            col,
            severity: Severity::Error,
            message: "not valid UTF-8".into(),
        }
    })
}

/// Two profiles claiming devices with the same selector: which one wins would depend on file names.
fn ties(profiles: &[(Profile, String)]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, (a, a_text)) in profiles.iter().enumerate() {
        for (b, _) in &profiles[..i] {
            for sel in a.ids.iter().filter(|s| !s.exclude) {
                if b.ids.iter().any(|o| !o.exclude && o.kind == sel.kind) {
                    let offset = a_text.find(&format!("\"{}\"", sel.text)).unwrap_or(0);
                    let (line, col) = line_col(a_text, offset);
                    out.push(Diagnostic {
                        path: a.path.clone(),
                        line,
                        col,
                        severity: Severity::Error,
                        message: format!(
                            "`{}` is also claimed by {} at the same specificity: a device it fits would \
                             have two profiles; narrow one of them (see `keymapd list` for device ids)",
                            sel.text,
                            b.path.display()
                        ),
                    });
                }
            }
        }
    }
    out
}
