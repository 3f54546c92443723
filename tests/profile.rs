//! Profiles: malformed input gives exact `path:line:col: error: …` messages; device-ID matching.
// Test code: failing loudly is its job (the workspace [lints] deny this elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use keymapd::profile::{bus, DeviceInfo, IdSelector, Match, Profile, ProfileSet, Tie};

/// Every error of `text` parsed as `t.toml`, formatted as `keymapd check` prints them.
fn errors(text: &str) -> Vec<String> {
    match Profile::parse(Path::new("t.toml"), text) {
        Ok(_) => vec![],
        Err(d) => d.iter().map(|d| d.to_string()).collect(),
    }
}

#[test]
fn malformed_profiles_give_exact_messages() {
    let cases: &[(&str, &str)] = &[
        ("ids = [\"*\"]\n[main]\nleftctl = \"leftmeta\"\n", "t.toml:3:1: error: unknown key `leftctl`; did you mean `leftctrl`?"),
        (
            "ids = [\"*\"]\n[main]\ncapslock = \"C-escc\"\n",
            "t.toml:3:12: error: `capslock`: unknown key `escc` in `C-escc`; did you mean `esc`?",
        ),
        (
            "ids = [\"*\"]\n[main]\ncapslock = \"overload(control)\"\n",
            "t.toml:3:12: error: `capslock`: `overload` takes a layer and the tap action: \
             `overload(control, esc)`; got `overload(control)`",
        ),
        (
            "ids = [\"*\"]\n[main]\nf1 = \"command(reboot)\"\n",
            "t.toml:3:6: error: `f1`: `command(reboot)`: command() is off by default: it runs a shell command \
             (as the daemon's user, or in the user's session through its session agent); enable it with \
             `allow_commands = true` in [global]",
        ),
        // Malformed actions: what is wrong, where it is, no misleading `macro(…)` hint.
        (
            "ids = [\"*\"]\n[main]\ncapslock = \"overload(control, esc\"\n",
            "t.toml:3:34: error: `capslock`: missing `)` at the end of `overload(control, esc` (to close `overload(`)",
        ),
        (
            "ids = [\"*\"]\n[main]\ncapslock = \"overload(control, macro(a b)\"\n",
            "t.toml:3:41: error: `capslock`: missing `)` at the end of `overload(control, macro(a b)` (to close \
             `overload(`)",
        ),
        (
            "ids = [\"*\"]\n[main]\ncapslock = \"overload(control, esc))\"\n",
            "t.toml:3:35: error: `capslock`: `)` closes nothing in `overload(control, esc))`; remove it, or add \
             the `(` it closes",
        ),
        (
            "ids = [\"*\"]\n[main]\ncapslock = \"tap-dance(a, b)\"\n",
            "t.toml:3:12: error: `capslock`: unknown action `tap-dance(…)` in `tap-dance(a, b)`; keyd's actions have \
             no tap dance; `timeout(tap, ms, hold)` and `overloadt(…)` choose by time",
        ),
        (
            "ids = [\"*\"]\n[main]\na = \"tap-hold(200, 200, a, lctl)\"\n",
            "t.toml:3:5: error: `a`: unknown action `tap-hold(…)` in `tap-hold(200, 200, a, lctl)`; tap-hold is \
             `overloadt(layer, tap, ms)` (or `overload(layer, tap)`, `lettermod(…)`) here",
        ),
        (
            "ids = [\"*\"]\n[main]\ncapslock = \"over-load(control, esc)\"\n",
            "t.toml:3:12: error: `capslock`: unknown action `over-load(…)` in `over-load(control, esc)`; did you \
             mean `overload(…)`?",
        ),
        // A keyd line pasted unquoted.
        (
            "ids = [\"*\"]\n[main]\ncapslock = overload(control, esc)\n",
            "t.toml:3:12: error: `capslock`: quote the action: `capslock = \"overload(control, esc)\"` (TOML needs \
             strings in quotes)",
        ),
        (
            "ids = [\"*\"]\n[main]\na = b # a comment\n",
            "t.toml:3:5: error: `a`: quote the action: `a = \"b\"` (TOML needs strings in quotes)",
        ),
        (
            "ids = [\"*\"]\n[main]\ncapslock = \"frob(x)\"\n",
            "t.toml:3:12: error: `capslock`: unknown action `frob(…)` in `frob(x)`; the actions are: layer, layerm, \
             oneshot, oneshotm, oneshotk, toggle, togglem, swap, swapm, clear, clearm, setlayout, overload, \
             overloadt, overloadt2, overloadi, lettermod, timeout, macro, macro2, repeat, command, noop",
        ),
        (
            "ids = [\"*\"]\n[main]\ncapslock = \"overlaod(control, esc)\"\n",
            "t.toml:3:12: error: `capslock`: unknown action `overlaod(…)` in `overlaod(control, esc)`; did you \
             mean `overload(…)`?",
        ),
        (
            "ids = [\"usb\", \"046d:c52b\"]\n[main]\n",
            "t.toml:1:8: error: unknown device id `usb`; expected `VVVV:PPPP` (hex vendor:product), \
             `name:<device name or glob>`, `usb:kb`, `bluetooth:kb`, `laptop:kb` or `*`, optionally with a \
             leading `-` to exclude",
        ),
        (
            "[main]\na = \"b\"\n",
            "t.toml:1:1: error: missing `ids`: say which keyboards this profile is for, e.g. `ids = [\"usb:kb\"]` or `ids = [\"*\"]`",
        ),
        (
            "ids = [\"*\"]\nfoo = 1\n[main]\n",
            "t.toml:2:1: error: unknown field `foo`; a profile has `ids = [...]` and sections such as `[main]`",
        ),
        (
            "ids = [\"*\"]\n[main]\ncapslock = \"layer(nva)\"\n[nav]\nh = \"left\"\n",
            "t.toml:3:12: error: `capslock`: unknown layer `nva`; the layers are: control, shift, meta, alt, altgr, nav",
        ),
        ("ids = [\"*\"]\n[main\n", "t.toml:2:6: error: invalid TOML: unclosed table, expected `]`"),
        (
            "ids = [\"*\"]\n[main]\nleftctrl = \"a\"\nleftcontrol = \"b\"\n",
            "t.toml:4:1: error: key `leftcontrol` is bound twice in [main] (also at 3:1 as `leftctrl`)",
        ),
        ("ids = [\"*\"]\n[main]\na = 1\n", "t.toml:3:5: error: the action for `a` must be a string, e.g. `a = \"esc\"`"),
        (
            "ids = [\"*\"]\n[\"nav:X\"]\n",
            "t.toml:2:2: error: bad modifiers `X` in section [nav:X]; use letters C, M, A, S, G joined by `-`",
        ),
        (
            "ids = [\"*\"]\n[\"control+nav\"]\n",
            "t.toml:2:2: error: composite layer [control+nav] names unknown layer `nav`",
        ),
        (
            "ids = [\"*\"]\n[global]\nchord_timout = 10\n",
            "t.toml:3:1: error: unknown setting `chord_timout` in [global]; the settings are: overload_tap_timeout, \
             oneshot_timeout, chord_timeout, chord_hold_timeout, macro_timeout, macro_repeat_timeout, \
             macro_sequence_timeout, disable_modifier_guard, default_layout, allow_commands, hold_shared_keys",
        ),
        (
            "ids = [\"*\"]\n[global]\nchord_timeout = -1\n",
            "t.toml:3:17: error: `chord_timeout` must be a whole number from 0 to 65535",
        ),
        (
            "ids = [\"*\"]\n[global]\ndefault_layout = \"nav\"\n[nav]\n",
            "t.toml:3:18: error: `default_layout`: `nav` is not a layout; declare it as [\"nav:layout\"]",
        ),
        ("ids = [\"*\"]\n[main]\n\"j+j\" = \"esc\"\n", "t.toml:3:1: error: chord `j+j` names `j` twice"),
        (
            "ids = [\"*\"]\n[main]\n\"j+kk\" = \"esc\"\n",
            "t.toml:3:1: error: in chord `j+kk`: unknown key `kk`; did you mean `k`?",
        ),
        (
            "ids = [\"*\"]\n[aliases]\nleftalt = 3\n",
            "t.toml:3:11: error: the alias for `leftalt` must be a name (letters, digits, `_`, `-`), e.g. \
             `leftalt = \"meta\"`",
        ),
        (
            "ids = [\"*\"]\n[main]\nf1 = \"layer(dvorak)\"\n[\"dvorak:layout\"]\n",
            "t.toml:3:6: error: `f1`: `dvorak` is a layout; switch to it with `setlayout(dvorak)`",
        ),
        ("ids = [\"-*\"]\n", "t.toml:1:7: error: `ids` only excludes devices; add what it claims, e.g. `\"*\"`"),
        ("ids = []\n", "t.toml:1:7: error: `ids` is empty: this profile would claim no device"),
        (
            "ids = [\"*\"]\n[\"control:S\"]\n",
            "t.toml:2:2: error: [control] is a built-in modifier layer; its modifiers cannot be changed",
        ),
        ("ids = [\"*\"]\n[main]\n[main]\n", "t.toml:3:2: error: invalid TOML: duplicate key"),
        ("ids = \"*\"\n", "t.toml:1:7: error: `ids` must be an array of strings, e.g. `ids = [\"usb:kb\"]`"),
        (
            "ids = [\"0011:2233:44556677\"]\n",
            "t.toml:1:8: error: unknown device id `0011:2233:44556677`: keyd's `vendor:product:hash` form has no \
             keymapd equivalent; write `0011:2233` (every device with that vendor:product)",
        ),
        (
            "ids = [\"*\"]\n[main]\nS-tab = \"x\"\n",
            "t.toml:3:1: error: `S-tab`: the key of a binding cannot carry modifiers; bind `tab` in [shift], which \
             is active while shift is held",
        ),
        (
            "ids = [\"*\"]\n[main]\ncapslock = \"layer(nav)\"\n[nav]\n\"C-A-h\" = \"x\"\n",
            "t.toml:5:1: error: `C-A-h`: the key of a binding cannot carry modifiers; bind `h` in \
             [\"nav+control+alt\"], which is active while [nav] and control and alt are held",
        ),
        (
            "ids = [\"*\"]\n[\"main+control\"]\n",
            "t.toml:2:2: error: `main` cannot be part of a composite layer: it is always active",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(errors(text), vec![want.to_string()], "for profile:\n{text}");
    }
}

#[test]
fn every_error_of_a_file_is_reported() {
    let e = errors("ids = [\"*\", \"nope\"]\n[main]\nfoo = \"bar\"\nleftctrl = \"baz\"\n");
    assert_eq!(e.len(), 3, "{e:#?}");
}

#[test]
fn valid_profiles_parse() {
    let ok = [
        "ids = [\"*\"]\n",
        "ids = [\"046d:c52b\", \"name:AT Translated Set 2 keyboard\", \"-046d:c077\"]\n[main]\nleftcontrol = \"leftmeta\"\nleftmeta = \"leftcontrol\"\nrightalt = \"rightmeta\"\nrightmeta = \"rightalt\"\ncapslock = \"layer(control)\"\n",
        "ids = [\"usb:kb\"]\n[main]\ncapslock = \"layer(nav)\"\n[\"nav:C-S\"]\nh = \"left\"\n[shift]\nesc = \"grave\"\n",
        "ids = [\"laptop:kb\"]\n[main]\nkpenter = \"!\"\nleftctrl = \"escape\"\n",
        "ids = [\"*\"]\n[global]\nchord_timeout = 30\noverload_tap_timeout = \"200\"\ndisable_modifier_guard = 1\n\
         default_layout = \"dvorak\"\nallow_commands = true\n[\"dvorak:layout\"]\ns = \"o\"\n[\"control+alt\"]\n\
         h = \"left\"\n[aliases]\nleftalt = \"meta\"\n[main]\nmeta = \"oneshot(meta)\"\n\"j+k\" = \"esc\"\n\
         f1 = \"command(echo hi)\"\n",
    ];
    for text in ok {
        assert_eq!(errors(text), Vec::<String>::new(), "for profile:\n{text}");
    }
}

fn kb(name: &str, vendor: u16, product: u16, bustype: u16) -> DeviceInfo {
    DeviceInfo {
        name: name.into(),
        vendor,
        product,
        bustype,
        phys: String::new(),
        is_keyboard: true,
        is_pointer: false,
    }
}

fn set(files: &[(&str, &str)]) -> (tempdir::Dir, Result<ProfileSet, Vec<String>>) {
    let dir = tempdir::Dir::new();
    for (name, text) in files {
        std::fs::write(dir.0.join(name), text).unwrap();
    }
    let r = keymapd::profile_files::load(std::slice::from_ref(&dir.0))
        .map_err(|d| d.iter().map(|d| d.to_string()).collect());
    (dir, r)
}

mod tempdir {
    /// A scratch directory removed on drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let p = std::env::temp_dir().join(format!("keymapd-test-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn claimed_by(set: &ProfileSet, dev: &DeviceInfo) -> Option<String> {
    match set.match_device(dev) {
        Match::Claimed { profile, .. } => Some(set.profiles[profile].name.clone()),
        Match::Unclaimed(_) => None,
    }
}

#[test]
fn selectors_parse_and_fit() {
    let usb = kb("Logitech USB Receiver", 0x046d, 0xc52b, bus::USB);
    let at = kb("AT Translated Set 2 keyboard", 0x0001, 0x0001, bus::I8042);
    let bt = kb("MX Keys", 0x046d, 0xb35b, bus::BLUETOOTH);
    let fits = |s: &str, d: &DeviceInfo| IdSelector::parse(s).unwrap().fits(d);
    assert!(fits("046d:c52b", &usb) && !fits("046d:c52b", &at));
    assert!(fits("046D:C52B", &usb), "hex is case-insensitive");
    assert!(
        fits("name:AT Translated Set 2 keyboard", &at)
            && fits("name:Logitech*", &usb)
            && !fits("name:Logitech", &usb)
    );
    assert!(fits("usb:kb", &usb) && !fits("usb:kb", &at) && !fits("usb:kb", &bt));
    assert!(fits("laptop:kb", &at) && !fits("laptop:kb", &usb));
    assert!(
        fits("laptop:kb", &kb("i2c kbd", 1, 2, bus::I2C))
            && fits("laptop:kb", &kb("spi kbd", 1, 2, bus::SPI))
    );
    assert!(fits("bluetooth:kb", &bt));
    assert!(fits("*", &usb) && fits("*", &at));
    for bad in ["046d:c52", "046d:c52bb", "usb", "usb:mouse", "name:", "", "046d-c52b", "gggg:0000"] {
        assert!(IdSelector::parse(bad).is_err(), "{bad:?} should be rejected");
    }
}

#[test]
fn most_specific_claim_wins_and_exclusions_apply() {
    let (_d, s) = set(&[
        ("a-any.toml", "ids = [\"*\"]\n"),
        ("b-usb.toml", "ids = [\"usb:kb\", \"-046d:c077\"]\n"),
        ("c-name.toml", "ids = [\"name:Logitech*\"]\n"),
        ("d-exact.toml", "ids = [\"046d:c52b\"]\n"),
    ]);
    let s = s.unwrap();
    let name = |d: &DeviceInfo| claimed_by(&s, d);
    assert_eq!(name(&kb("Logitech USB Receiver", 0x046d, 0xc52b, bus::USB)).as_deref(), Some("d-exact"));
    assert_eq!(name(&kb("Logitech K120", 0x046d, 0xc31c, bus::USB)).as_deref(), Some("c-name"));
    assert_eq!(name(&kb("Cherry", 0x046a, 0x0011, bus::USB)).as_deref(), Some("b-usb"));
    // Excluded from usb:kb, so the catch-all takes it.
    assert_eq!(name(&kb("Dell", 0x046d, 0xc077, bus::USB)).as_deref(), Some("a-any"));
    assert_eq!(name(&kb("AT Translated Set 2 keyboard", 1, 1, bus::I8042)).as_deref(), Some("a-any"));
}

#[test]
fn mice_and_non_keyboards_are_never_claimed() {
    let (_d, s) = set(&[("any.toml", "ids = [\"*\", \"046d:c077\"]\n")]);
    let s = s.unwrap();
    let mut mouse = kb("Mouse", 0x046d, 0xc077, bus::USB);
    mouse.is_pointer = true;
    mouse.is_keyboard = false;
    assert_eq!(s.match_device(&mouse), Match::Unclaimed("a pointer device, never grabbed".into()));
    let mut power = kb("Power Button", 0, 1, bus::HOST);
    power.is_keyboard = false;
    assert_eq!(s.match_device(&power), Match::Unclaimed("not a keyboard".into()));
}

/// A keyboard that also moves a pointer (a gaming keyboard, a keyboard with a touchpad) is
/// claimed only by its vendor:product or name:, never by `*` or a class: a mouse that can send
/// keys is never taken by accident.
#[test]
fn keyboards_with_a_pointer_are_claimed_only_by_id_or_name() {
    let mut combo = kb("Gaming Keyboard", 0x1532, 0x0203, bus::USB);
    combo.is_pointer = true;
    let (_d, s) = set(&[("any.toml", "ids = [\"*\", \"usb:kb\"]\n")]);
    let s = s.unwrap();
    assert_eq!(
        s.match_device(&combo),
        Match::Unclaimed(
            "a keyboard with a pointer: claimed only by its vendor:product or name:, never by a class or `*`"
                .into()
        )
    );
    for ids in ["\"1532:0203\"", "\"name:Gaming*\"", "\"*\", \"1532:0203\""] {
        let (_d, s) = set(&[("p.toml", &format!("ids = [{ids}]\n"))]);
        let s = s.unwrap();
        assert_eq!(claimed_by(&s, &combo).as_deref(), Some("p"), "{ids}");
    }
    // Excluded stays excluded.
    let (_d, s) = set(&[("p.toml", "ids = [\"name:Gaming*\", \"-1532:0203\"]\n")]);
    assert_eq!(claimed_by(&s.unwrap(), &combo), None);
}

#[test]
fn ties_are_errors() {
    let (d, s) = set(&[
        ("one.toml", "ids = [\"usb:kb\"]\n"),
        ("two.toml", "# second\nids = [\"laptop:kb\", \"usb:kb\"]\n"),
    ]);
    let errs = s.err().expect("a tie is an error");
    let two = d.0.join("two.toml");
    let one = d.0.join("one.toml");
    assert_eq!(
        errs,
        vec![format!(
            "{}:2:21: error: `usb:kb` is also claimed by {} at the same specificity: a device it fits would \
             have two profiles; narrow one of them (see `keymapd list` for device ids)",
            two.display(),
            one.display()
        )]
    );
}

#[test]
fn directory_loading_skips_hidden_and_editor_files_and_reports_unreadable_ones() {
    let (d, s) = set(&[
        ("kb.toml", "ids = [\"*\"]\n"),
        (".kb.toml.swp", "garbage"),
        ("kb.toml~", "garbage"),
        ("notes.txt", "garbage"),
    ]);
    assert_eq!(s.unwrap().profiles.len(), 1);
    drop(d);
    let missing = PathBuf::from("/nonexistent/keymapd");
    let e = keymapd::profile_files::load(&[missing]).err().unwrap();
    assert_eq!(
        e[0].to_string(),
        "/nonexistent/keymapd: error: cannot read: No such file or directory (os error 2)"
    );
    let (d, _) = set(&[]);
    std::fs::write(d.0.join("big.toml"), vec![b'#'; 2 << 20]).unwrap();
    let e = keymapd::profile_files::load(std::slice::from_ref(&d.0)).err().unwrap();
    assert!(
        e[0].to_string()
            .ends_with("error: file too large (2097152 bytes; a profile may have at most 1048576)"),
        "{e:?}"
    );
    std::fs::remove_file(d.0.join("big.toml")).unwrap();
    std::fs::write(d.0.join("bad.toml"), b"ids = [\"*\"]\n# \xff\n").unwrap();
    let e = keymapd::profile_files::load(std::slice::from_ref(&d.0)).err().unwrap();
    assert!(e[0].to_string().ends_with("bad.toml:2:3: error: not valid UTF-8"), "{e:?}");
}

#[test]
fn the_example_profiles_are_valid() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let s = keymapd::profile_files::load(&[dir]).unwrap_or_else(|e| panic!("{e:?}"));
    let names: Vec<&str> = s.profiles.iter().map(|p| p.name.as_str()).collect();
    assert!(names.contains(&"laptop") && names.contains(&"usb-keyboard"), "{names:?}");
    assert!(s.warnings.is_empty());
    let at = kb("AT Translated Set 2 keyboard", 1, 1, bus::I8042);
    let usb = kb("Some USB keyboard", 0x1234, 0x5678, bus::USB);
    assert_eq!(claimed_by(&s, &at).as_deref(), Some("laptop"));
    assert_eq!(claimed_by(&s, &usb).as_deref(), Some("usb-keyboard"));
}

/// The warnings of a valid profile, as `line:col: warning: …` (without the path).
fn warnings(text: &str) -> Vec<String> {
    let (_, w) = Profile::parse(Path::new("w.toml"), text).unwrap_or_else(|e| panic!("invalid: {e:?}"));
    w.iter().map(|d| d.to_string().trim_start_matches("w.toml:").to_owned()).collect()
}

#[test]
fn buttons_no_virtual_device_can_emit_are_warned_about_with_their_binding() {
    let head = "ids = [\"*\"]\n[main]\n";
    // Mouse buttons go out on the virtual pointer: no warning.
    assert!(warnings(&format!("{head}a = \"leftmouse\"\nb = \"macro(rightmouse)\"\n")).is_empty());
    let w = warnings(&format!("{head}a = \"btn_south\"\n"));
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].starts_with("3:5: warning: `a`: `"), "{w:?}");
    assert!(w[0].contains("cannot emit"), "{w:?}");
    // Found inside nested actions and macros too.
    assert_eq!(warnings(&format!("{head}capslock = \"overload(control, btn_trigger)\"\n")).len(), 1);
    assert_eq!(warnings(&format!("{head}f1 = \"macro(a btn_thumb)\"\n")).len(), 1);
    assert_eq!(warnings(&format!("{head}\"j+k\" = \"btn_south\"\n")).len(), 1);
}

#[test]
fn a_keymap_knows_whether_it_emits_mouse_buttons() {
    let emits = |body: &str| {
        let text = format!("ids = [\"*\"]\n{body}");
        let (p, _) = Profile::parse(Path::new("m.toml"), &text).unwrap_or_else(|e| panic!("{e:?}"));
        p.keymap.emits_any(keymapd::keys::Key::is_mouse_button)
    };
    assert!(!emits("[main]\ncapslock = \"esc\"\n"));
    assert!(emits("[main]\nrightalt = \"leftmouse\"\n"));
    assert!(emits("[nav]\nj = \"C-rightmouse\"\n"));
    assert!(emits("[main]\ncapslock = \"overload(control, middlemouse)\"\n"));
    assert!(emits("[main]\nf1 = \"macro(a leftmouse)\"\n"));
    assert!(emits("[main]\n\"j+k\" = \"leftmouse\"\n"));
    assert!(emits("[main]\nf2 = \"timeout(a, 200, leftmouse)\"\n"));
}

/// Each class selector claims exactly its buses: `laptop:kb` the built-in keyboard's (i8042/serio,
/// I2C, SPI and the platform bus BUS_HOST, e.g. a Chromebook's EC keyboard), `usb:kb` USB only,
/// `bluetooth:kb` Bluetooth only; none of them a virtual (uinput) or any other bus.
#[test]
fn class_selectors_cover_exactly_their_buses() {
    // Bus numbers of input.h beyond those `bus` names: PCI, RS232, gameport, parport, ADB, HIL.
    let others = [0x01u16, 0x13, 0x14, 0x15, 0x17, 0x1A];
    let all: Vec<u16> = [bus::USB, bus::BLUETOOTH, bus::VIRTUAL, bus::I8042, bus::I2C, bus::HOST, bus::SPI]
        .into_iter()
        .chain(others)
        .collect();
    let table: [(&str, &[u16]); 3] = [
        ("laptop:kb", &[bus::I8042, bus::I2C, bus::SPI, bus::HOST]),
        ("usb:kb", &[bus::USB]),
        ("bluetooth:kb", &[bus::BLUETOOTH]),
    ];
    for (sel, covered) in table {
        let s = IdSelector::parse(sel).unwrap();
        for &b in &all {
            let dev = kb("some keyboard", 0x1234, 0x5678, b);
            assert_eq!(s.fits(&dev), covered.contains(&b), "{sel} on bus {b:#04x}");
        }
    }
    // Through a profile set, as the daemon asks: a platform (BUS_HOST) keyboard is the laptop's.
    let (_d, s) = set(&[
        ("laptop.toml", "ids = [\"laptop:kb\"]\n"),
        ("usb.toml", "ids = [\"usb:kb\"]\n"),
        ("bt.toml", "ids = [\"bluetooth:kb\"]\n"),
    ]);
    let s = s.unwrap();
    let by = |b: u16| claimed_by(&s, &kb("cros_ec", 0, 0, b));
    assert_eq!(by(bus::HOST).as_deref(), Some("laptop"));
    assert_eq!(by(bus::I8042).as_deref(), Some("laptop"));
    assert_eq!(by(bus::I2C).as_deref(), Some("laptop"));
    assert_eq!(by(bus::SPI).as_deref(), Some("laptop"));
    assert_eq!(by(bus::USB).as_deref(), Some("usb"));
    assert_eq!(by(bus::BLUETOOTH).as_deref(), Some("bt"));
    assert_eq!(by(bus::VIRTUAL), None, "a virtual keyboard is no class's");
    for b in others {
        assert_eq!(by(b), None, "bus {b:#04x}");
    }
    // A platform device that is not a keyboard (the power button) stays unclaimed.
    let mut power = kb("Power Button", 0, 1, bus::HOST);
    power.is_keyboard = false;
    assert_eq!(claimed_by(&s, &power), None);
}

/// Two different `name:` globs of two profiles both fitting one device: `check` cannot know
/// (it refuses only identical selectors), so the match says which other profile tied, for the
/// daemon's log and `keymapd list`. The earlier file still wins; something more specific ends
/// the tie.
#[test]
fn overlapping_selectors_of_equal_specificity_report_the_tie() {
    let (_d, s) = set(&[
        ("a-logi.toml", "ids = [\"name:Logitech*\"]\n"),
        ("b-k120.toml", "ids = [\"name:*K120\"]\n"),
        ("c-any.toml", "ids = [\"*\"]\n"),
    ]);
    let s = s.expect("different selectors are not an error");
    let k120 = kb("Logitech K120", 0x046d, 0xc31c, bus::USB);
    assert_eq!(
        s.match_device(&k120),
        Match::Claimed {
            profile: 0,
            selector: "name:Logitech*".into(),
            tied_with: Some(Tie { profile: 1, selector: "name:*K120".into() })
        }
    );
    // Only one glob fits: no tie (the catch-all is less specific, not a tie).
    let other = kb("Logitech K400", 0x046d, 0x4024, bus::USB);
    assert_eq!(
        s.match_device(&other),
        Match::Claimed { profile: 0, selector: "name:Logitech*".into(), tied_with: None }
    );
    let cherry = kb("Cherry", 0x046a, 0x0011, bus::USB);
    assert_eq!(s.match_device(&cherry), Match::Claimed { profile: 2, selector: "*".into(), tied_with: None });

    // A vendor:product claim, more specific, wins over both globs, and the tie is gone.
    let (_d, s) = set(&[
        ("a-logi.toml", "ids = [\"name:Logitech*\"]\n"),
        ("b-k120.toml", "ids = [\"name:*K120\"]\n"),
        ("z-exact.toml", "ids = [\"046d:c31c\"]\n"),
    ]);
    assert_eq!(
        s.unwrap().match_device(&k120),
        Match::Claimed { profile: 2, selector: "046d:c31c".into(), tied_with: None }
    );
    // A less specific claim first does not hide a tie between the later, more specific ones.
    let (_d, s) = set(&[
        ("a.toml", "ids = [\"usb:kb\"]\n"),
        ("b.toml", "ids = [\"name:Logitech*\"]\n"),
        ("c.toml", "ids = [\"name:*K120\"]\n"),
    ]);
    assert_eq!(
        s.unwrap().match_device(&k120),
        Match::Claimed {
            profile: 1,
            selector: "name:Logitech*".into(),
            tied_with: Some(Tie { profile: 2, selector: "name:*K120".into() })
        }
    );
}

/// A table no action can reach is a layer that never takes effect. If its name is close to one
/// keymapd gives a meaning to, it is taken for a typo of that name: an error.
#[test]
fn unreachable_tables_named_like_reserved_sections_are_errors() {
    let head = "ids = [\"*\"]\n[main]\ncapslock = \"layer(nav)\"\n[nav]\nh = \"left\"\n";
    let cases: &[(&str, &str)] = &[
        ("[alias]\nleftalt = \"meta\"\n", "[alias]; did you mean [aliases]?"),
        ("[Main]\na = \"b\"\n", "[Main]; did you mean [main]?"),
        ("[MAIN]\n", "[MAIN]; did you mean [main]?"),
        ("[globl]\nchord_timeout = \"10\"\n", "[globl]; did you mean [global]?"),
        ("[Global]\n", "[Global]; did you mean [global]?"),
        ("[aliasses]\n", "[aliasses]; did you mean [aliases]?"),
        ("[contrl]\nj = \"down\"\n", "[contrl]; did you mean [control]?"),
        ("[Shift]\n", "[Shift]; did you mean [shift]?"),
        ("[shfit]\n", "[shfit]; did you mean [shift]?"),
        ("[mata]\n", "[mata]; did you mean [meta]?"),
        ("[atl]\n", "[atl]; did you mean [alt]?"),
        ("[altgt]\n", "[altgt]; did you mean [altgr]?"),
        ("[\"Meta:C\"]\n", "[Meta:C]; did you mean [meta]?"),
        ("[id]\n", "[id]; did you mean `ids = [...]`?"),
    ];
    for (table, want) in cases {
        let text = format!("{head}{table}");
        assert_eq!(errors(&text), vec![format!("t.toml:6:2: error: unknown section {want}")], "for:\n{text}");
    }
    // Other errors of the file are still reported, before it.
    assert_eq!(
        errors("ids = [\"*\"]\n[main]\na = \"nokey\"\n[globl]\nchord_timeout = 10\n"),
        [
            "t.toml:3:5: error: `a`: unknown key `nokey`",
            "t.toml:4:2: error: unknown section [globl]; did you mean [global]?"
        ]
    );
    // Activated by an action, a near name is a layer that was meant: its bindings are judged.
    assert_eq!(
        errors("ids = [\"*\"]\n[main]\na = \"layer(Main)\"\n[Main]\nb = \"nokey\"\n"),
        ["t.toml:5:5: error: `b`: unknown key `nokey`"]
    );
}

#[test]
fn unreachable_layers_are_warnings_with_their_position() {
    let w = |body: &str| warnings(&format!("ids = [\"*\"]\n{body}"));
    assert_eq!(w("[nav_]\nh = \"left\"\n"), ["2:2: warning: layer `nav_` is never activated by any action"]);
    // Names far from any reserved one are only warned about, however short or long.
    assert_eq!(w("[data]\n"), ["2:2: warning: layer `data` is never activated by any action"]);
    assert_eq!(w("[symbols]\n"), ["2:2: warning: layer `symbols` is never activated by any action"]);
    assert_eq!(w("[x]\n"), ["2:2: warning: layer `x` is never activated by any action"]);
    // Activated only from a layer that is itself never active: never active either.
    assert_eq!(
        w("[nav]\ns = \"layer(sym)\"\n[sym]\n"),
        [
            "2:2: warning: layer `nav` is never activated by any action",
            "4:2: warning: layer `sym` is never activated: only `nav` activates it, and nothing activates that layer",
        ]
    );
    assert_eq!(
        w("[\"dvorak:layout\"]\ns = \"o\"\n"),
        ["2:2: warning: layout `dvorak` is never made current: no action does `setlayout(dvorak)` and it is \
          not the `default_layout`"]
    );
    assert_eq!(
        w("[nav]\n[\"control+nav\"]\nh = \"left\"\n"),
        [
            "2:2: warning: layer `nav` is never activated by any action",
            "3:2: warning: composite layer [control+nav] is never active: its part `nav` is never activated",
        ]
    );
    // `keymapd check` still accepts the profile (tests/cli.rs checks its exit code).
}

/// Unreferenced-looking sections that are fine, and get no warning: each can be active.
#[test]
fn layers_reachable_by_keyd_rules_get_no_warning() {
    let fine = [
        // Built-in modifier layers: the modifier keys themselves (and keys mapped to them).
        "[control]\nj = \"down\"\n[shift]\nesc = \"grave\"\n[meta]\n[alt]\n[altgr]\n",
        // A composite of built-in layers (control+alt is held by the real keys).
        "[\"control+alt\"]\nh = \"left\"\n",
        // A composite of reachable layers.
        "[main]\ncapslock = \"layer(nav)\"\n[nav]\n[\"nav+shift\"]\nh = \"S-left\"\n",
        // Reached through nested actions: an overload's tap, a timeout's branch, overloadi.
        "[main]\na = \"overload(control, toggle(nav))\"\n[nav]\n",
        "[main]\nf = \"timeout(f, 300, layer(nav))\"\n[nav]\n",
        "[main]\nj = \"overloadi(j, overloadt2(nav, j, 200), 150)\"\n[nav]\n",
        "[main]\ns = \"lettermod(nav, s, 150, 200)\"\n[nav]\n",
        // Each layer action, and the m/k variants.
        "[main]\na = \"layerm(nav, C-x)\"\nb = \"oneshotm(n2, x)\"\nc = \"oneshotk(n3, tab)\"\nd = \"togglem(n4, x)\"\n\
         e = \"oneshot(n5)\"\nf = \"overloadt(n6, f, 200)\"\n[nav]\n[n2]\n[n3]\n[n4]\n[n5]\n[n6]\n",
        // A swap target, from a reachable layer; swapm too.
        "[main]\ncapslock = \"layer(nav)\"\n[nav]\ns = \"swap(sym)\"\nt = \"swapm(num, x)\"\n[sym]\n[num]\n",
        // A modifier layer named by an action.
        "[main]\ncapslock = \"layer(nav)\"\n[\"nav:C-S\"]\nh = \"left\"\n",
        // A chord's action.
        "[main]\n\"j+k\" = \"layer(nav)\"\n[nav]\n",
        // Layouts: the default one, and one that setlayout() names.
        "[global]\ndefault_layout = \"dvorak\"\n[\"dvorak:layout\"]\n[main]\nf1 = \"setlayout(colemak)\"\n\
         [\"colemak:layout\"]\n",
        // Reached from a layout's binding (a current layout is active).
        "[global]\ndefault_layout = \"dv\"\n[\"dv:layout\"]\ncapslock = \"layer(nav)\"\n[nav]\n",
        // A name close to a reserved one is fine when an action activates it: it is meant.
        "[main]\ncapslock = \"layer(Main)\"\n[Main]\n",
        // Cycles between reachable layers.
        "[main]\ncapslock = \"layer(a)\"\n[a]\nx = \"layer(b)\"\n[b]\nx = \"toggle(a)\"\n",
    ];
    for body in fine {
        let text = format!("ids = [\"*\"]\n{body}");
        assert_eq!(warnings(&text), Vec::<String>::new(), "for profile:\n{text}");
    }
}

#[test]
fn application_layer_sections_give_exact_messages() {
    let cases: &[(&str, &str)] = &[
        (
            "ids = [\"*\"]\n[\"app:\"]\n",
            "t.toml:2:2: error: [app:]: `app:` needs an application id or a glob, e.g. \
             [\"app:org.gnome.Terminal\"] or [\"app:org.gnome.*\"]",
        ),
        (
            "ids = [\"*\"]\n[\"meta+app:\"]\n",
            "t.toml:2:2: error: [meta+app:]: `app:` needs an application id or a glob, e.g. \
             [\"app:org.gnome.Terminal\"] or [\"app:org.gnome.*\"]",
        ),
        (
            "ids = [\"*\"]\n[\"app:[abc\"]\n",
            "t.toml:2:2: error: bad application pattern `[abc` in [app:[abc]: invalid range pattern",
        ),
        (
            "ids = [\"*\"]\n[\"app:kitty+meta\"]\n",
            "t.toml:2:2: error: [app:kitty+meta]: an application pattern cannot contain `+`; in a composite \
             layer the application comes last (`meta+app:kitty`)",
        ),
        (
            "ids = [\"*\"]\n[\"meta+app:a+app:b\"]\n",
            "t.toml:2:2: error: [meta+app:a+app:b]: an application pattern cannot contain `+`; in a composite \
             layer the application comes last (`meta+app:kitty`)",
        ),
        (
            "ids = [\"*\"]\n[\"app:kit\\tty\"]\n",
            "t.toml:2:2: error: [app:kit\\tty]: an application pattern cannot contain tabs or line breaks",
        ),
        (
            "ids = [\"*\"]\n[\"nav+app:kitty\"]\n",
            "t.toml:2:2: error: composite layer [nav+app:kitty] names unknown layer `nav`",
        ),
        (
            "ids = [\"*\"]\n[\"main+app:kitty\"]\n",
            "t.toml:2:2: error: `main` cannot be part of a composite layer: it is always active",
        ),
        (
            "ids = [\"*\"]\n[\"bad name+app:kitty\"]\n",
            "t.toml:2:2: error: bad composite layer name `bad name+app:kitty`; join layer names with `+`, the \
             application last (`meta+app:org.gnome.Terminal`)",
        ),
        (
            "ids = [\"*\"]\n[main]\ncapslock = \"layer(app:kitty)\"\n[\"app:kitty\"]\n",
            "t.toml:3:12: error: `capslock`: `app:kitty` is an application layer: it is active while that \
             application has the focus, and cannot be activated by a key",
        ),
        (
            "ids = [\"*\"]\n[main]\nf1 = \"setlayout(app:kitty)\"\n[\"app:kitty\"]\n",
            "t.toml:3:6: error: `f1`: `app:kitty` is an application layer, not a layout: it is active while \
             that application has the focus",
        ),
        (
            "ids = [\"*\"]\n[global]\ndefault_layout = \"app:kitty\"\n[\"app:kitty\"]\n",
            "t.toml:3:18: error: `default_layout`: `app:kitty` is an application layer, not a layout",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(errors(text), vec![want.to_string()], "for profile:\n{text}");
    }
    // Valid: no error and no warning (the focus activates an application layer; a composite
    // with one needs no section of its own for it).
    let ok =
        "ids = [\"*\"]\n[\"app:org.gnome.*\"]\na = \"b\"\n[\"meta+app:org.gnome.Terminal\"]\nc = \"C-S-c\"\n\
              [\"control+alt+app:kitty\"]\nx = \"y\"\n";
    let (_, warnings) = Profile::parse(Path::new("t.toml"), ok).expect("valid");
    assert!(warnings.is_empty(), "{warnings:?}");
}
