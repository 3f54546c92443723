//! Hot reload's pure decisions: which notify events are profile edits, and for one device, what
//! a new profile set changes (grab, ungrab, new keymap or nothing). It never touches a device or
//! a file, it only decides; the loop debounces and loads, the registry applies.

use std::path::Path;
use std::sync::Arc;

use crate::keymap::Keymap;

/// What a reload does to one device.
#[derive(Clone)]
pub enum Plan {
    /// Newly claimed: open it and grab it (once no key is down).
    Grab(Arc<Keymap>),
    /// No longer claimed: release what it holds on the output, then ungrab it.
    Ungrab,
    /// Still claimed, but the mapping differs: `engine.set_keymap` (releases what the old one held).
    SetKeymap(Arc<Keymap>),
    /// Same claim and the same mapping: leave it alone (nothing is released).
    Keep,
}

/// Decides from the keymap the device runs now (`None`: not claimed) and the one the new set
/// gives it (`None`: unclaimed).
pub fn plan(old: Option<&Arc<Keymap>>, new: Option<&Arc<Keymap>>) -> Plan {
    match (old, new) {
        (None, None) => Plan::Keep,
        (None, Some(n)) => Plan::Grab(n.clone()),
        (Some(_), None) => Plan::Ungrab,
        (Some(o), Some(n)) if same_keymap(o, n) => Plan::Keep,
        (Some(_), Some(n)) => Plan::SetKeymap(n.clone()),
    }
}

/// Whether two keymaps do the same thing: equal in everything the engine reads — bindings,
/// the nested actions and macros they point to, commands, chords and `[global]` settings. An
/// edit to a comment or to `ids` alone changes nothing; an edit to `overload(control, esc)`'s tap
/// or to a macro's text does (those live in tables the bindings index into, so comparing the
/// bindings alone would miss them).
pub fn same_keymap(a: &Keymap, b: &Keymap) -> bool {
    std::ptr::eq(a, b) || a == b
}

/// Whether a notify event in the watched directory is an edit of the profiles: a `*.toml` file
/// (or the `--config` file itself) created, written, closed after writing, renamed or removed.
/// Reads are not (the
/// daemon's own reads would reload forever); an event without paths (a rescan) is.
pub fn is_profile_change(ev: &notify::Event, config: &Path) -> bool {
    use notify::event::{AccessKind, AccessMode};
    use notify::EventKind;
    match ev.kind {
        // A file written and closed is the surest sign an edit is complete.
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => {}
        EventKind::Access(_) => return false,
        _ => {}
    }
    ev.paths.is_empty() || ev.paths.iter().any(|p| p.extension().is_some_and(|x| x == "toml") || p == config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::{Action, Mods, MAIN};
    use crate::keys::Key;

    fn map(to: u16) -> Arc<Keymap> {
        let mut m = Keymap::new();
        m.set(MAIN, Key::CAPSLOCK, Action::Key { mods: Mods::NONE, key: Key::new(to).unwrap() });
        Arc::new(m)
    }

    #[test]
    fn unchanged_content_is_kept_even_as_a_new_value() {
        assert!(matches!(plan(Some(&map(1)), Some(&map(1))), Plan::Keep));
    }

    #[test]
    fn changed_content_swaps_the_keymap() {
        assert!(matches!(plan(Some(&map(1)), Some(&map(29))), Plan::SetKeymap(_)));
    }

    #[test]
    fn claim_changes_grab_or_ungrab() {
        assert!(matches!(plan(None, Some(&map(1))), Plan::Grab(_)));
        assert!(matches!(plan(Some(&map(1)), None), Plan::Ungrab));
        assert!(matches!(plan(None, None), Plan::Keep));
    }

    #[test]
    fn an_extra_layer_is_a_change() {
        let a = map(1);
        let mut b = Keymap::new();
        b.set(MAIN, Key::CAPSLOCK, Action::Key { mods: Mods::NONE, key: Key::ESC });
        b.add_layer("nav", Mods::NONE);
        assert!(!same_keymap(&a, &b));
        assert!(same_keymap(&a, &map(1)));
    }
}

#[cfg(test)]
mod content_tests {
    use super::*;
    use crate::profile::Profile;
    use std::path::Path;

    fn keymap(text: &str) -> Arc<Keymap> {
        let (p, _) = Profile::parse(Path::new("t.toml"), text).unwrap_or_else(|e| panic!("{e:?}"));
        p.keymap
    }

    fn changes(a: &str, b: &str) -> bool {
        !same_keymap(&keymap(a), &keymap(b))
    }

    #[test]
    fn a_changed_nested_action_macro_chord_or_setting_is_a_change() {
        let head = "ids = [\"*\"]\n";
        let with = |body: &str| format!("{head}{body}");
        // The same text compiles to the same keymap.
        let same = with("[main]\ncapslock = \"overload(control, esc)\"\n");
        assert!(!changes(&same, &same));
        // The tap of an overload is a nested action (an index into the keymap's action table).
        assert!(changes(&same, &with("[main]\ncapslock = \"overload(control, tab)\"\n")));
        // A macro's text.
        assert!(changes(&with("[main]\na = \"macro(hello)\"\n"), &with("[main]\na = \"macro(world)\"\n")));
        // A chord's action.
        assert!(changes(&with("[main]\n\"j+k\" = \"esc\"\n"), &with("[main]\n\"j+k\" = \"tab\"\n")));
        // A [global] setting.
        assert!(changes(
            &with("[global]\noverload_tap_timeout = 200\n[main]\ncapslock = \"overload(control, esc)\"\n"),
            &with("[global]\noverload_tap_timeout = 300\n[main]\ncapslock = \"overload(control, esc)\"\n")
        ));
        // A command's text.
        assert!(changes(
            &with("[global]\nallow_commands = true\n[main]\nf1 = \"command(true)\"\n"),
            &with("[global]\nallow_commands = true\n[main]\nf1 = \"command(false)\"\n")
        ));
    }
}

#[cfg(test)]
mod notify_tests {
    use super::*;
    use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
    use notify::{Event, EventKind};

    fn ev(kind: EventKind, path: &str) -> Event {
        Event::new(kind).add_path(path.into())
    }

    #[test]
    fn profile_edits_count_and_reads_and_other_files_do_not() {
        let dir = Path::new("/etc/keymapd");
        assert!(is_profile_change(&ev(EventKind::Create(CreateKind::File), "/etc/keymapd/a.toml"), dir));
        assert!(is_profile_change(
            &ev(EventKind::Modify(ModifyKind::Name(RenameMode::To)), "/etc/keymapd/a.toml"),
            dir
        ));
        assert!(is_profile_change(
            &ev(EventKind::Remove(notify::event::RemoveKind::File), "/etc/keymapd/a.toml"),
            dir
        ));
        assert!(!is_profile_change(
            &ev(EventKind::Access(AccessKind::Open(AccessMode::Any)), "/etc/keymapd/a.toml"),
            dir
        ));
        assert!(!is_profile_change(
            &ev(EventKind::Create(CreateKind::File), "/etc/keymapd/.a.toml.swp"),
            dir
        ));
        assert!(!is_profile_change(&ev(EventKind::Create(CreateKind::File), "/etc/keymapd/4913"), dir));
        assert!(is_profile_change(&Event::new(EventKind::Other), dir));
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        assert!(is_profile_change(&ev(closed, "/etc/keymapd/a.toml"), dir));
        let read = EventKind::Access(AccessKind::Close(AccessMode::Read));
        assert!(!is_profile_change(&ev(read, "/etc/keymapd/a.toml"), dir));
    }

    #[test]
    fn a_single_profile_file_counts_whatever_its_name() {
        let file = Path::new("/home/me/kb.conf");
        assert!(is_profile_change(&ev(EventKind::Modify(ModifyKind::Any), "/home/me/kb.conf"), file));
        assert!(!is_profile_change(&ev(EventKind::Modify(ModifyKind::Any), "/home/me/notes.txt"), file));
    }
}
