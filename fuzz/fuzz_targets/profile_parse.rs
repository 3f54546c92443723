//! Arbitrary bytes → `Profile::parse` (as UTF-8 when they are, and lossily decoded): no panic,
//! every error a positioned diagnostic; a profile that parses is typed on through the checked
//! engine and merger (see `crates/keymapd-testkit/src/harness.rs`) without a stuck or invented key.
#![no_main]

use keymapd_testkit::harness;

use std::borrow::Cow;
use std::path::Path;

use keymapd_core::keys::Key;
use keymapd_core::profile::{Diagnostic, Profile, Severity};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    }
    if let Cow::Owned(lossy) = String::from_utf8_lossy(data) {
        check(&lossy);
    }
});

fn check(text: &str) {
    let path = Path::new("fuzz.toml");
    match Profile::parse(path, text) {
        Ok((profile, warnings)) => {
            for w in &warnings {
                check_diagnostic(w, path, text);
                assert_eq!(w.severity, Severity::Warning, "a warning list holds an error: {w}");
            }
            type_on(&profile);
        }
        Err(errors) => {
            assert!(errors.iter().any(|d| d.severity == Severity::Error), "Err without an error: {errors:?}");
            for d in &errors {
                check_diagnostic(d, path, text);
            }
        }
    }
}

/// A parse diagnostic names the file and a position inside the text.
fn check_diagnostic(d: &Diagnostic, path: &Path, text: &str) {
    assert_eq!(d.path, path);
    assert!(!d.message.trim().is_empty(), "empty message: {d:?}");
    let lines = text.split('\n').count();
    assert!(d.line >= 1 && d.line <= lines, "line {} outside 1..={lines}: {d}", d.line);
    assert!(d.col >= 1, "column 0: {d}");
    let shown = d.to_string();
    assert!(shown.starts_with(&format!("fuzz.toml:{}:{}: ", d.line, d.col)), "{shown}");
}

/// Presses each bound key (of every layer, up to 12) alone, held past the usual timeouts, and
/// then all of them together, on two devices; the harness checks every invariant.
fn type_on(profile: &Profile) {
    let km = &profile.keymap;
    let mut keys: Vec<Key> = Vec::new();
    for layer in km.layers() {
        for k in layer.bindings().map(|(k, _)| k).chain(layer.chords().iter().flat_map(|c| c.keys().to_vec()))
        {
            if !keys.contains(&k) && keys.len() < 12 {
                keys.push(k);
            }
        }
    }
    let mut ops = Vec::new();
    let key = |dev, key, value| harness::Op::Key { dev, key, value };
    use keymapd_core::engine::KeyValue::{Down, Repeat, Up};
    for &k in &keys {
        ops.extend([key(0, k, Down), key(0, k, Up), harness::Op::Advance { ms: 5 }]);
        ops.extend([key(1, k, Down), harness::Op::Advance { ms: 700 }, key(1, k, Repeat), key(1, k, Up)]);
    }
    for &k in &keys {
        ops.push(key(0, k, Down));
    }
    ops.push(key(0, Key::A, Down));
    ops.push(harness::Op::Advance { ms: 30 });
    for &k in keys.iter().rev() {
        ops.push(key(0, k, Up));
    }
    ops.push(harness::Op::Reload { dev: 1, profile: 0 });
    if let Err(v) = harness::run_traced_on_failure(std::slice::from_ref(km), 2, &ops) {
        panic!("{v}");
    }
}
