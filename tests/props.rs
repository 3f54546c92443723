//! Property tests of the pure core: random valid profiles and random sessions (key events, time,
//! reloads, unplugs, shutdowns) through several engines and one merger; no key is ever stranded,
//! released while up, or pressed twice. See `tests/RELIABILITY.md`.
//!
//! `PROPTEST_CASES=100000 cargo test --test props --release` for a long run. A failure prints
//! the shrunk case as profile texts and ops; paste it into `tests/props_regressions.rs`.

#[path = "../fuzz/src/harness.rs"]
mod harness;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;

use harness::{format_ops, Op, Sim};
use keymapd::engine::{Engine, KeyEvent, KeyValue};
use keymapd::keymap::{Keymap, Mods};
use keymapd::keys::Key;
use keymapd::merger::Merger;
use keymapd::profile::Profile;

/// Default cases per property; the file runs in well under 20 s in a debug build on 2 cores.
const DEFAULT_CASES: u32 = 256;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_CASES);
    // Shrunk failures become named tests in props_regressions.rs; no files next to the sources.
    Config { cases, failure_persistence: None, ..Config::default() }
}

// ---- Profiles ----

/// Physical keys that get bindings and events: letters, modifiers, and keys people remap.
const PHYS: &[&str] = &[
    "a",
    "b",
    "c",
    "j",
    "capslock",
    "esc",
    "space",
    "f1",
    "leftcontrol",
    "leftshift",
    "leftalt",
    "leftmeta",
    "rightalt",
    "rightcontrol",
];
/// Keys that only ever come as events (never bound): they pass through every layer.
const UNBOUND: &[&str] = &["z", "enter"];

/// Targets of a plain key binding: keys, modifier keys (which also activate their modifier
/// layer), a kernel spelling, shifted symbols, a mouse button.
const TARGETS: &[&str] = &[
    "a",
    "b",
    "x",
    "esc",
    "down",
    "enter",
    "capslock",
    "leftcontrol",
    "leftctrl",
    "rightcontrol",
    "leftshift",
    "rightshift",
    "leftalt",
    "rightalt",
    "leftmeta",
    "rightmeta",
    "!",
    "A",
    "kp1",
    "leftmouse",
];
/// Keys of `C-…` sequences; modifier keys too (`S-leftshift` holds shift twice over).
const SEQ_KEYS: &[&str] = &["a", "t", "x", "tab", "1", "leftshift", "leftcontrol", "rightalt", "!"];
const MOD_LETTERS: &[&str] = &["C", "M", "A", "S", "G"];

/// Sections a profile may have besides `[main]`: built-in modifier layers and user layers
/// (header, name used in `layer(…)`).
const SECTIONS: &[(&str, &str)] = &[
    ("control", "control"),
    ("shift", "shift"),
    ("meta", "meta"),
    ("alt", "alt"),
    ("altgr", "altgr"),
    ("l1", "l1"),
    ("\"l2:C\"", "l2"),
    ("\"l3:M-S\"", "l3"),
    ("\"l4:G\"", "l4"),
];

fn action() -> impl Strategy<Value = String> {
    let seq = (prop::collection::vec(select(MOD_LETTERS), 1..=3), select(SEQ_KEYS))
        .prop_map(|(mods, key)| format!("{}-{key}", mods.join("-")));
    prop_oneof![
        4 => select(TARGETS).prop_map(str::to_owned),
        3 => seq,
        3 => select(SECTIONS).prop_map(|(_, name)| format!("layer({name})")),
        1 => Just("noop".to_owned()),
    ]
}

fn bindings(max: usize) -> impl Strategy<Value = BTreeMap<&'static str, String>> {
    prop::collection::btree_map(select(PHYS), action(), 0..max)
}

/// A profile as TOML text: `[main]`, some other sections, and an empty section for every user
/// layer referred to but not given (so that every generated profile is valid).
fn profile() -> impl Strategy<Value = String> {
    (bindings(8), prop::collection::btree_map(0..SECTIONS.len(), bindings(5), 0..4)).prop_map(
        |(main, mut others)| {
            for (i, (_, name)) in SECTIONS.iter().enumerate() {
                let call = format!("layer({name})");
                let used = main.values().chain(others.values().flat_map(|b| b.values())).any(|a| *a == call);
                if used {
                    others.entry(i).or_default();
                }
            }
            let mut text = String::from("ids = [\"*\"]\n\n[main]\n");
            let render = |text: &mut String, b: &BTreeMap<&str, String>| {
                for (k, a) in b {
                    text.push_str(&format!("{k} = \"{a}\"\n"));
                }
            };
            render(&mut text, &main);
            for (i, b) in &others {
                text.push_str(&format!("\n[{}]\n", SECTIONS[*i].0));
                render(&mut text, b);
            }
            text
        },
    )
}

fn parse(text: &str) -> Arc<Keymap> {
    match Profile::parse(Path::new("generated.toml"), text) {
        Ok((p, _)) => p.keymap,
        Err(d) => {
            let errs: Vec<String> = d.iter().map(|d| d.to_string()).collect();
            panic!("a generated profile did not parse:\n{text}\n{}", errs.join("\n"))
        }
    }
}

// ---- Sessions ----

fn event_key() -> impl Strategy<Value = Key> {
    prop_oneof![6 => select(PHYS), 1 => select(UNBOUND)]
        .prop_map(|n| Key::from_name(n).unwrap_or_else(|| panic!("test key `{n}` has no code")))
}

fn op() -> impl Strategy<Value = Op> {
    let dev = 0..4u8;
    let profile = 0..4u8;
    prop_oneof![
        14 => (dev.clone(), event_key(), prop_oneof![Just(KeyValue::Down), Just(KeyValue::Up)])
            .prop_map(|(dev, key, value)| Op::Key { dev, key, value }),
        2 => (dev.clone(), event_key()).prop_map(|(dev, key)| Op::Key { dev, key, value: KeyValue::Repeat }),
        5 => prop_oneof![0..5u32, 5..400u32, 400..3000u32].prop_map(|ms| Op::Advance { ms }),
        1 => (dev.clone(), profile.clone()).prop_map(|(dev, profile)| Op::Reload { dev, profile }),
        1 => profile.clone().prop_map(|profile| Op::ReloadAll { profile }),
        1 => dev.clone().prop_map(|dev| Op::Remove { dev }),
        1 => profile.prop_map(|profile| Op::Add { profile }),
        1 => dev.clone().prop_map(|dev| Op::ReleaseDev { dev }),
        1 => Just(Op::Shutdown),
        1 => dev.prop_map(|dev| Op::SpuriousTick { dev }),
    ]
}

/// A whole session: its profiles, how many devices start, and the ops; `Debug` prints it in the
/// form `tests/props_regressions.rs` takes.
#[derive(Clone)]
struct Case {
    profiles: Vec<String>,
    devices: usize,
    ops: Vec<Op>,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Case {{ devices: {},", self.devices)?;
        for (i, p) in self.profiles.iter().enumerate() {
            writeln!(f, "profile{i}:\n{p}")?;
        }
        writeln!(f, "ops: {:?} }}", format_ops(&self.ops))
    }
}

fn case(max_ops: usize) -> impl Strategy<Value = Case> {
    (prop::collection::vec(profile(), 1..4), 1..=4usize, prop::collection::vec(op(), 0..max_ops))
        .prop_map(|(profiles, devices, ops)| Case { profiles, devices, ops })
}

fn keymaps(case: &Case) -> Vec<Arc<Keymap>> {
    case.profiles.iter().map(|p| parse(p)).collect()
}

// ---- Properties ----

proptest! {
    #![proptest_config(config())]

    /// The generator only makes valid profiles, and the parser accepts all of them.
    #[test]
    fn generated_profiles_parse(text in profile()) {
        let result = Profile::parse(Path::new("generated.toml"), &text);
        let errors: Vec<String> = result.err().unwrap_or_default().iter().map(|d| d.to_string()).collect();
        prop_assert!(errors.is_empty(), "{}\n{}", text, errors.join("\n"));
    }

    /// The main property: no stuck key, no release of a key that is not down, no double press,
    /// repeats only of keys that are down, timers that make progress; per engine and merged,
    /// through reloads, unplugs, shutdowns and spurious wakeups.
    #[test]
    fn no_stuck_or_invented_keys(case in case(150)) {
        let keymaps = keymaps(&case);
        if let Err(v) = harness::run_traced_on_failure(&keymaps, case.devices, &case.ops) {
            prop_assert!(false, "{}", v);
        }
    }

    /// The core is deterministic: the same session gives the same output, event for event.
    #[test]
    fn same_session_same_output(case in case(60)) {
        let keymaps = keymaps(&case);
        let trace = |keymaps: &[Arc<Keymap>]| {
            let mut sim = Sim::new(keymaps.to_vec(), case.devices, true);
            for op in &case.ops {
                if sim.step(op).is_err() {
                    break; // the property above reports violations
                }
            }
            sim.trace()
        };
        // Fresh keymaps the second time, so that nothing can hide in shared state.
        let again = self::keymaps(&case);
        prop_assert_eq!(trace(&keymaps), trace(&again));
    }

    /// With no bindings, the engine is the identity on input a real keyboard can produce
    /// (modifier repeats aside: a modifier's repeat is not passed on).
    #[test]
    fn empty_profile_is_the_identity(events in prop::collection::vec((event_key(), 0..3u8), 0..80)) {
        let keymap = parse("ids = [\"*\"]\n[main]\n");
        let mut engine = Engine::new(keymap);
        let mut down = harness::KeyState::default();
        let (mut input, mut output) = (Vec::new(), Vec::new());
        let now = std::time::Duration::ZERO;
        for (key, kind) in events {
            // What a keyboard sends: a press of a key that is up, a release or repeat of one that is down.
            let value = match (down.is_down(key), kind) {
                (false, _) => KeyValue::Down,
                (true, 0) => KeyValue::Repeat,
                (true, _) => KeyValue::Up,
            };
            let ev = KeyEvent::new(key, value);
            down.apply(ev).map_err(TestCaseError::fail)?;
            if !(value == KeyValue::Repeat && Mods::of_key(key).is_some()) {
                input.push(ev);
            }
            engine.process(ev, now, &mut output);
        }
        prop_assert_eq!(input, output);
    }

    /// The merger is the last line of defence: whatever its sources send (releases of keys they
    /// do not hold, double presses, repeats of keys that are up), the merged stream is valid, a
    /// key is down exactly while some live source holds it, and `release_all` leaves nothing down.
    #[test]
    fn merger_output_is_valid_whatever_the_sources_send(
        ops in prop::collection::vec((0..4usize, event_key(), 0..6u8), 0..200)
    ) {
        let mut merger = Merger::new();
        let mut sources = vec![merger.add_source(), merger.add_source()];
        // What each live source holds, by the merger's contract: a press holds, a release lets go.
        let mut held: Vec<harness::KeyState> = vec![Default::default(), Default::default()];
        let mut merged = harness::KeyState::default();
        let mut out = Vec::new();
        for (src, key, kind) in ops {
            out.clear();
            if sources.is_empty() {
                sources.push(merger.add_source());
                held.push(Default::default());
            }
            let i = src % sources.len();
            match kind {
                0 | 1 => {
                    merger.event(sources[i], KeyEvent::down(key), &mut out);
                    held[i].set(key, true);
                }
                2 | 3 => {
                    merger.event(sources[i], KeyEvent::up(key), &mut out);
                    held[i].set(key, false);
                }
                4 => merger.event(sources[i], KeyEvent::new(key, KeyValue::Repeat), &mut out),
                _ if src == 3 => {
                    merger.remove_source(sources.remove(i), &mut out);
                    held.remove(i);
                }
                _ if src == 2 => {
                    sources.push(merger.add_source());
                    held.push(Default::default());
                }
                _ => {
                    merger.release_source(sources[i], &mut out);
                    held[i] = Default::default();
                }
            }
            for ev in &out {
                merged.apply(*ev).map_err(|e| TestCaseError::fail(format!("merged output: {e}")))?;
            }
            for k in [key, Key::A] {
                let expected = held.iter().any(|h| h.is_down(k));
                prop_assert_eq!(merged.is_down(k), expected, "`{}` in the merged output", k);
                prop_assert_eq!(merger.is_down(k), expected, "merger.is_down(`{}`)", k);
            }
        }
        out.clear();
        merger.release_all(&mut out);
        for ev in &out {
            merged.apply(*ev).map_err(|e| TestCaseError::fail(format!("merged output: {e}")))?;
        }
        prop_assert!(merged.is_empty(), "still down after release_all: {:?}", merged.keys());
    }
}
