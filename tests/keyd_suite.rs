//! keyd's own engine test suite (keyd 2.6.0 `t/test.conf` and its `t/*.t` cases, translated):
//! every case in the suite directory runs through the same path as `keymapd test --profile
//! keyd-test.toml --script NAME.script`, and its events must equal `NAME.expected` by key code
//! (keyd's key names and keymapd's may differ for one code).
//!
//! The suite is read from `$KEYMAPD_KEYD_SUITE`, else from `<repo>/../shared/keyd-suite`. A missing
//! suite fails the test, saying where it looked: it never skips.

use std::path::{Path, PathBuf};
use std::process::Command;

use keymapd::keys::Key;
use keymapd::script::{self, Output};

fn suite_dir() -> PathBuf {
    match std::env::var_os("KEYMAPD_KEYD_SUITE") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/keyd-suite"),
    }
}

fn profile_path() -> PathBuf {
    let dir = suite_dir();
    let p = dir.join("keyd-test.toml");
    assert!(
        p.is_file(),
        "keyd's suite is not where it was looked for: {} (set KEYMAPD_KEYD_SUITE to the directory \
         holding keyd-test.toml and the NAME.script/NAME.expected cases)",
        p.display()
    );
    p
}

/// keyd's names for the codes where they differ from keymapd's (keyd's key table, keys.c).
fn keyd_code(name: &str) -> Option<u16> {
    Key::from_name(name).map(Key::code)
}

/// `KEY down|up` → (code, value); unparseable lines are kept as text so the diff shows them.
fn by_code(line: &str) -> String {
    let mut w = line.split_whitespace();
    match (w.next(), w.next(), w.next()) {
        (Some(k), Some(v), None) => match keyd_code(k) {
            Some(c) => format!("{c} {v}"),
            None => format!("? {line}"),
        },
        _ => format!("? {line}"),
    }
}

fn name_of(code_line: &str) -> String {
    let mut w = code_line.split_whitespace();
    match (w.next().and_then(|c| c.parse::<u16>().ok()).and_then(Key::new), w.next()) {
        (Some(k), Some(v)) => format!("{} {v}", k.name()),
        _ => code_line.to_owned(),
    }
}

#[test]
fn every_keyd_case_gives_keyds_events() {
    let profile = profile_path();
    let dir = suite_dir();
    let set = match keymapd::profile_files::load(std::slice::from_ref(&profile)) {
        Ok(s) => s,
        Err(d) => panic!(
            "{} does not load: {}",
            profile.display(),
            d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")
        ),
    };
    assert_eq!(set.profiles.len(), 1);
    let keymap = set.profiles[0].keymap.clone();

    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.strip_suffix(".script").map(str::to_owned))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no NAME.script cases in {}", dir.display());

    let mut failures = Vec::new();
    for name in &names {
        let script_text = std::fs::read_to_string(dir.join(format!("{name}.script"))).unwrap();
        let expected_text = std::fs::read_to_string(dir.join(format!("{name}.expected")))
            .unwrap_or_else(|e| panic!("{name}.expected: {e}"));
        let steps =
            script::parse(&script_text).unwrap_or_else(|e| panic!("{name}.script:{}: {}", e.line, e.message));
        let got: Vec<String> = script::run(keymap.clone(), &steps)
            .iter()
            .map(|o| match o {
                Output::Key(e) => format!("{} {}", e.key.code(), e.value.as_str()),
                Output::Command(c) => format!("command {c}"),
            })
            .collect();
        let want: Vec<String> =
            expected_text.lines().map(str::trim).filter(|l| !l.is_empty()).map(by_code).collect();
        if got != want {
            failures.push(diff(name, &want, &got));
        }
    }
    let passed = names.len() - failures.len();
    eprintln!("keyd suite: {passed} of {} cases pass", names.len());
    assert!(
        failures.is_empty(),
        "{} of {} keyd cases fail:\n\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

/// Side by side: expected (keyd) | got (keymapd), names from keymapd's table, `*` on differing lines.
fn diff(name: &str, want: &[String], got: &[String]) -> String {
    let mut s = format!("--- {name}: keyd | keymapd\n");
    for i in 0..want.len().max(got.len()) {
        let w = want.get(i).map(|l| name_of(l)).unwrap_or_default();
        let g = got.get(i).map(|l| name_of(l)).unwrap_or_default();
        let mark = if want.get(i) == got.get(i) { ' ' } else { '*' };
        s.push_str(&format!("{mark} {w:<22}| {g}\n"));
    }
    s
}

/// `keymapd check` accepts keyd's test.conf, translated, as it is.
#[test]
fn keymapd_check_accepts_keyd_test_conf() {
    let profile = profile_path();
    let out = Command::new(env!("CARGO_BIN_EXE_keymapd")).arg("check").arg(&profile).output().unwrap();
    assert!(
        out.status.success(),
        "keymapd check refused {}:\n{}{}",
        profile.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
