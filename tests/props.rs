//! Property tests of the pure core: random valid profiles and random sessions (key events, time,
//! reloads, unplugs, shutdowns) through several engines and one merger; no key is ever stranded,
//! released while up, or pressed twice. See `tests/RELIABILITY.md`.
//!
//! `PROPTEST_CASES=100000 cargo test --test props --release` for a long run. A failure prints
//! the shrunk case as profile texts and ops; paste it into `tests/props_regressions.rs`.
// Test code: failing loudly is its job (the workspace [lints] deny this elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keymapd_testkit::harness;

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
/// Left-hand names that are not keys: keyd's default aliases, and `hyper`, which an `[aliases]`
/// section (added when it is used) gives to capslock.
const ALIASES: &[&str] = &["shift", "meta", "control", "hyper"];

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
/// Extra sections, added with bindings or when referred to: a composite and a layout.
const COMPOSITE: &str = "\"l1+shift\"";
const LAYOUT: &str = "\"dv:layout\"";
/// Application layers (the sessions' `focus` ops choose among `harness::FOCUS_APPS`): one alone,
/// one in a composite with a modifier layer.
const APP: &str = "\"app:kitty\"";
const APP_COMPOSITE: &str = "\"shift+app:org.gnome.*\"";
/// Tokens of `macro(…)`: keys, sequences, a group pressed together, delays, text.
const MACRO_TOKENS: &[&str] = &["a", "C-b", "M-S-t", "leftcontrol+b", "0ms", "10ms", "hi", "!", "leftshift"];
const MS: &[&str] = &["0", "1", "10", "50", "200", "1000"];

fn layer_name() -> impl Strategy<Value = &'static str> {
    select(SECTIONS).prop_map(|(_, name)| name)
}

fn macro_expr() -> BoxedStrategy<String> {
    prop::collection::vec(select(MACRO_TOKENS), 1..5).prop_map(|t| format!("macro({})", t.join(" "))).boxed()
}

/// Actions that are not tap-hold: they may be the tap or a branch of one. With `latching`,
/// also those that stay in effect after their key is up (oneshot, toggle, swap).
fn simple_action(latching: bool) -> BoxedStrategy<String> {
    let seq = (prop::collection::vec(select(MOD_LETTERS), 1..=3), select(SEQ_KEYS))
        .prop_map(|(mods, key)| format!("{}-{key}", mods.join("-")));
    let plain = prop_oneof![
        8 => select(TARGETS).prop_map(str::to_owned),
        6 => seq,
        6 => layer_name().prop_map(|l| format!("layer({l})")),
        2 => Just("noop".to_owned()),
        3 => macro_expr(),
        1 => (select(MS), select(MS), macro_expr()).prop_map(|(t, r, m)| format!("macro2({t}, {r}, {m})")),
        1 => Just("repeat()".to_owned()),
        1 => Just("clear()".to_owned()),
        1 => macro_expr().prop_map(|m| format!("clearm({m})")),
        1 => (layer_name(), macro_expr()).prop_map(|(l, m)| format!("layerm({l}, {m})")),
        1 => select(&["setlayout(dv)", "setlayout(main)"][..]).prop_map(str::to_owned),
        1 => Just("command(true)".to_owned()),
    ];
    if !latching {
        return plain.boxed();
    }
    prop_oneof![
        10 => plain,
        1 => layer_name().prop_map(|l| format!("oneshot({l})")),
        1 => (layer_name(), macro_expr()).prop_map(|(l, m)| format!("oneshotm({l}, {m})")),
        1 => (layer_name(), select(TARGETS)).prop_map(|(l, k)| format!("oneshotk({l}, {k})")),
        1 => layer_name().prop_map(|l| format!("toggle({l})")),
        1 => (layer_name(), macro_expr()).prop_map(|(l, m)| format!("togglem({l}, {m})")),
        1 => layer_name().prop_map(|l| format!("swap({l})")),
        1 => (layer_name(), macro_expr()).prop_map(|(l, m)| format!("swapm({l}, {m})")),
    ]
    .boxed()
}

/// Any action: a simple one, or a tap-hold one whose tap and branches are simple.
fn action(latching: bool) -> BoxedStrategy<String> {
    let s = || simple_action(latching);
    prop_oneof![
        12 => s(),
        2 => (layer_name(), s()).prop_map(|(l, t)| format!("overload({l}, {t})")),
        1 => (layer_name(), s(), select(MS)).prop_map(|(l, t, ms)| format!("overloadt({l}, {t}, {ms})")),
        1 => (layer_name(), s(), select(MS)).prop_map(|(l, t, ms)| format!("overloadt2({l}, {t}, {ms})")),
        1 => (s(), layer_name(), s(), select(MS), select(MS))
            .prop_map(|(f, l, t, a, b)| format!("overloadi({f}, overloadt2({l}, {t}, {a}), {b})")),
        1 => (layer_name(), select(SEQ_KEYS), select(MS), select(MS))
            .prop_map(|(l, k, a, b)| format!("lettermod({l}, {k}, {a}, {b})")),
        1 => (s(), select(MS), s()).prop_map(|(t, ms, h)| format!("timeout({t}, {ms}, {h})")),
    ]
    .boxed()
}

type Bindings = BTreeMap<String, String>;

/// Bindings of single keys (or aliases) and, in `[main]`, two-key chords.
fn bindings(max: usize, latching: bool) -> impl Strategy<Value = Bindings> {
    let name = prop_oneof![8 => select(PHYS), 1 => select(ALIASES)].prop_map(str::to_owned);
    prop::collection::btree_map(name, action(latching), 0..max).prop_map(|mut b| {
        // A user alias of one key and that key in one section: "bound twice".
        if b.contains_key("capslock") {
            b.remove("hyper");
        }
        b
    })
}

fn chords(latching: bool) -> impl Strategy<Value = Bindings> {
    let n = PHYS.len();
    let pair = (0..n, 1..n).prop_map(move |(a, d)| {
        let (a, b) = (a.min((a + d) % n), a.max((a + d) % n));
        format!("{}+{}", PHYS[a], PHYS[b])
    });
    prop::collection::btree_map(pair, action(latching), 0..3)
}

fn global() -> impl Strategy<Value = Vec<String>> {
    let settings = [
        ("oneshot_timeout", &["0", "300"][..]),
        ("overload_tap_timeout", &["0", "200"]),
        ("chord_timeout", &["50", "10"]),
        ("chord_hold_timeout", &["0", "30"]),
        ("macro_timeout", &["600", "100", "0"]),
        ("macro_repeat_timeout", &["50", "10", "0"]),
        ("macro_sequence_timeout", &["0", "1000"]),
        ("disable_modifier_guard", &["false", "true"]),
    ];
    prop::collection::btree_map(0..settings.len(), any::<prop::sample::Index>(), 0..4).prop_map(move |m| {
        m.into_iter()
            .map(|(i, v)| {
                let (name, values) = settings[i];
                format!("{name} = {}", values[v.index(values.len())])
            })
            .collect()
    })
}

/// A profile as TOML text: `[main]`, some other sections, chords, `[global]` settings, and
/// whatever makes the references valid (an empty section for each layer referred to but not
/// given, the layout, `[aliases]`, `allow_commands`). `latching` allows oneshots, toggles and
/// swaps, after which a key may stay down with no physical key held.
fn profile_with(latching: bool) -> impl Strategy<Value = String> {
    (
        bindings(8, latching),
        chords(latching),
        prop::collection::btree_map(0..SECTIONS.len() + 4, bindings(5, latching), 0..4),
        global(),
        any::<bool>(),
    )
        .prop_map(|(main, chords, mut others, mut global, default_layout)| {
            let actions: Vec<String> = main
                .values()
                .chain(chords.values())
                .chain(others.values().flat_map(|b| b.values()))
                .cloned()
                .collect();
            let refers = |name: &str| {
                let (a, b) = (format!("({name})"), format!("({name},"));
                actions.iter().any(|t| t.contains(&a) || t.contains(&b))
            };
            for (i, (_, name)) in SECTIONS.iter().enumerate() {
                if refers(name) {
                    others.entry(i).or_default();
                }
            }
            let composite = SECTIONS.len();
            let layout = SECTIONS.len() + 1;
            if others.contains_key(&composite) {
                others.entry(5).or_default(); // the composite's `l1`
            }
            if refers("dv") || default_layout {
                others.entry(layout).or_default();
            }
            if default_layout {
                global.push("default_layout = \"dv\"".to_owned());
            }
            if actions.iter().any(|a| a.contains("command(")) {
                global.push("allow_commands = true".to_owned());
            }
            let mut text = String::from("ids = [\"*\"]\n");
            if !global.is_empty() {
                text.push_str(&format!("\n[global]\n{}\n", global.join("\n")));
            }
            let uses_hyper = main.contains_key("hyper") || others.values().any(|b| b.contains_key("hyper"));
            if uses_hyper {
                text.push_str("\n[aliases]\ncapslock = \"hyper\"\n");
            }
            let render = |text: &mut String, b: &Bindings| {
                for (k, a) in b {
                    text.push_str(&format!("\"{k}\" = \"{a}\"\n"));
                }
            };
            text.push_str("\n[main]\n");
            render(&mut text, &main);
            render(&mut text, &chords);
            for (i, b) in &others {
                let header = match *i {
                    i if i == composite => COMPOSITE,
                    i if i == layout => LAYOUT,
                    i if i == layout + 1 => APP,
                    i if i == layout + 2 => APP_COMPOSITE,
                    i => SECTIONS[i].0,
                };
                text.push_str(&format!("\n[{header}]\n"));
                render(&mut text, b);
            }
            text
        })
}

/// A profile of any kind: half of them without latching actions (so that the end-of-session
/// check "nothing is down once every key is up and the timers have run" applies to them).
fn profile() -> impl Strategy<Value = String> {
    any::<bool>().prop_flat_map(profile_with)
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
        2 => (0..4u8).prop_map(|app| Op::Focus { app }),
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

/// A session; its profiles are all settling ones, or all of any kind.
fn case(max_ops: usize) -> impl Strategy<Value = Case> {
    any::<bool>().prop_flat_map(move |latching| {
        (
            prop::collection::vec(profile_with(latching), 1..4),
            1..=4usize,
            prop::collection::vec(op(), 0..max_ops),
        )
            .prop_map(|(profiles, devices, ops)| Case { profiles, devices, ops })
    })
}

fn keymaps(case: &Case) -> Vec<Arc<Keymap>> {
    case.profiles.iter().map(|p| parse(p)).collect()
}

/// How long one session may take before it counts as hung (an endless loop in the engine).
const HANG: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs `f` on a thread; if it does not return within [`HANG`], prints the case and exits the
/// test process (an endless loop cannot be stopped, and shrinking it would start more of them).
fn watchdog<T: Send + 'static>(case: &Case, f: impl FnOnce(Case) -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let c = case.clone();
    std::thread::spawn(move || {
        let _ = tx.send(f(c));
    });
    match rx.recv_timeout(HANG) {
        Ok(v) => v,
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("the session panicked (see above)"),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            // Straight to stderr: the test harness would swallow a captured eprintln on exit.
            let msg = format!("a session did not finish within {HANG:?}: the engine hangs on\n{case:?}\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), msg.as_bytes());
            std::process::exit(101);
        }
    }
}

// ---- The generator covers what the properties are about ----

/// The sessions `no_stuck_or_invented_keys` draws hold what issue 8 asks the property to cover:
/// key events, time, reloads (of one device and of all, to another of the session's random
/// profiles), unplugs and plug-ins, `release_all` and shutdowns, each somewhere early and
/// somewhere late in a session; and both settling and latching profile sets, so that the
/// end-of-session check 7 (nothing stuck) runs on some and check 8 (`release_all` leaves
/// nothing) on all. Fails if a change to `op()` or `case()` drops any of them.
#[test]
fn sessions_reload_unplug_and_shut_down_at_random_points() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
    const CASES: usize = 200;
    let mut runner =
        TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[8; 32]));
    let strategy = case(150);
    // Per op kind: in how many sessions it occurs, and in which tenths of a session.
    let mut seen: BTreeMap<&str, (usize, [bool; 10])> = BTreeMap::new();
    let (mut settling, mut latching, mut reload_between_profiles) = (0, 0, 0);
    for _ in 0..CASES {
        let c = strategy.new_tree(&mut runner).expect("a case").current();
        if keymaps(&c).iter().all(|k| harness::keymap_settles(k)) {
            settling += 1;
        } else {
            latching += 1;
        }
        let mut kinds = std::collections::BTreeSet::new();
        for (i, op) in c.ops.iter().enumerate() {
            let kind = match op {
                Op::Key { value: KeyValue::Down, .. } => "press",
                Op::Key { value: KeyValue::Up, .. } => "release",
                Op::Key { value: KeyValue::Repeat, .. } => "repeat",
                Op::Advance { .. } => "time",
                Op::Reload { .. } => "reload",
                Op::ReloadAll { .. } => "reload all",
                Op::Remove { .. } => "unplug",
                Op::Add { .. } => "plug in",
                Op::ReleaseDev { .. } => "release_all",
                Op::Shutdown => "shutdown",
                Op::SpuriousTick { .. } => "spurious tick",
                Op::Focus { .. } => "focus",
            };
            kinds.insert(kind);
            seen.entry(kind).or_default().1[10 * i / c.ops.len()] = true;
        }
        for k in kinds {
            seen.entry(k).or_default().0 += 1;
        }
        let reloads = c.ops.iter().any(|op| matches!(op, Op::Reload { .. } | Op::ReloadAll { .. }));
        if c.profiles.len() > 1 && c.profiles.iter().any(|p| *p != c.profiles[0]) && reloads {
            reload_between_profiles += 1;
        }
    }
    let kinds = [
        "press",
        "release",
        "repeat",
        "time",
        "reload",
        "reload all",
        "unplug",
        "plug in",
        "release_all",
        "shutdown",
        "spurious tick",
        "focus",
    ];
    for kind in kinds {
        let (sessions, tenths) = seen.get(kind).copied().unwrap_or_default();
        assert!(sessions >= CASES / 3, "only {sessions} of {CASES} sessions have a {kind}");
        assert!(tenths.iter().all(|&t| t), "a {kind} never falls in some tenth of a session: {tenths:?}");
    }
    assert!(
        reload_between_profiles >= CASES / 3,
        "{reload_between_profiles} sessions reload between profiles"
    );
    assert!(
        settling >= CASES / 4 && latching >= CASES / 4,
        "{settling} settling, {latching} latching sessions"
    );
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
        if let Err(v) = watchdog(&case, move |c| harness::run_traced_on_failure(&keymaps, c.devices, &c.ops)) {
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
            // keyd's default aliases: right control, shift and meta are their modifier layers,
            // which hold the left-hand keys (tests/engine.rs); the rest is the identity.
            let key = match key {
                Key::RIGHTCTRL => Key::LEFTCTRL,
                Key::RIGHTSHIFT => Key::LEFTSHIFT,
                Key::RIGHTMETA => Key::LEFTMETA,
                k => k,
            };
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
