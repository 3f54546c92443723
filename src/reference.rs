//! The profile reference, one source for README's tables and the `keymapd.toml(5)` man page:
//! the forms of `ids`, the actions, the `[global]` settings. `tests/docs.rs` fails when README
//! or the committed man pages in `docs/man/` drift from what is rendered here.
//!
//! Cells are Markdown inline text (`` `code` ``, `**bold**`); [`markdown`] writes a table as
//! README has it, [`profile_man_page`] turns them into roff.

use std::fmt::Write as _;

/// One reference table: its name in README's `<!-- table:NAME:begin -->` markers, its column
/// headers and rows (Markdown inline text).
pub struct Table {
    pub name: &'static str,
    pub header: &'static [&'static str],
    pub rows: &'static [&'static [&'static str]],
}

/// Which devices a profile claims: the forms of an `ids` entry.
pub const IDS: Table = Table {
    name: "ids",
    header: &[r##"form"##, r##"claims"##],
    rows: &[
        &[r##"`"046d:c52b"`"##, r##"the device with this vendor:product (hex, as `keymapd list` shows it)"##],
        &[
            r##"`"name:AT Translated Set 2 keyboard"`"##,
            r##"the device with this exact name; globs allowed (`"name:Logitech*"`)"##,
        ],
        &[r##"`"usb:kb"`, `"bluetooth:kb"`"##, r##"every USB / Bluetooth keyboard"##],
        &[
            r##"`"laptop:kb"`"##,
            r##"the built-in keyboard: i8042/serio, or the I2C, SPI or platform keyboards laptops use"##,
        ],
        &[r##"`"*"`"##, r##"every keyboard (never mice)"##],
        &[r##"`"-…"`"##, r##"a leading `-` excludes: `ids = ["usb:kb", "-046d:c077"]`"##],
    ],
};

/// The forms of a section (a layer) and when each is active.
pub const SECTIONS: Table = Table {
    name: "sections",
    header: &[r##"section"##, r##"is active"##],
    rows: &[
        &[r##"`[main]`"##, r##"always"##],
        &[
            r##"`[nav]`"##,
            r##"while an action activates it (`layer(nav)`, `toggle(nav)`, `overload(nav, esc)`, …)"##,
        ],
        &[
            r##"`["nav:C-S"]`"##,
            r##"as `[nav]`, and holds its modifiers (`C` control, `S` shift, `A` alt, `M` meta, `G` AltGr) while active"##,
        ],
        &[
            r##"`[control]`, `[shift]`, `[meta]`, `[alt]`, `[altgr]`"##,
            r##"built in: while that modifier key (or a key mapped to it) is held"##,
        ],
        &[
            r##"`["dvorak:layout"]`"##,
            r##"while it is the current layout (`setlayout(dvorak)`, `default_layout`)"##,
        ],
        &[r##"`["control+alt"]`"##, r##"a composite: whenever all its parts are"##],
        &[
            r##"`["app:org.gnome.Terminal"]`, `["app:org.gnome.*"]`"##,
            r##"an application layer: while the focused window's application id (Wayland `app_id`, X11 `WM_CLASS` class) matches the case-sensitive glob (`*`, `?`, `[…]`); of several that match, only the most specific"##,
        ],
        &[
            r##"`["meta+app:kitty"]`"##,
            r##"a composite with an application: while meta is held in kitty (the application comes last; it needs no `["app:kitty"]` section of its own)"##,
        ],
    ],
};

/// Actions: keys and layers.
pub const ACTIONS_KEYS: Table = Table {
    name: "actions-keys",
    header: &[r##"action"##, r##"example"##, r##"does"##],
    rows: &[
        &[r##"a key"##, r##"`capslock = "esc"`"##, r##"emits that key instead; a swap is two such lines"##],
        &[
            r##"a modifier key"##,
            r##"`leftcontrol = "leftmeta"`"##,
            r##"holds that modifier, and activates its modifier layer (`[meta]` bindings apply); `control`, `shift`, `meta`, `alt`, `altgr` name the left ones (AltGr: right alt). Unbound, right control, shift and meta are their modifier layers and come out as the left keys, as in keyd; `rightcontrol = "rightcontrol"` keeps one as itself"##,
        ],
        &[
            r##"modifiers + key"##,
            r##"`f1 = "C-a"`, `f2 = "M-S-t"`, `f3 = "!"`"##,
            r##"holds the modifiers around the key (`!`, `A`: shift + the US key)"##,
        ],
        &[
            r##"`layer(name)`"##,
            r##"`capslock = "layer(nav)"`"##,
            r##"activates the layer while held; with a modifier layer (`layer(control)`, `["nav:C-S"]`) its modifiers are held too"##,
        ],
        &[
            r##"`layerm(name, macro)`"##,
            r##"`f1 = "layerm(nav, C-x)"`"##,
            r##"plays the macro, then `layer(name)`"##,
        ],
        &[
            r##"`oneshot(name)`"##,
            r##"`leftshift = "oneshot(shift)"`"##,
            r##"tapped: the layer stays active for the next key only (oneshots stack: shift then control then `a` is C-S-a); held and used: a plain `layer()`"##,
        ],
        &[
            r##"`oneshotm(name, macro)`"##,
            r##"`f2 = "oneshotm(nav, macro(o))"`"##,
            r##"plays the macro, then `oneshot(name)`"##,
        ],
        &[
            r##"`oneshotk(name, key)`"##,
            r##"`tab = "oneshotk(nav, tab)"`"##,
            r##"`oneshot(name)` that also holds `key` while physically held"##,
        ],
        &[
            r##"`toggle(name)`"##,
            r##"`f3 = "toggle(nav)"`"##,
            r##"turns the layer on or off (a toggled modifier layer holds its modifiers); clears pending oneshots"##,
        ],
        &[
            r##"`togglem(name, macro)`"##,
            r##"`f4 = "togglem(nav, macro(n a v))"`"##,
            r##"plays the macro, then `toggle(name)`"##,
        ],
        &[
            r##"`swap(name)`"##,
            r##"`[nav]` `s = "swap(sym)"`"##,
            r##"replaces the layer this binding is in by `name`, the way that layer was active: held by a key (until that key goes up), toggled, or oneshot"##,
        ],
        &[
            r##"`swapm(name, macro)`"##,
            r##"`tab = "swapm(switcher, M-tab)"`"##,
            r##"`swap(name)`, then the macro (keyd's older `swap(name, macro)` is read as this)"##,
        ],
        &[
            r##"`clear()`"##,
            r##"`[nav]` `esc = "clear()"`"##,
            r##"turns off toggled and oneshot layers and stops a repeating macro"##,
        ],
        &[r##"`clearm(macro)`"##, r##"`f5 = "clearm(C-c)"`"##, r##"`clear()`, then the macro"##],
        &[
            r##"`setlayout(name)`"##,
            r##"`f6 = "setlayout(dvorak)"`"##,
            r##"makes a `["name:layout"]` layer the current layout (`setlayout(main)`: none); also `clear()`s, as in keyd"##,
        ],
        &[r##"`noop`"##, r##"`insert = "noop"`"##, r##"does nothing"##],
    ],
};

/// Actions: tap and hold.
pub const ACTIONS_TAP_HOLD: Table = Table {
    name: "actions-tap-hold",
    header: &[r##"action"##, r##"example"##, r##"does"##],
    rows: &[
        &[
            r##"`overload(layer, tap)`"##,
            r##"`capslock = "overload(control, esc)"`"##,
            r##"the layer while held; on release, `tap` if no other key was pressed meanwhile (and, with `overload_tap_timeout`, if held less than that)"##,
        ],
        &[
            r##"`overloadt(layer, tap, ms)`"##,
            r##"`a = "overloadt(control, a, 200)"`"##,
            r##"`tap` if released before `ms`, the layer from `ms` on; keys struck meanwhile wait for the decision (a short visual delay)"##,
        ],
        &[
            r##"`overloadt2(layer, tap, ms)`"##,
            r##"`f = "overloadt2(meta, f, 200)"`"##,
            r##"`overloadt`, and also the layer as soon as another key is tapped (pressed and released) inside it"##,
        ],
        &[
            r##"`overloadi(fast, slow, ms)`"##,
            r##"`j = "overloadi(j, overloadt2(shift, j, 200), 150)"`"##,
            r##"`fast` if a plain or shifted key went down or up less than `ms` ago (you are typing), else `slow`"##,
        ],
        &[
            r##"`lettermod(layer, key, idle, hold)`"##,
            r##"`s = "lettermod(alt, s, 150, 200)"`"##,
            r##"home-row modifier: `overloadi(key, overloadt2(layer, key, hold), idle)`"##,
        ],
        &[
            r##"`timeout(tap, ms, hold)`"##,
            r##"`f12 = "timeout(f12, 300, layer(control))"`"##,
            r##"`hold` if the key is held for `ms`; `tap` if it is released sooner or another key is pressed first (then held until release). It holds no other key back. Pressed and released in the same millisecond (as the tap of another action is), it waits out its time as keyd 2.6 does: then a tap of `hold`, or of `tap` if any key goes down or up first"##,
        ],
    ],
};

/// Actions: macros and commands.
pub const ACTIONS_MACROS: Table = Table {
    name: "actions-macros",
    header: &[r##"action"##, r##"example"##, r##"does"##],
    rows: &[
        &[
            r##"`macro(…)`"##,
            r##"`f1 = "macro(C-a 50ms Hello space world)"`"##,
            r##"types the steps: keys with modifiers (`C-a`), groups pressed together and released in the same order (`leftcontrol+leftmeta`), delays (`50ms`), text (`Hello`, `Grüße 😄`); `macro(space)` is a space, `macro(s pace)` types "space"; escapes `\\` (a backslash), `\n` (enter), `\t` (tab), `\(`, `\)`"##,
        ],
        &[
            r##"a character outside ASCII"##,
            r##"`f5 = "😄"`"##,
            r##"types it, as `macro(😄)` does (see "Characters outside ASCII")"##,
        ],
        &[
            r##"`macro2(timeout, repeat, macro)`"##,
            r##"`f2 = "macro2(400, 50, left)"`"##,
            r##"a macro with its own repetition timing (`timeout` 0: no repetition)"##,
        ],
        &[
            r##"`repeat()`"##,
            r##"`f3 = "repeat()"`"##,
            r##"does the last key (with the modifiers it had) or macro again"##,
        ],
        &[
            r##"`command(…)`"##,
            r##"`f11 = "command(brightnessctl s +10%)"`"##,
            r##"runs a shell command (`/bin/sh -c`), **only with `allow_commands = true`**: in the active user's session, as that user, through `keymapd session` when it is connected; else as the daemon's user"##,
        ],
    ],
};

/// The `[global]` settings.
pub const SETTINGS: Table = Table {
    name: "settings",
    header: &[r##"setting"##, r##"default"##, r##"meaning"##],
    rows: &[
        &[
            r##"`overload_tap_timeout`"##,
            r##"0 (off)"##,
            r##"an `overload()` held at least this long does not tap"##,
        ],
        &[
            r##"`oneshot_timeout`"##,
            r##"0 (off)"##,
            r##"a tapped oneshot expires this long after its release"##,
        ],
        &[r##"`chord_timeout`"##, r##"50"##, r##"longest gap between the keys of a chord"##],
        &[
            r##"`chord_hold_timeout`"##,
            r##"0"##,
            r##"how long a complete chord must be held before it acts"##,
        ],
        &[
            r##"`macro_timeout`"##,
            r##"600"##,
            r##"from the end of a held macro to its first repetition (0: none)"##,
        ],
        &[r##"`macro_repeat_timeout`"##, r##"50"##, r##"between repetitions"##],
        &[
            r##"`macro_sequence_timeout`"##,
            r##"0"##,
            r##"pause between the key events a macro emits, in **microseconds** (as in keyd)"##,
        ],
        &[r##"`disable_modifier_guard`"##, r##"false"##, r##"see the modifier guard"##],
        &[r##"`default_layout`"##, r##"none"##, r##"the `:layout` layer current at start"##],
        &[r##"`allow_commands`"##, r##"false"##, r##"keymapd's own: allow `command()`"##],
        &[
            r##"`hold_shared_keys`"##,
            r##"false"##,
            r##"keymapd's own: an output key that several bindings hold (`capslock = "esc"` and esc itself, both down) stays down until the last lets go; keyd, and keymapd by default, release it with the first"##,
        ],
    ],
};

/// The date both man pages carry: that of the last change to what they say.
pub const MAN_DATE: &str = "2026-12-05";

/// Every table, in README's order.
pub const TABLES: [&Table; 6] =
    [&IDS, &SECTIONS, &ACTIONS_KEYS, &ACTIONS_TAP_HOLD, &ACTIONS_MACROS, &SETTINGS];

/// A table as README writes it (no trailing newline).
pub fn markdown(t: &Table) -> String {
    let mut out = String::new();
    let row = |out: &mut String, cells: &[&str]| {
        out.push('|');
        for c in cells {
            out.push(' ');
            out.push_str(c);
            out.push_str(" |");
        }
    };
    row(&mut out, t.header);
    out.push('\n');
    row(&mut out, &vec!["---"; t.header.len()]);
    for r in t.rows {
        out.push('\n');
        row(&mut out, r);
    }
    out
}

/// Markdown inline text as roff: `` `code` `` and `**bold**` in bold, backslashes escaped,
/// characters outside ASCII as `\[uXXXX]`, a leading `.` or `'` neutralised.
pub fn roff(md: &str) -> String {
    let mut out = String::new();
    let mut bold = false;
    let mut chars = md.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' => {
                out.push_str(if bold { "\\fR" } else { "\\fB" });
                bold = !bold;
            }
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                out.push_str(if bold { "\\fR" } else { "\\fB" });
                bold = !bold;
            }
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            c if c.is_ascii() => out.push(c),
            c => {
                let _ = write!(out, "\\[u{:04X}]", c as u32);
            }
        }
    }
    if bold {
        out.push_str("\\fR");
    }
    out.lines()
        .map(|l| if l.starts_with('.') || l.starts_with('\'') { format!("\\&{l}") } else { l.to_owned() })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A table as a roff tagged list: the first cell is the tag, the others its paragraph
/// (`example` cells as "Example: …" on a line of their own, `default` as "Default: …").
fn roff_list(out: &mut String, t: &Table) {
    for r in t.rows {
        let _ = writeln!(out, ".TP\n{}", roff(r[0]));
        let mut body = Vec::new();
        for (h, c) in t.header.iter().zip(r.iter()).skip(1) {
            match *h {
                "example" => body.push(format!("Example: {}", roff(c))),
                "default" => body.push(format!("Default: {}.", roff(c))),
                _ => body.insert(0, roff(c)),
            }
        }
        let _ = writeln!(out, "{}", body.join("\n.br\n"));
    }
}

/// `keymapd.toml(5)`: the profile format, in roff.
pub fn profile_man_page() -> String {
    let mut o = String::new();
    let version = env!("CARGO_PKG_VERSION");
    // A paragraph; `.PP` right after a heading would be redundant (mandoc warns).
    let p = |o: &mut String, md: &str| {
        let last = o.lines().last().unwrap_or("");
        if !(last.starts_with(".SH") || last.starts_with(".SS")) {
            o.push_str(".PP\n");
        }
        let _ = writeln!(o, "{}", roff(md));
    };
    let _ = writeln!(o, ".TH KEYMAPD.TOML 5 \"{MAN_DATE}\" \"keymapd {version}\" \"File Formats\"");
    let _ = writeln!(o, ".SH NAME\nkeymapd.toml \\- keymapd profile format");
    let _ = writeln!(o, ".SH SYNOPSIS\n\\fI/etc/keymapd/\\fR\\fBNAME\\fR\\fI.toml\\fR");
    let _ = writeln!(o, ".SH DESCRIPTION");
    p(&mut o, DESCRIPTION);
    let _ = writeln!(o, ".PP\n.EX\n{}\n.EE", roff(EXAMPLE));
    let _ = writeln!(o, ".SH IDS");
    p(&mut o, IDS_TEXT);
    roff_list(&mut o, &IDS);
    p(&mut o, IDS_AFTER);
    let _ = writeln!(o, ".SH SECTIONS AND KEY NAMES");
    p(&mut o, SECTIONS_INTRO);
    roff_list(&mut o, &SECTIONS);
    for para in SECTIONS_TEXT {
        p(&mut o, para);
    }
    let _ = writeln!(o, ".SH ACTIONS");
    p(&mut o, ACTIONS_TEXT);
    for (title, t) in
        [("Keys and layers", &ACTIONS_KEYS), ("Tap and hold", &ACTIONS_TAP_HOLD), ("Macros", &ACTIONS_MACROS)]
    {
        let _ = writeln!(o, ".SS {title}");
        roff_list(&mut o, t);
    }
    p(&mut o, CHORDS_TEXT);
    let _ = writeln!(o, ".SH GLOBAL SETTINGS");
    p(&mut o, SETTINGS_TEXT);
    roff_list(&mut o, &SETTINGS);
    let _ = writeln!(o, ".SH ALIASES");
    p(&mut o, ALIASES_TEXT);
    let _ = writeln!(o, ".SH FILES\n.TP\n.I /etc/keymapd/*.toml");
    let _ = writeln!(o, "{}", roff("The profiles the daemon loads (`keymapd run --config DIR` for another directory). Files not ending in `.toml`, and hidden files, are ignored."));
    let _ = writeln!(o, ".SH SEE ALSO\n.BR keymapd (1),\n.BR keyd (1)");
    o
}

const DESCRIPTION: &str = "A profile says which keyboards it claims (`ids`) and what their keys do, in sections that are keyd's layers spelled in TOML: `<key> = \"<action>\"` lines under `[main]`, the layer always active, and under other layers. `keymapd check` validates profiles and reports problems as `path:line:col: error: message`; the daemon reloads them by itself when they change.";

const EXAMPLE: &str = "ids = [\"usb:kb\"]\n\n[main]\nleftcontrol = \"leftmeta\"\nleftmeta = \"leftcontrol\"\ncapslock = \"overload(nav, esc)\"\n\n[nav]\nh = \"left\"\nj = \"down\"";

const IDS_TEXT: &str = "`ids` is a list of selectors; a device is claimed when a selector fits it and no exclusion does. `keymapd list` shows each device's vendor:product and name.";

const IDS_AFTER: &str = "Only keyboards are ever claimed. When several profiles claim a device, the most specific selector wins: vendor:product, then `name:`, then a class, then `*`. Two profiles claiming with the same selector are an error.";

const SECTIONS_INTRO: &str = "Each TOML table is a keyd section, a layer of bindings:";

const SECTIONS_TEXT: [&str; 4] = [
    "**Application layers**: when several `app:` patterns match the focused application's id, the most specific wins: the one with the most literal characters, then the fewest wildcards (`*`, `?` and `[…]` each count one), then the first in the file; so an exact id beats every glob that matches it. Only that one is active: keys it does not bind do not fall through to the others. The daemon learns the focus from `keymapd session`; offline, `keymapd test --script` takes `focus APP_ID` steps (`focus` alone: no window has the focus).",
    "A section that nothing can activate is an error when it is named like one keymapd knows (`[alias]`, `[Main]`), and a warning otherwise.",
    "Key names are keyd's (`leftcontrol`, `leftmeta`, `esc`, `capslock`, `grave`, `kp1`, `leftmouse`, ...); the kernel's spellings (`leftctrl`) are accepted too, and every code of the kernel's `input-event-codes.h` has a name. Shifted symbols (`!`, `@`, `A`) mean shift plus their key on a US layout.",
    "When several layers are active, a composite whose parts are all active wins (the one with the most parts), then the most recently activated layer that binds a key, then the application layer, then the layout, then `[main]`, then the key itself. A key's action is chosen when it goes down: its release always undoes exactly what its press did, whatever changed in between (layers, the focused application).",
];

const ACTIONS_TEXT: &str = "The value of a binding is an action, with keyd's semantics. Times are in milliseconds. `keymapd test --profile FILE --script SCRIPT` shows what a profile does, offline.";

const CHORDS_TEXT: &str = "**Chords**: `\"j+k\" = \"esc\"` in any layer: the action happens when all the keys are struck within `chord_timeout` of each other, and ends when the last of them goes up; anything else replays the keys as themselves.";

const SETTINGS_TEXT: &str = "The `[global]` section holds settings. Times are whole milliseconds from 0 to 65535; flags are `true` or `false`. An unknown setting is an error.";

const ALIASES_TEXT: &str = "`[aliases]` gives a key another name for the left-hand side: with `leftalt = \"meta\"` and `rightalt = \"meta\"`, `meta = \"oneshot(meta)\"` binds both alt keys. Built in: `control`, `shift`, `meta` (both keys of each), `alt` (left alt), `altgr` (right alt).";
