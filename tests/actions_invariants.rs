//! Aliases, and the engine's promises under arbitrary input: no release of a key that is not
//! down, no key left down once every physical key is up and time has passed, `tick` always
//! moves past `now`, `release_all` and `set_keymap` leave nothing behind, whatever is pending.

use common::sim;
use keymapd_testkit::sim as common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use keymapd::engine::{Engine, KeyEvent, KeyValue, Sink};
use keymapd::keys::Key;
use proptest::prelude::*;

#[test]
fn aliases_name_keys_on_the_left() {
    let p = r#"
ids = ["*"]
[aliases]
leftalt = "meta"
rightalt = "meta"
leftmeta = "alt"
capslock = "esc"
[main]
meta = "oneshot(meta)"
shift = "oneshot(shift)"
rightshift = "a"
"#;
    // Both alt keys are now `meta` on the left-hand side.
    assert_eq!(sim(p, "leftalt down, leftalt up, c down, c up"), "leftmeta down, c down, c up, leftmeta up");
    assert_eq!(
        sim(p, "rightalt down, rightalt up, c down, c up"),
        "leftmeta down, c down, c up, leftmeta up"
    );
    // leftmeta left the `meta` alias: itself.
    assert_eq!(
        sim(p, "leftmeta down, c down, c up, leftmeta up"),
        "leftmeta down, c down, c up, leftmeta up"
    );
    // An alias that is a key name makes the key that key.
    assert_eq!(sim(p, "capslock down, capslock up"), "esc down, esc up");
    // The built-in `shift` alias binds both shifts; a binding of one of them wins wherever it is.
    assert_eq!(
        sim(p, "leftshift down, leftshift up, c down, c up"),
        "leftshift down, c down, c up, leftshift up"
    );
    assert_eq!(sim(p, "rightshift down, rightshift up"), "a down, a up");
}

const FUZZ: &str = r#"
ids = ["*"]
[global]
oneshot_timeout = 300
chord_hold_timeout = 0
macro_timeout = 200
macro_repeat_timeout = 30
[main]
capslock = "overload(control, esc)"
a = "overloadt(nav, a, 150)"
s = "overloadt2(shift, s, 150)"
d = "lettermod(alt, d, 100, 150)"
g = "timeout(g, 200, layer(meta))"
leftshift = "oneshot(shift)"
tab = "oneshotk(nav, tab)"
f1 = "toggle(nav)"
f2 = "macro(C-a 40ms hi 10ms leftcontrol+x)"
f3 = "clear()"
f4 = "swap(sym)"
"j+k" = "esc"
"j+k+l" = "enter"
"h+l" = "overloadt2(shift, x, 100)"
"f3+f4" = "timeout(x, 100, layer(control))"
leftmeta = "overload(meta, macro(x y))"
[nav]
h = "left"
f4 = "swap(sym)"
j = "layerm(sym, C-v)"
["nav+shift"]
h = "home"
[sym]
h = "!"
k = "repeat()"
"#;

const KEYS: [Key; 16] = [
    Key::CAPSLOCK,
    Key::A,
    Key::S,
    Key::D,
    Key::G,
    Key::LEFTSHIFT,
    Key::TAB,
    Key::F1,
    Key::F2,
    Key::F3,
    Key::F4,
    Key::J,
    Key::K,
    Key::L,
    Key::H,
    Key::LEFTMETA,
];

/// Tracks the output as the desktop would see it, failing on any impossible event.
#[derive(Default)]
struct Desktop {
    down: BTreeSet<u16>,
    log: Vec<String>,
}

impl Sink for Desktop {
    fn key(&mut self, ev: KeyEvent) {
        self.log.push(ev.to_string());
        match ev.value {
            KeyValue::Down => assert!(self.down.insert(ev.key.code()), "{ev} while down: {:?}", self.log),
            KeyValue::Up => assert!(self.down.remove(&ev.key.code()), "{ev} while up: {:?}", self.log),
            KeyValue::Repeat => assert!(self.down.contains(&ev.key.code()), "{ev} while up"),
        }
    }
}

/// Feeds `ops` (key index, press/release, ms to wait first), ticking at every deadline.
fn run(e: &mut Engine, d: &mut Desktop, ops: &[(usize, bool, u16)]) -> (Duration, BTreeSet<usize>) {
    let mut now = Duration::ZERO;
    let mut deadline = e.next_deadline();
    let mut held = BTreeSet::new();
    let advance =
        |e: &mut Engine, d: &mut Desktop, deadline: &mut Option<Duration>, now: &mut Duration, to| {
            while let Some(t) = deadline.filter(|&t| t <= to) {
                assert!(t >= *now, "deadline {t:?} in the past of {now:?}");
                *now = t;
                *deadline = e.tick(t, d);
                assert!(deadline.is_none_or(|n| n > t), "tick({t:?}) left deadline {deadline:?}");
            }
            *now = to;
        };
    for &(k, press, wait) in ops {
        let to = now + Duration::from_millis(wait.into());
        advance(e, d, &mut deadline, &mut now, to);
        let key = KEYS[k];
        let ev = if press { KeyEvent::down(key) } else { KeyEvent::up(key) };
        if press {
            held.insert(k);
        } else {
            held.remove(&k);
        }
        deadline = e.process(ev, now, d);
        assert!(deadline.is_none_or(|n| n > now), "process at {now:?} left deadline {deadline:?}");
    }
    // Let go of everything, then let a long time pass.
    for &k in &held.clone() {
        deadline = e.process(KeyEvent::up(KEYS[k]), now, d);
    }
    let to = now + Duration::from_secs(10);
    advance(e, d, &mut deadline, &mut now, to);
    (now, held)
}

fn ops() -> impl Strategy<Value = Vec<(usize, bool, u16)>> {
    prop::collection::vec(
        (0..KEYS.len(), any::<bool>(), prop_oneof![Just(0u16), 0u16..60, 100u16..400]),
        0..80,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn nothing_is_stuck_or_released_twice(ops in ops()) {
        let p = common::profile(FUZZ);
        let mut e = Engine::new(Arc::clone(&p.keymap));
        let mut d = Desktop::default();
        run(&mut e, &mut d, &ops);
        // nav toggled on is fine (it holds no key); every output key must be up.
        prop_assert!(d.down.is_empty(), "stuck: {:?} after {:?}", d.down, d.log);
        prop_assert!(e.is_idle());
        prop_assert_eq!(e.next_deadline(), None);
    }

    #[test]
    fn release_all_mid_stream_leaves_nothing(ops in ops(), cut in 0usize..80) {
        let p = common::profile(FUZZ);
        let mut e = Engine::new(Arc::clone(&p.keymap));
        let mut d = Desktop::default();
        let cut = cut.min(ops.len());
        let mut now = Duration::ZERO;
        for &(k, press, wait) in &ops[..cut] {
            now += Duration::from_millis(wait.into());
            e.tick(now, &mut d);
            let key = KEYS[k];
            e.process(if press { KeyEvent::down(key) } else { KeyEvent::up(key) }, now, &mut d);
        }
        e.release_all(&mut d);
        prop_assert!(d.down.is_empty(), "left down: {:?}", d.down);
        prop_assert!(e.is_idle());
        prop_assert_eq!(e.next_deadline(), None);
        // The releases of keys still physically down change nothing.
        for k in KEYS {
            e.process(KeyEvent::up(k), now, &mut d);
        }
        prop_assert!(d.down.is_empty());
    }
}

#[test]
fn set_keymap_while_a_decision_is_pending_releases_and_forgets_it() {
    let p = common::profile(FUZZ);
    let mut e = Engine::new(Arc::clone(&p.keymap));
    let mut d = Desktop::default();
    let t = Duration::ZERO;
    e.process(KeyEvent::down(Key::CAPSLOCK), t, &mut d);
    e.process(KeyEvent::down(Key::A), t, &mut d);
    e.process(KeyEvent::down(Key::X), t, &mut d);
    assert!(e.next_deadline().is_some());
    e.set_keymap(Arc::clone(&p.keymap), &mut d);
    assert!(d.down.is_empty() && e.is_idle());
    assert_eq!(e.next_deadline(), None);
    for k in [Key::X, Key::A, Key::CAPSLOCK] {
        e.process(KeyEvent::up(k), t, &mut d);
    }
    assert_eq!(d.log, ["leftcontrol down", "leftcontrol up"]);
}
