//! Shared helpers for the integration tests: one line of input, one line of expected output.

use std::path::Path;

use keymapd_core::profile::Profile;
use keymapd_core::script;

/// Parses a profile from text, panicking with its diagnostics if it is invalid.
pub fn profile(text: &str) -> Profile {
    match Profile::parse(Path::new("test.toml"), text) {
        Ok((p, _)) => p,
        Err(d) => panic!("profile did not parse: {d:?}"),
    }
}

/// Runs `steps` (script lines separated by `,`) through a fresh engine for `profile_text`;
/// returns the output events separated by `, `.
pub fn sim(profile_text: &str, steps: &str) -> String {
    let p = profile(profile_text);
    let steps = script::parse(&steps.replace(',', "\n")).expect("script parses");
    let out = script::run(p.keymap.clone(), &steps);
    out.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ")
}
