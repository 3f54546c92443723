//! `keymapd import-keyd`: a keyd config (`/etc/keyd/*.conf`) becomes a keymapd profile (TOML).
//! Pure text translation checked by the profile parser; the caller reads files and writes results.
//!
//! What does not convert is commented out in the output with the reason, and listed as a note:
//! mouse ids (`m:…`), settings keymapd lacks (`layer_indicator`), and anything the profile parser
//! refuses. Characters outside ASCII convert as they are (keymapd types them as keyd does).

use std::path::Path;

use crate::profile::{IdKind, IdSelector, Profile, Severity};

/// One converted config.
pub struct Converted {
    /// The profile's name: the config's file stem (`default` for `default.conf`).
    pub name: String,
    /// The profile text.
    pub toml: String,
    /// What did not convert, or converts with a difference worth knowing.
    pub notes: Vec<Note>,
    /// How many bindings (outside `[global]` and `[aliases]`) converted: 0 means the profile
    /// does nothing, and `keymapd import-keyd` fails.
    pub bindings: usize,
}

/// A remark about line `line` of the keyd config (0: the whole file).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Note {
    pub line: usize,
    pub message: String,
}

#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Kind {
    /// Comments and blank lines.
    Text,
    /// `ids = [`: cannot be left out.
    IdsHead,
    Id,
    Header,
    Entry,
}

/// One output line: its text, the keyd line it came from, and what it is.
struct Out {
    text: String,
    src: usize,
    kind: Kind,
    section: usize,
    /// Commented out, with the reason.
    disabled: Option<String>,
}

/// A keyd section: its header as first written, and its entries (later ones replace earlier
/// ones of the same key, as in keyd).
struct Section {
    header: String,
    line: usize,
    entries: Vec<(String, String, usize)>,
}

/// Converts one keyd config. `include` returns the text of an `include`d file, if found.
pub fn convert(
    path: &Path,
    text: &str,
    include: &dyn Fn(&str) -> Option<String>,
) -> Result<Converted, String> {
    let name = path.file_stem().map_or_else(|| "profile".to_owned(), |s| s.to_string_lossy().into_owned());
    if let Some(what) = not_keyd(text) {
        return Err(what);
    }
    let mut notes = Vec::new();
    let mut ids: Vec<(String, usize)> = Vec::new();
    let mut sections: Vec<Section> = Vec::new();
    let mut current: Option<usize> = None; // None: before any section, or in [ids]
    let mut in_ids = false;

    // Expand includes in place (keyd: not recursive); included lines carry the include's line.
    let mut lines: Vec<(String, usize)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(file) = line.strip_prefix("include ") {
            match include(file.trim()) {
                Some(t) => lines.extend(t.lines().map(|l| (l.trim().to_owned(), i + 1))),
                None => notes.push(Note {
                    line: i + 1,
                    message: format!(
                        "cannot convert `{line}`: `{}` not found next to the config or in /usr/share/keyd",
                        file.trim()
                    ),
                }),
            }
        } else {
            lines.push((line.to_owned(), i + 1));
        }
    }

    // keyd 2 configs start with [ids]. One without, that is named `.cfg` or has bindings before
    // any section, is keyd 1.x's; any other has no ids (and claims nothing, as in keyd).
    fn header(l: &str) -> Option<&str> {
        l.strip_prefix('[').and_then(|l| l.strip_suffix(']')).map(str::trim)
    }
    let has_ids = lines.iter().any(|(l, _)| header(l) == Some("ids"));
    let first_is_binding = lines
        .iter()
        .find(|(l, _)| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|(l, _)| header(l).is_none());
    let legacy = !has_ids && (path.extension().is_some_and(|e| e == "cfg") || first_is_binding);
    for (line, n) in lines {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(h) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let h = h.trim();
            in_ids = h == "ids";
            if in_ids {
                current = None;
                continue;
            }
            let layer = h.split(':').next().unwrap_or(h);
            current = Some(match sections.iter().position(|s| s.header.split(':').next() == Some(layer)) {
                Some(i) => i,
                None => {
                    sections.push(Section { header: h.to_owned(), line: n, entries: Vec::new() });
                    sections.len() - 1
                }
            });
            continue;
        }
        if in_ids {
            ids.push((line, n));
            continue;
        }
        let sec = match current {
            Some(sec) => sec,
            // keyd 1.x had no [ids] and no [main] header: bindings before any section are
            // [main]'s (keyd 2 refuses them; converting them is what the user wants).
            None if legacy => {
                let main = match sections.iter().position(|s| s.header == "main") {
                    Some(i) => i,
                    None => {
                        sections.push(Section { header: "main".into(), line: n, entries: Vec::new() });
                        notes.push(Note {
                            line: n,
                            message: "keyd 1.x syntax: the bindings before any section are taken as [main]'s"
                                .into(),
                        });
                        sections.len() - 1
                    }
                };
                current = Some(main);
                main
            }
            None => {
                notes
                    .push(Note { line: n, message: format!("cannot convert `{line}`: outside any section") });
                continue;
            }
        };
        // Split at the first `=` after the first character, so that `= = x` binds `=`.
        let Some(eq) = line.get(1..).and_then(|l| l.find('=')).map(|i| i + 1) else {
            notes
                .push(Note { line: n, message: format!("cannot convert `{line}`: expected `key = action`") });
            continue;
        };
        let (lhs, rhs) = (line[..eq].trim().to_owned(), line[eq + 1..].trim().to_owned());
        let entries = &mut sections[sec].entries;
        entries.retain(|(k, _, _)| *k != lhs);
        entries.push((lhs, rhs, n));
    }

    let uses_commands = sections.iter().any(|s| {
        s.header != "global"
            && s.header != "aliases"
            && s.entries.iter().any(|(_, v, _)| v.contains("command("))
    });
    if uses_commands {
        notes.push(Note {
            line: 0,
            message: "command() is enabled (`allow_commands = true`): keymapd runs commands as its own \
                      unprivileged user, not as root like keyd"
                .into(),
        });
    }

    let mut out: Vec<Out> = Vec::new();
    let push = |out: &mut Vec<Out>, text: String, src: usize, kind: Kind, section: usize| {
        out.push(Out { text, src, kind, section, disabled: None });
    };
    push(
        &mut out,
        format!("# Converted from {} by `keymapd import-keyd`.", path.display()),
        0,
        Kind::Text,
        0,
    );
    if legacy {
        // keyd 1.x had no [ids]: `default.cfg` was for every keyboard, any other file for the
        // keyboard it was named after (by vendor:product, or earlier by device name).
        let id = if name == "default" {
            "*".to_owned()
        } else if IdSelector::parse(&name).is_ok_and(|s| matches!(s.kind, IdKind::VendorProduct { .. })) {
            name.clone()
        } else {
            format!("name:{name}")
        };
        notes.push(Note {
            line: 0,
            message: format!(
                "no [ids] section (keyd 1.x): the file name says which keyboard it is for, so it claims \
                 `{id}`; check `ids` against `keymapd list`"
            ),
        });
        ids.push((id, 0));
    }
    push(&mut out, "ids = [".into(), 0, Kind::IdsHead, 0);
    for (id, n) in &ids {
        let id = id.strip_prefix("k:").map(str::to_owned).unwrap_or_else(|| id.replacen("-k:", "-", 1));
        let id = match vendor_product_of_hashed(&id) {
            Some(short) => {
                let what = if short.starts_with('-') {
                    "which excludes every device with that vendor:product".to_owned()
                } else {
                    "which claims every device with that vendor:product (exclude the others with \
                     `-name:…` to narrow it)"
                        .to_owned()
                };
                notes.push(Note {
                    line: *n,
                    message: format!(
                        "`{id}`: keyd's third part (a hash of the device) has no keymapd equivalent; \
                         converted to `{short}`, {what}"
                    ),
                });
                short
            }
            None => id,
        };
        if id.starts_with("m:") || id.starts_with("-m:") {
            notes.push(Note {
                line: *n,
                message: format!("cannot convert id `{id}`: keymapd never claims mice"),
            });
            let (text, why) = (format!("    {},", string(&id)), "keymapd never claims mice".to_owned());
            out.push(Out { text, src: *n, kind: Kind::Id, section: 0, disabled: Some(why) });
            continue;
        }
        push(&mut out, format!("    {},", string(&id)), *n, Kind::Id, 0);
    }
    push(&mut out, "]".into(), 0, Kind::Text, 0);

    // [global] first (commands need their opt-in before the bindings are read), then the rest.
    let mut order: Vec<usize> = (0..sections.len()).collect();
    order.sort_by_key(|&i| sections[i].header != "global");
    let has_global = sections.iter().any(|s| s.header == "global");
    if uses_commands && !has_global {
        push(&mut out, String::new(), 0, Kind::Text, 0);
        push(&mut out, "[global]".into(), 0, Kind::Header, usize::MAX);
        push(&mut out, "allow_commands = true".into(), 0, Kind::Entry, usize::MAX);
    }
    for i in order {
        let s = &sections[i];
        push(&mut out, String::new(), 0, Kind::Text, i + 1);
        push(&mut out, format!("[{}]", key(&s.header)), s.line, Kind::Header, i + 1);
        let global = s.header == "global";
        if global && uses_commands {
            push(&mut out, "allow_commands = true".into(), s.line, Kind::Entry, i + 1);
        }
        for (k, v, n) in &s.entries {
            if global && k == "layer_indicator" {
                let why = "keymapd does not drive LEDs".to_owned();
                notes.push(Note { line: *n, message: format!("cannot convert `layer_indicator`: {why}") });
                let text = format!("{} = {}", key(k), string(v));
                out.push(Out { text, src: *n, kind: Kind::Entry, section: i + 1, disabled: Some(why) });
                continue;
            }
            let value = if global && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                v.trim_start_matches('0').parse::<u64>().unwrap_or(0).to_string()
            } else {
                string(v)
            };
            push(&mut out, format!("{} = {value}", key(k)), *n, Kind::Entry, i + 1);
        }
    }

    // Let the profile parser judge; comment out what it refuses, until it accepts the rest.
    let file = format!("{name}.toml");
    for _ in 0..64 {
        let toml = render(&out);
        let diags = match Profile::parse(Path::new(&file), &toml) {
            Ok((_, warnings)) => warnings,
            Err(diags) => diags,
        };
        let mut changed = false;
        let mut fatal = None;
        // Every line number refers to the text just rendered: map them all before any is
        // commented out (which adds lines).
        let at: Vec<Option<usize>> = diags.iter().map(|d| out_index(&out, d.line)).collect();
        for (d, i) in diags.iter().zip(at) {
            let Some(i) = i else {
                fatal.get_or_insert_with(|| d.message.clone());
                continue;
            };
            let (kind, section, src) = (out[i].kind, out[i].section, out[i].src);
            match kind {
                _ if out[i].disabled.is_some() => {} // commented out already, by its section
                // A warning about a section (a layer nothing activates) is said, not acted on.
                Kind::Header if d.severity == Severity::Error => {
                    for o in out
                        .iter_mut()
                        .filter(|o| o.section == section && o.disabled.is_none() && o.kind != Kind::Text)
                    {
                        o.disabled = Some(d.message.clone());
                    }
                    notes.push(Note { line: src, message: format!("cannot convert section: {}", d.message) });
                    changed = true;
                }
                Kind::Entry | Kind::Id if out[i].disabled.is_none() => {
                    out[i].disabled = Some(d.message.clone());
                    notes.push(Note { line: src, message: format!("cannot convert: {}", d.message) });
                    changed = true;
                }
                _ if d.severity == Severity::Warning => {
                    notes.push(Note { line: src, message: d.message.clone() });
                }
                _ => {
                    fatal.get_or_insert_with(|| d.message.clone());
                }
            }
        }
        if let Some(msg) = fatal {
            return Err(format!("cannot convert: {msg}"));
        }
        if !changed {
            notes.sort_by_key(|n| n.line);
            notes.dedup();
            let bindings = out
                .iter()
                .filter(|o| o.kind == Kind::Entry && o.disabled.is_none())
                .filter(|o| {
                    sections
                        .get(o.section.wrapping_sub(1))
                        .is_some_and(|s| s.header != "global" && s.header != "aliases")
                })
                .count();
            return Ok(Converted { name, toml, notes, bindings });
        }
    }
    Err("cannot convert: the profile keeps failing to parse".into())
}

/// Why `text` is not a keyd config, if it is not one: a keymapd profile (TOML with `ids`, or
/// with quoted actions) needs no conversion; a text with no `[section]` header and no
/// `key = action` line is not keyd's format at all.
fn not_keyd(text: &str) -> Option<String> {
    if let Ok(doc) = text.parse::<toml::Table>() {
        let quoted = doc.values().any(|v| v.as_table().is_some_and(|t| t.values().any(|v| v.is_str())));
        if doc.get("ids").is_some_and(|v| v.is_array()) || quoted {
            return Some(
                "this looks like a keymapd profile (TOML), not a keyd config: it needs no conversion; \
                 check it with `keymapd check`"
                    .into(),
            );
        }
    }
    let keyd_like = text.lines().map(str::trim).any(|l| {
        (l.starts_with('[') && l.ends_with(']'))
            || l.starts_with("include ")
            || (!l.starts_with('#') && l.get(1..).is_some_and(|r| r.contains('=')))
    });
    (!keyd_like).then(|| {
        "this is not a keyd config: it has no `[section]` header and no `key = action` line".to_owned()
    })
}

/// keyd ≥ 2.5's `vvvv:pppp:hhhhhhhh` (vendor, product, a hash of the device), with an optional
/// leading `-`, as the `vvvv:pppp` keymapd understands.
fn vendor_product_of_hashed(id: &str) -> Option<String> {
    let (minus, body) = id.strip_prefix('-').map_or(("", id), |b| ("-", b));
    let mut parts = body.split(':');
    let (v, p, h) = (parts.next()?, parts.next()?, parts.next()?);
    let hex = |x: &str, n: usize| (1..=n).contains(&x.len()) && x.bytes().all(|b| b.is_ascii_hexdigit());
    (parts.next().is_none() && v.len() == 4 && p.len() == 4 && hex(v, 4) && hex(p, 4) && hex(h, 16))
        .then(|| format!("{minus}{v}:{p}"))
}

/// The output line a diagnostic's 1-based line falls on, counting the comments that disabled
/// lines add.
fn out_index(out: &[Out], line: usize) -> Option<usize> {
    let mut n = 0;
    for (i, o) in out.iter().enumerate() {
        n += if o.disabled.is_some() { 2 } else { 1 };
        if n >= line && line > 0 {
            return Some(i);
        }
    }
    None
}

fn render(out: &[Out]) -> String {
    let mut s = String::new();
    for o in out {
        match &o.disabled {
            Some(why) => {
                s.push_str(&format!("# keymapd cannot convert this: {}\n", why.replace('\n', " ")));
                s.push_str(&format!("# {}\n", o.text));
            }
            None => {
                s.push_str(&o.text);
                s.push('\n');
            }
        }
    }
    s
}

/// A TOML key: bare when it can be, else quoted.
fn key(k: &str) -> String {
    if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        k.to_owned()
    } else {
        string(k)
    }
}

/// A TOML basic string.
fn string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(text: &str) -> Converted {
        convert(Path::new("/etc/keyd/default.conf"), text, &|_| None).unwrap()
    }

    #[test]
    fn basic() {
        let c = conv(
            "[ids]\n*\n-046d:c077\n\n[main]\ncapslock = overload(nav, esc)\n; = \"\n[nav:C]\nh = left\n",
        );
        assert_eq!(
            c.toml,
            "# Converted from /etc/keyd/default.conf by `keymapd import-keyd`.\nids = [\n    \"*\",\n    \
             \"-046d:c077\",\n]\n\n[main]\ncapslock = \"overload(nav, esc)\"\n\";\" = \"\\\"\"\n\n\
             [\"nav:C\"]\nh = \"left\"\n"
        );
        assert!(c.notes.is_empty(), "{:?}", c.notes);
    }

    #[test]
    fn what_does_not_convert_is_commented_and_noted() {
        let c =
            conv("[ids]\n*\nm:046d:c077\n[global]\nlayer_indicator = 1\n[main]\na = frobnicate(x)\nb = c\n");
        assert!(
            c.toml.contains("# keymapd cannot convert this: `a`: unknown action `frobnicate(…)`"),
            "{}",
            c.toml
        );
        assert!(c.toml.contains("\nb = \"c\"\n"));
        let lines: Vec<usize> = c.notes.iter().map(|n| n.line).collect();
        assert_eq!(lines, [3, 5, 7], "{:?}", c.notes);
    }

    #[test]
    fn repeated_sections_merge_and_later_bindings_win() {
        let c = conv("[ids]\n*\n[main]\na = b\n[nav]\nh = left\n[main]\na = c\nx = y\n");
        assert!(c.toml.contains("[main]\na = \"c\"\nx = \"y\"\n"), "{}", c.toml);
    }

    #[test]
    fn a_config_without_ids_is_keyd_1x_named_after_its_keyboard() {
        let c =
            |file: &str| convert(Path::new(file), "capslock = esc\n[nav]\nh = left\n", &|_| None).unwrap();
        let all = c("/etc/keyd/default.cfg");
        assert!(all.toml.contains("ids = [\n    \"*\",\n]\n\n[main]\ncapslock = \"esc\"\n"), "{}", all.toml);
        assert_eq!(all.notes[0].line, 0);
        assert!(all.notes[0].message.contains("claims `*`"), "{:?}", all.notes);
        assert_eq!(all.notes[1].line, 1, "{:?}", all.notes);
        assert!(c("/etc/keyd/046d:c52b.cfg").toml.contains("\"046d:c52b\""));
        assert!(c("/etc/keyd/My Keyboard.cfg").toml.contains("\"name:My Keyboard\""));
        // With [ids], a binding before any section is still refused, as keyd 2 does.
        let v2 = conv("a = b\n[ids]\n*\n");
        assert_eq!(
            v2.notes,
            [Note { line: 1, message: "cannot convert `a = b`: outside any section".into() }]
        );
    }

    #[test]
    fn three_part_ids_become_vendor_product_with_a_note() {
        let c = conv("[ids]\n0011:2233:44556677\n-k:0011:4455:0abc\n[main]\na = b\n");
        assert!(c.toml.contains("ids = [\n    \"0011:2233\",\n    \"-0011:4455\",\n]\n"), "{}", c.toml);
        assert_eq!(c.notes.iter().map(|n| n.line).collect::<Vec<_>>(), [2, 3]);
        assert!(c.notes[0].message.contains("converted to `0011:2233`, which claims"), "{:?}", c.notes);
        assert!(c.notes[1].message.contains("converted to `-0011:4455`, which excludes"), "{:?}", c.notes);
        assert_eq!(vendor_product_of_hashed("0011:2233"), None);
        assert_eq!(vendor_product_of_hashed("0011:2233:"), None);
        assert_eq!(vendor_product_of_hashed("0011:2233:xyz"), None);
        assert_eq!(vendor_product_of_hashed("0011:2233:1:2"), None);
    }

    #[test]
    fn several_refusals_in_a_row_are_each_commented_out() {
        // Each commented-out line adds one: the lines of one pass are mapped before any is.
        let c = conv("[ids]\n*\n[main]\na = frob(1)\nb = frob(2)\nc = d\ne = frob(3)\n");
        assert_eq!(c.notes.iter().map(|n| n.line).collect::<Vec<_>>(), [4, 5, 7], "{:?}", c.notes);
        assert!(
            c.toml.contains("# a = \"frob(1)\"\n") && c.toml.contains("# b = \"frob(2)\"\n"),
            "{}",
            c.toml
        );
        assert!(c.toml.contains("\nc = \"d\"\n# keymapd cannot convert"), "{}", c.toml);
    }

    #[test]
    fn a_key_with_modifiers_on_the_left_is_refused_with_the_layer_to_use() {
        let c = conv("[ids]\n*\n[main]\nS-tab = x\n[sw:A]\nS-tab = A-S-tab\n[nav]\n");
        let msgs: Vec<&str> = c.notes.iter().map(|n| n.message.as_str()).collect();
        let has = |m: &str| msgs.iter().any(|n| n.contains(m));
        assert!(has("`S-tab`: the key of a binding cannot carry modifiers; bind `tab` in [shift], which is active while shift is held"), "{msgs:?}");
        assert!(
            has("bind `tab` in [\"sw+shift\"], which is active while [sw] and shift are held"),
            "{msgs:?}"
        );
    }

    /// Characters outside ASCII convert: keymapd types them as keyd does (compose sequences).
    #[test]
    fn characters_outside_ascii_convert() {
        let c = conv("[ids]\n*\n[main]\na = ä\n\\ = 😄\nx = layer(nav)\n[nav]\nm = macro(1😄2)\n");
        assert!(c.notes.is_empty(), "{:?}", c.notes);
        assert!(c.toml.contains("a = \"ä\"\n\"\\\\\" = \"😄\"\n"), "{}", c.toml);
        assert!(c.toml.contains("m = \"macro(1😄2)\"\n"), "{}", c.toml);
    }

    #[test]
    fn commands_opt_in_with_a_note() {
        let c = conv("[ids]\n*\n[main]\nf1 = command(echo hi)\n");
        assert!(c.toml.contains("[global]\nallow_commands = true\n"), "{}", c.toml);
        assert_eq!(c.notes.len(), 1);
    }
}
