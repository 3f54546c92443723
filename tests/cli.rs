//! `keymapd` end to end: the binary's exit codes and output, and the example scripts.
// Test code: failing loudly is its job (the workspace [lints] deny this elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn keymapd(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keymapd"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keymapd runs");
    // The child may exit before reading its input (a bad profile): a broken pipe is fine then.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every `tests/scripts/NAME.script` (whose first line names its profile) gives `NAME.expected`.
#[test]
fn example_scripts_give_their_expected_output() {
    let dir = root().join("tests/scripts");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("script") {
            continue;
        }
        let script = std::fs::read_to_string(&path).unwrap();
        let profile = script
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# profile: "))
            .expect("first line: # profile: PATH");
        let expected = std::fs::read_to_string(path.with_extension("expected")).unwrap();
        let out = keymapd(&["test", "--profile", profile, "--script", path.to_str().unwrap()], "");
        assert!(out.status.success(), "{}: {}", path.display(), text(&out.stderr));
        assert_eq!(text(&out.stdout), expected, "{}", path.display());
        n += 1;
    }
    assert!(n >= 14, "some example scripts were not found ({n})");
}

#[test]
fn test_reads_the_script_from_stdin() {
    let out = keymapd(
        &["test", "--profile", "profiles/usb-keyboard.toml", "--script", "-"],
        "leftcontrol down\nleftcontrol up\n",
    );
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "leftmeta down\nleftmeta up\n");
}

#[test]
fn a_bad_script_line_names_its_line() {
    let out = keymapd(
        &["test", "--profile", "profiles/laptop.toml", "--script", "-"],
        "# c\na down\nleftctl down\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "<stdin>:3: error: unknown key `leftctl`; did you mean `leftctrl`?\n");
    let out = keymapd(&["test", "--profile", "profiles/laptop.toml", "--script", "-"], "a pressed\n");
    assert_eq!(
        text(&out.stderr),
        "<stdin>:1: error: bad event `pressed`; expected `down`, `up` or `repeat`\n"
    );
    let out = keymapd(&["test", "--profile", "profiles/laptop.toml", "--script", "-"], "1.5ms\n");
    assert_eq!(
        text(&out.stderr),
        "<stdin>:1: error: bad duration `1.5ms`; write whole milliseconds, e.g. `150ms`\n"
    );
}

#[test]
fn an_endless_script_is_refused_not_read_forever() {
    let out = keymapd(&["test", "--profile", "profiles/laptop.toml", "--script", "/dev/zero"], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "keymapd: error: cannot read script /dev/zero: larger than 64 MiB\n");
}

#[test]
fn check_accepts_valid_profiles() {
    let out = keymapd(&["check", "profiles"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "ok: 2 profiles (laptop, usb-keyboard)\n");
    let out = keymapd(&["check", "profiles/laptop.toml"], "");
    assert_eq!(text(&out.stdout), "ok: 1 profile (laptop)\n");
}

#[test]
fn check_rejects_a_bad_profile_with_its_position() {
    let dir = std::env::temp_dir().join(format!("keymapd-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "ids = [\"*\"]\n[main]\nleftctl = \"leftmeta\"\n").unwrap();
    let out = keymapd(&["check", bad.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "{}:3:1: error: unknown key `leftctl`; did you mean `leftctrl`?\nkeymapd: 1 error found\n",
            bad.display()
        )
    );
    let out = keymapd(&["test", "--profile", bad.to_str().unwrap(), "--script", "-"], "a down\n");
    assert_eq!(out.status.code(), Some(1), "test refuses an invalid profile too");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_on_an_empty_or_missing_directory_fails_clearly() {
    let empty = std::env::temp_dir().join(format!("keymapd-cli-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let out = keymapd(&["check", empty.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("keymapd: error: no profiles (*.toml) found in {}\n", empty.display())
    );
    std::fs::remove_dir_all(&empty).unwrap();
    let out = keymapd(&["check", "/nonexistent"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("/nonexistent: error: cannot read: No such file"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_command_lines_fail_with_a_message() {
    for args in [&["frobnicate"][..], &["test", "--script", "-"], &["check", "--bogus"], &[]] {
        let out = keymapd(args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?} printed no message");
    }
}

#[test]
fn version_help_man_and_completions() {
    let out = keymapd(&["--version"], "");
    assert_eq!(text(&out.stdout), format!("keymapd {}\n", env!("CARGO_PKG_VERSION")));
    let out = keymapd(&["--help"], "");
    assert!(out.status.success() && text(&out.stdout).contains("Examples:"));
    let out = keymapd(&["man"], "");
    let page = text(&out.stdout);
    assert!(out.status.success() && page.contains(".TH keymapd") && page.contains(".SH COMMANDS"));
    assert!(page.contains("keymapd check") && !page.contains("keymapd-run(1)"), "one self-contained page");
    let out = keymapd(&["completions", "bash"], "");
    assert!(out.status.success() && text(&out.stdout).contains("keymapd"));
    assert!(Path::new(env!("CARGO_BIN_EXE_keymapd")).exists());
}

/// `keymapd check` on sections nothing activates: a typo of a reserved name fails, any other
/// such layer passes with a warning giving its position.
#[test]
fn check_fails_on_a_mistyped_section_and_warns_about_an_unused_layer() {
    let dir = std::env::temp_dir().join(format!("keymapd-cli-unused-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let typo = dir.join("typo.toml");
    std::fs::write(&typo, "ids = [\"*\"]\n[alias]\nleftalt = \"meta\"\n").unwrap();
    let out = keymapd(&["check", typo.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "{}:2:2: error: unknown section [alias]; did you mean [aliases]?\nkeymapd: 1 error found\n",
            typo.display()
        )
    );
    std::fs::remove_file(&typo).unwrap();
    let unused = dir.join("unused.toml");
    std::fs::write(
        &unused,
        "ids = [\"*\"]\n[main]\ncapslock = \"layer(nav)\"\n[nav]\n[nav_]\nh = \"left\"\n",
    )
    .unwrap();
    let out = keymapd(&["check", unused.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        format!("{}:5:2: warning: layer `nav_` is never activated by any action\n", unused.display())
    );
    assert_eq!(text(&out.stdout), "ok: 1 profile (unused)\n");
    std::fs::remove_dir_all(&dir).unwrap();
}
