//! `keymapd import-keyd`: keyd configs (tests/keyd-examples, written in keyd's syntax) convert to
//! profiles `keymapd check` accepts, say what they cannot convert, and behave as in keyd.
// Test code: failing loudly is its job (the workspace [lints] deny this elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keymapd_testkit::sim as common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use keymapd::import_keyd::convert;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn keymapd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keymapd")).args(args).current_dir(root()).output().expect("keymapd runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("tests/keyd-examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf" || e == "cfg"))
        .collect();
    v.sort();
    v
}

/// Converts an example through the library (includes resolved next to it).
fn converted(name: &str) -> keymapd::import_keyd::Converted {
    let path = root().join("tests/keyd-examples").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let dir = path.parent().unwrap().to_owned();
    convert(&path, &text, &|f| std::fs::read_to_string(dir.join(f)).ok()).unwrap()
}

#[test]
fn every_example_converts_into_a_profile_check_accepts() {
    let out = std::env::temp_dir().join(format!("keymapd-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let files = examples();
    assert!(files.len() >= 10, "{files:?}");
    let mut args = vec!["import-keyd", "-o", out.to_str().unwrap()];
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    let r = keymapd(&args);
    assert!(r.status.success(), "{}", text(&r.stderr));
    for f in &files {
        let toml = out.join(f.with_extension("toml").file_name().unwrap());
        let r = keymapd(&["check", toml.to_str().unwrap()]);
        assert!(r.status.success(), "{}: {}", toml.display(), text(&r.stderr));
        assert_eq!(text(&r.stderr), "", "{} converts with warnings", f.display());
    }
    // Existing files are kept, and named; --force overwrites them.
    let first = out.join(files[0].with_extension("toml").file_name().unwrap());
    std::fs::write(&first, "# mine\n").unwrap();
    let r = keymapd(&["import-keyd", "-o", out.to_str().unwrap(), files[0].to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        text(&r.stderr).contains(&format!(
            "{}: error: exists already, kept as it is (--force overwrites it)",
            first.display()
        )),
        "{}",
        text(&r.stderr)
    );
    assert_eq!(std::fs::read_to_string(&first).unwrap(), "# mine\n");
    let r = keymapd(&["import-keyd", "--force", "-o", out.to_str().unwrap(), files[0].to_str().unwrap()]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(std::fs::read_to_string(&first).unwrap().starts_with("# Converted from"));
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn what_cannot_be_converted_is_said() {
    let r = keymapd(&["import-keyd", "tests/keyd-examples/everything.conf"]);
    assert!(r.status.success());
    assert_eq!(
        text(&r.stderr),
        "tests/keyd-examples/everything.conf: note: command() is enabled (`allow_commands = true`): keymapd \
         runs commands as its own unprivileged user, not as root like keyd\n\
         tests/keyd-examples/everything.conf:4: note: cannot convert id `m:046d:c077`: keymapd never claims mice\n\
         tests/keyd-examples/everything.conf:16: note: cannot convert `layer_indicator`: keymapd does not drive LEDs\n"
    );
    let toml = text(&r.stdout);
    // A character outside ASCII converts: keymapd types it as keyd does (compose sequences).
    assert!(toml.contains("\ninsert = \"✓\"\n"), "{toml}");
    // The include was inlined.
    assert!(toml.contains("[nav]\nh = \"left\"\nl = \"right\"\nj = \"down\""), "{toml}");
}

#[test]
fn a_small_config_converts_exactly() {
    let c = converted("capslock-esc.conf");
    assert_eq!(c.name, "capslock-esc");
    assert!(c.notes.is_empty());
    let toml = c.toml.split_once('\n').unwrap().1; // after the "Converted from" line
    assert_eq!(
        toml,
        "ids = [\n    \"*\",\n]\n\n[main]\ncapslock = \"overload(control, esc)\"\nesc = \"capslock\"\n"
    );
}

#[test]
fn converted_profiles_behave_as_in_keyd() {
    let vim = converted("vim-arrows.conf").toml;
    assert_eq!(
        common::sim(&vim, "capslock down, capslock up"),
        "leftcontrol down, leftcontrol up, esc down, esc up"
    );
    assert_eq!(
        common::sim(&vim, "capslock down, c down, c up, space down, space up, j down, j up, capslock up"),
        "leftcontrol down, c down, c up, leftcontrol up, down down, down up, leftcontrol down, leftcontrol up"
    );
    let sim = converted("simlayer.conf").toml;
    assert_eq!(common::sim(&sim, "delete down, 50ms, delete up"), "delete down, delete up");
    assert_eq!(
        common::sim(&sim, "delete down, 1 down, 1 up, delete up"),
        "leftmeta down, pageup down, pageup up, leftmeta up"
    );
    let carousel = converted("carousel.conf").toml;
    assert_eq!(
        common::sim(
            &carousel,
            "space down, 150ms, q down, q up, rightshift down, rightshift up, q down, q up, space up"
        ),
        "1 down, 1 up, leftshift down, leftshift up, f1 down, f1 up"
    );
    let mac = converted("mac-like.conf").toml;
    assert_eq!(
        common::sim(&mac, "leftalt down, c down, c up, leftalt up"),
        "leftcontrol down, insert down, insert up, leftcontrol up"
    );
    let chromebook = converted("chromebook.conf").toml;
    assert_eq!(
        common::sim(
            &chromebook,
            "leftcontrol down, leftalt down, f2 down, f2 up, leftalt up, leftcontrol up"
        ),
        "leftcontrol down, leftalt down, f2 down, f2 up, leftalt up, leftcontrol up"
    );
    assert_eq!(common::sim(&chromebook, "f8 down, f8 up"), "mute down, mute up");
}

/// Not keyd's format, or nothing converted: exit 1, saying what the file looks like.
#[test]
fn what_is_not_a_keyd_config_or_converts_to_nothing_fails() {
    let dir = std::env::temp_dir().join(format!("keymapd-import-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let cases: &[(&str, &str, &str)] = &[
        (
            "hello.conf",
            "hello world\n",
            "error: this is not a keyd config: it has no `[section]` header and no `key = action` line\n",
        ),
        (
            "profile.conf",
            "ids = [\"*\"]\n[main]\ncapslock = \"esc\"\n",
            "error: this looks like a keymapd profile (TOML), not a keyd config: it needs no conversion; check it \
             with `keymapd check`\n",
        ),
        (
            "only-bad.conf",
            "[ids]\n*\n[main]\na = frobnicate(b)\n",
            "error: no binding converted (see the notes above); nothing written\n",
        ),
    ];
    for (name, body, want) in cases {
        let f = dir.join(name);
        std::fs::write(&f, body).unwrap();
        let r = keymapd(&["import-keyd", f.to_str().unwrap()]);
        assert_eq!(r.status.code(), Some(1), "{name}: {}", text(&r.stderr));
        assert!(
            text(&r.stderr).ends_with(&format!("{}: {want}", f.display())),
            "{name}: {}",
            text(&r.stderr)
        );
        assert_eq!(text(&r.stdout), "", "{name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mouse_ids_and_layer_indicator_are_commented_out_with_their_reason() {
    let r = keymapd(&["import-keyd", "tests/keyd-examples/everything.conf"]);
    let toml = text(&r.stdout);
    assert!(
        toml.contains("# keymapd cannot convert this: keymapd never claims mice\n#     \"m:046d:c077\",\n"),
        "{toml}"
    );
    assert!(
        toml.contains(
            "# keymapd cannot convert this: keymapd does not drive LEDs\n# layer_indicator = \"1\"\n"
        ),
        "{toml}"
    );
}

#[test]
fn help_says_a_directory_is_accepted() {
    let r = keymapd(&["import-keyd", "--help"]);
    assert!(text(&r.stdout).contains("<FILE.conf|DIR>..."), "{}", text(&r.stdout));
}

#[test]
fn a_config_without_ids_fails() {
    let e = convert(Path::new("x.conf"), "[main]\na = b\n", &|_| None).err().unwrap();
    assert_eq!(e, "cannot convert: `ids` is empty: this profile would claim no device");
    let r = keymapd(&["import-keyd", "/nonexistent/keyd.conf"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(text(&r.stderr).starts_with("/nonexistent/keyd.conf: error: cannot read"));
}

#[test]
fn a_directory_stands_for_its_configs_and_ties_are_pointed_out() {
    let r = keymapd(&["import-keyd", "tests/keyd-examples"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let out = text(&r.stdout);
    assert_eq!(out.matches("# ==> ").count(), examples().len(), "{out}");
    assert!(out.starts_with("# ==> capslock-esc.toml <==\n"), "{out}");
    assert!(
        text(&r.stderr).contains(
            "tests/keyd-examples/carousel.conf: note: `*` is also claimed by capslock-esc.toml; `keymapd check` \
             refuses two profiles claiming the same way: narrow one of them"
        ),
        "{}",
        text(&r.stderr)
    );
}

/// A keyd layer that nothing activates converts as it is, with the warning as a note; one named
/// like a reserved section (`[Main]`) is refused by the parser and so commented out, with a note.
#[test]
fn unreachable_layers_convert_with_a_note() {
    let c = convert(Path::new("u.conf"), "[ids]\n*\n[main]\na = b\n[unused]\nh = left\n", &|_| None).unwrap();
    assert!(c.toml.contains("\n[unused]\nh = \"left\"\n"), "{}", c.toml);
    assert_eq!(
        c.notes,
        [keymapd::import_keyd::Note {
            line: 5,
            message: "layer `unused` is never activated by any action".into()
        }]
    );
    let c = convert(Path::new("u.conf"), "[ids]\n*\n[main]\na = b\n[Main]\nh = left\n", &|_| None).unwrap();
    assert!(c.toml.contains("# [Main]\n"), "{}", c.toml);
    assert_eq!(c.notes.len(), 1, "{:?}", c.notes);
    assert_eq!(c.notes[0].line, 5);
    assert!(c.notes[0].message.contains("unknown section [Main]; did you mean [main]?"), "{:?}", c.notes);
}

/// The features of keyd's own examples that the importer once refused, each in a config of
/// ours: a layout inside a composite (`[ara+control]`), keyd 2.5's three-part ids, keyd 1.x
/// files without [ids] and [main].
#[test]
fn keyd_features_of_its_own_examples_convert_and_behave() {
    let lc = converted("layout-composite.conf");
    assert!(lc.notes.is_empty(), "{:?}", lc.notes);
    assert!(lc.toml.contains("[\"swapped+control\"]\nq = \"C-q\"\n"), "{}", lc.toml);
    // The layout (from the included file) is current; control keeps the printed letter.
    assert_eq!(common::sim(&lc.toml, "q down, q up"), "w down, w up");
    assert_eq!(
        common::sim(&lc.toml, "leftcontrol down, q down, q up, leftcontrol up"),
        "leftcontrol down, q down, q up, leftcontrol up"
    );
    assert_eq!(
        common::sim(&lc.toml, "leftshift down, q down, q up, leftshift up"),
        "leftshift down, w down, w up, leftshift up"
    );

    let h = converted("hashed-id.conf");
    assert!(h.toml.contains("ids = [\n    \"1a2b:3c4d\",\n    \"-1a2b:9999\",\n]\n"), "{}", h.toml);
    assert_eq!(h.notes.iter().map(|n| n.line).collect::<Vec<_>>(), [4, 5], "{:?}", h.notes);
    let p = common::profile(&h.toml);
    let dev = |product| keymapd::profile::DeviceInfo {
        name: "Some keyboard".into(),
        vendor: 0x1a2b,
        product,
        bustype: keymapd::profile::bus::USB,
        is_keyboard: true,
        ..Default::default()
    };
    assert!(p.claims(&dev(0x3c4d)).is_some() && p.claims(&dev(0x9999)).is_none());

    let l = converted("legacy.cfg");
    assert!(l.toml.contains("ids = [\n    \"name:legacy\",\n]\n\n[main]\ncapslock = "), "{}", l.toml);
    assert_eq!(l.notes.iter().map(|n| n.line).collect::<Vec<_>>(), [0, 3], "{:?}", l.notes);
    assert_eq!(
        common::sim(&l.toml, "capslock down, capslock up"),
        "leftcontrol down, leftcontrol up, esc down, esc up"
    );
    assert_eq!(
        common::sim(&l.toml, "capslock down, u down, u up, capslock up"),
        "leftcontrol down, leftcontrol up, pageup down, pageup up, leftcontrol down, leftcontrol up"
    );
}
