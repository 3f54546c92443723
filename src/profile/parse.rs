//! Profile text → [`Profile`]: TOML with positions, sections, key names and keyd expressions.
//! Pure apart from reading the files it is given; every problem becomes a positioned diagnostic.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::expr;
use super::{Diagnostic, IdSelector, Profile, ProfileSet, Severity};
use crate::keymap::{Keymap, LayerId, Mods};
use crate::keys::Key;

/// Profiles larger than this are refused (a keyboard's profile is a few KiB).
pub const MAX_PROFILE_BYTES: u64 = 1 << 20;

/// Sections whose names are reserved for keyd features that are not implemented yet.
const NOT_YET_SECTIONS: &[&str] = &["global", "aliases"];

/// Collects diagnostics for one file, turning byte offsets into line:col.
struct Diags<'a> {
    path: &'a Path,
    text: &'a str,
    list: Vec<Diagnostic>,
}

impl Diags<'_> {
    fn at(&mut self, offset: usize, severity: Severity, message: String) {
        let (line, col) = line_col(self.text, offset);
        self.list.push(Diagnostic { path: self.path.to_owned(), line, col, severity, message });
    }
    fn error(&mut self, offset: usize, message: impl Into<String>) {
        self.at(offset, Severity::Error, message.into());
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

/// A section header: `main`, `nav`, `nav:C`.
struct Section<'t> {
    name: &'t str,
    mods: Mods,
}

fn parse_section_name(raw: &str) -> Result<Section<'_>, String> {
    let (name, suffix) = match raw.split_once(':') {
        Some((n, s)) => (n, Some(s)),
        None => (raw, None),
    };
    if name.contains('+') {
        return Err(format!("not supported yet: composite layer [{raw}]"));
    }
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(format!(
            "bad section name `{raw}`; a layer name uses letters, digits, `_` and `-`, optionally \
             followed by `:` and modifiers (`nav:C-S`)"
        ));
    }
    let mut mods = Mods::NONE;
    if let Some(suffix) = suffix {
        if suffix == "layout" {
            return Err(format!("not supported yet: layout [{raw}]"));
        }
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
    if name == "main" && !mods.is_empty() {
        return Err("[main] cannot carry modifiers".into());
    }
    Ok(Section { name, mods })
}

/// Parses and validates one profile. Returns the profile and its warnings, or every error found.
pub fn parse_profile(path: &Path, text: &str) -> Result<(Profile, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut d = Diags { path, text, list: Vec::new() };
    let root = match DeTable::parse(text) {
        Ok(t) => t,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            let msg = e.message().trim_end().replace('\n', "; ");
            d.error(offset, format!("invalid TOML: {msg}"));
            return Err(d.list);
        }
    };

    let mut ids: Option<Vec<IdSelector>> = None;
    let mut sections: Vec<(&Spanned<std::borrow::Cow<str>>, &DeTable)> = Vec::new();
    for (key, value) in root.get_ref().iter() {
        match (key.get_ref().ref_str(), value.get_ref()) {
            ("ids", v) => ids = parse_ids(&mut d, value.span().start, v),
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
        if NOT_YET_SECTIONS.contains(&section.name) {
            d.error(offset, format!("not supported yet: section [{}]", section.name));
            layer_of.push(None);
            continue;
        }
        if let Some(&prev) = seen.get(section.name) {
            let (l, c) = line_col(text, prev);
            d.error(offset, format!("layer `{}` is defined twice (also at {l}:{c})", section.name));
            layer_of.push(None);
            continue;
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
        layer_of.push(Some(keymap.add_layer(section.name, section.mods)));
    }

    // Second pass: bindings.
    for ((_, table), layer) in sections.iter().zip(&layer_of) {
        let Some(layer) = *layer else { continue };
        parse_bindings(&mut d, &mut keymap, layer, table);
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

fn parse_bindings(d: &mut Diags, keymap: &mut Keymap, layer: LayerId, table: &DeTable) {
    let mut bound: HashMap<Key, (usize, &str)> = HashMap::new();
    for (key, value) in table.iter() {
        let name: &str = key.get_ref();
        let at = key.span().start;
        if name.contains('+') && name.len() > 1 {
            d.error(at, format!("not supported yet: chord `{name}`"));
            continue;
        }
        let Some(k) = Key::from_name(name) else {
            d.error(at, expr::unknown_key(name, None));
            continue;
        };
        if let Some(&(prev, prev_name)) = bound.get(&k) {
            let (l, c) = line_col(d.text, prev);
            d.error(
                at,
                format!(
                    "key `{name}` is bound twice in [{}] (also at {l}:{c} as `{prev_name}`)",
                    keymap.layer(layer).name
                ),
            );
            continue;
        }
        bound.insert(k, (at, name));
        let DeValue::String(expr_text) = value.get_ref() else {
            d.error(
                value.span().start,
                format!("the action for `{name}` must be a string, e.g. `{name} = \"esc\"`"),
            );
            continue;
        };
        match expr::parse_action(expr_text, keymap) {
            Ok(action) => keymap.set(layer, k, action),
            Err(msg) => d.error(value.span().start, format!("`{name}`: {msg}")),
        }
    }
}

/// Reads one profile file, refusing what is not a small UTF-8 text file.
fn read_profile(path: &Path) -> Result<String, Diagnostic> {
    let whole = |message: String| Diagnostic {
        path: path.to_owned(),
        line: 0,
        col: 0,
        severity: Severity::Error,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| whole(format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(whole("not a regular file".into()));
    }
    if meta.len() > MAX_PROFILE_BYTES {
        return Err(whole(format!(
            "file too large ({} bytes; a profile may have at most {MAX_PROFILE_BYTES})",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| whole(format!("cannot read: {e}")))?;
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

/// The `*.toml` files of a directory, in name order; hidden and editor files are skipped.
fn profile_files(dir: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let err = |message: String| Diagnostic {
        path: dir.to_owned(),
        line: 0,
        col: 0,
        severity: Severity::Error,
        message,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| err(format!("cannot read directory: {e}")))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| err(format!("cannot read directory: {e}")))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.starts_with('#') || !name.ends_with(".toml") {
            continue;
        }
        files.push(entry.path());
    }
    files.sort();
    Ok(files)
}

pub fn load_set(paths: &[PathBuf]) -> Result<ProfileSet, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_dir() {
            match profile_files(p) {
                Ok(f) => files.extend(f),
                Err(e) => errors.push(e),
            }
        } else {
            files.push(p.clone());
        }
    }
    let mut profiles = Vec::new();
    let mut warnings = Vec::new();
    for f in &files {
        let text = match read_profile(f) {
            Ok(t) => t,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        match parse_profile(f, &text) {
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
