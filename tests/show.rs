//! `keymapd show`: the command line end to end, and the drawing over every profile of the fuzz
//! corpus (no panic, 100 columns, one SVG keyboard per layer).
// Test code: failing loudly is its job (the workspace [lints] deny this elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use keymapd::profile::Profile;
use keymapd::show;

fn keymapd(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_keymapd"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn show_draws_every_layer_and_the_legend() {
    let (code, out, err) = keymapd(&["show", "tests/show/nav.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("[main]\n┌───┐"), "{out}");
    assert!(out.contains("\n[nav]\n"), "{out}");
    assert!(out.contains("  capslock = overload(control, esc)\n"), "{out}");
    assert!(out.contains("  j+k = esc (chord)\n"), "{out}");
    assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
}

#[test]
fn show_svg_writes_a_file_or_standard_output() {
    let dir = std::env::temp_dir().join(format!("keymapd-show-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("nav.svg");
    let (code, out, err) = keymapd(&["show", "tests/show/nav.toml", "--svg", file.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let svg = std::fs::read_to_string(&file).unwrap();
    assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<g class=\"layer\"").count(), 2);
    let (code, out, _) = keymapd(&["show", "tests/show/nav.toml", "--layer", "nav", "--svg", "-"]);
    assert_eq!(code, 0);
    assert_eq!(out.matches("<g class=\"layer\"").count(), 1);
    assert_eq!(out.matches("class=\"key mapped\"").count(), 4);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn show_refuses_bad_input_with_a_message() {
    let (code, _, err) = keymapd(&["show", "tests/show/nav.toml", "--layer", "nva"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("tests/show/nav.toml: no layer `nva` in this profile")
            && err.contains("did you mean `nav`?"),
        "{err}"
    );
    let (code, _, err) = keymapd(&["show", "tests/show/nosuch.toml"]);
    assert_eq!(code, 1);
    assert!(err.contains("nosuch.toml"), "{err}");
    let (code, _, err) = keymapd(&["show", "tests/show/nav.toml", "--svg", "/nonexistent/dir/x.svg"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot write /nonexistent/dir/x.svg"), "{err}");
    let (code, _, _) = keymapd(&["show"]);
    assert_eq!(code, 2, "a missing PROFILE is a usage error");
}

#[test]
fn every_corpus_profile_draws_in_100_columns_one_svg_keyboard_per_layer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/profile_parse");
    let mut drawn = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let Ok((profile, _)) = Profile::parse(&path, &text) else { continue };
        let views = show::layers(&profile.keymap, None).unwrap();
        let t = show::text(&views);
        assert!(t.lines().all(|l| l.chars().count() <= show::TEXT_WIDTH), "{}:\n{t}", path.display());
        let svg = show::svg(&profile.name, &views);
        assert_eq!(svg.matches("<g class=\"layer\"").count(), views.len(), "{}", path.display());
        drawn += 1;
    }
    assert!(drawn >= 10, "only {drawn} corpus profiles parsed");
}
