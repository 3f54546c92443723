//! One source of truth for the reference: README's tables and the man pages are rendered from
//! `keymapd::reference` (and the clap definition), and must not drift from it. Run with
//! `KEYMAPD_BLESS=1` to rewrite README's tables and `docs/man/` from the source.
// Test code: failing loudly is its job (the workspace [lints] deny this elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use keymapd::reference::{self, TABLES};

fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn bless() -> bool {
    std::env::var_os("KEYMAPD_BLESS").is_some()
}

/// Compares `file` with `want`; with KEYMAPD_BLESS set, writes `want` into it instead.
fn same_or_bless(rel: &str, want: &str) -> Result<(), String> {
    let p = path(rel);
    let have = std::fs::read_to_string(&p).unwrap_or_default();
    if have == want {
        return Ok(());
    }
    if bless() {
        std::fs::write(&p, want).unwrap();
        return Ok(());
    }
    let line = have.lines().zip(want.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
    Err(format!("{rel} is not what the source renders (first difference near line {line}); run `KEYMAPD_BLESS=1 cargo test --test docs` and commit"))
}

#[test]
fn readme_tables_are_rendered_from_the_reference() {
    let mut text = std::fs::read_to_string(path("README.md")).unwrap();
    let mut errors = Vec::new();
    for t in TABLES {
        let begin = format!("<!-- table:{}:begin -->\n", t.name);
        let end = format!("\n<!-- table:{}:end -->", t.name);
        let Some(start) = text.find(&begin).map(|i| i + begin.len()) else {
            errors.push(format!("README has no {begin}"));
            continue;
        };
        let Some(len) = text[start..].find(&end) else {
            errors.push(format!("README has no {end}"));
            continue;
        };
        let want = reference::markdown(t);
        if text[start..start + len] != want {
            errors.push(format!("README's table `{}` differs from keymapd::reference", t.name));
            text.replace_range(start..start + len, &want);
        }
    }
    if bless() && errors.iter().all(|e| e.contains("differs")) {
        std::fs::write(path("README.md"), text).unwrap();
        return;
    }
    assert!(
        errors.is_empty(),
        "{}\n(run `KEYMAPD_BLESS=1 cargo test --test docs` and commit)",
        errors.join("\n")
    );
}

#[test]
fn the_committed_profile_man_page_is_rendered_from_the_reference() {
    same_or_bless("docs/man/keymapd.toml.5", &reference::profile_man_page()).unwrap();
}

#[test]
fn the_committed_command_man_page_is_what_keymapd_man_prints() {
    let out = Command::new(env!("CARGO_BIN_EXE_keymapd")).arg("man").output().unwrap();
    assert!(out.status.success());
    same_or_bless("docs/man/keymapd.1", &String::from_utf8(out.stdout).unwrap()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_keymapd")).args(["man", "keymapd.toml"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), reference::profile_man_page());
}

fn column(t: &reference::Table, i: usize) -> Vec<&'static str> {
    t.rows.iter().map(|r| r[i]).collect()
}

#[test]
fn every_action_the_parser_accepts_has_a_row() {
    let tags: Vec<&str> =
        [&reference::ACTIONS_KEYS, &reference::ACTIONS_TAP_HOLD, &reference::ACTIONS_MACROS]
            .into_iter()
            .flat_map(|t| column(t, 0))
            .collect();
    let missing: Vec<&str> = keymapd::profile::expr::ACTIONS
        .iter()
        .copied()
        .filter(|a| !tags.iter().any(|t| t.starts_with(&format!("`{a}("))))
        .collect();
    assert!(missing.is_empty(), "the reference's action tables lack a row `{{name}}(…)` for: {missing:?}");
    assert!(tags.contains(&"`noop`"), "the reference lacks `noop`");
}

#[test]
fn every_global_setting_has_a_row_and_nothing_else_does() {
    let rows: Vec<&str> = column(&reference::SETTINGS, 0);
    let want: Vec<String> = keymapd::profile::SETTINGS.iter().map(|s| format!("`{s}`")).collect();
    assert_eq!(rows, want, "the [global] table must list exactly the settings, in the parser's order");
}

#[test]
fn roff_escapes_what_roff_would_misread() {
    assert_eq!(reference::roff("`a-b` **x** \\ …"), "\\fBa\\-b\\fR \\fBx\\fR \\e \\[u2026]");
    assert_eq!(reference::roff(".x\n'y"), "\\&.x\n\\&'y");
}

#[test]
fn readmes_show_example_is_what_keymapd_show_prints() {
    let out = Command::new(env!("CARGO_BIN_EXE_keymapd"))
        .args(["show", "tests/show/nav.toml", "--layer", "nav"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let want = format!(
        "$ keymapd show tests/show/nav.toml --layer nav\n{}```",
        String::from_utf8(out.stdout).unwrap()
    );
    let readme = std::fs::read_to_string(path("README.md")).unwrap();
    assert!(readme.contains(&want), "README's `keymapd show` example is not what it prints:\n{want}");
}

#[test]
fn readmes_macos_style_example_is_the_tested_profile() {
    let toml = std::fs::read_to_string(path("tests/scripts/macos-terminals.toml")).unwrap();
    let body = &toml[toml.find("ids = ").expect("the profile has ids")..];
    let readme = std::fs::read_to_string(path("README.md")).unwrap();
    let block = format!("```toml\n{body}```\n");
    assert!(
        readme.contains(&block),
        "README's macOS-style example is not tests/scripts/macos-terminals.toml"
    );
}
