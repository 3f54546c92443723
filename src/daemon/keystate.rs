//! What a device physically holds down, as the daemon has told its engine: the bookkeeping for
//! the grab gate, SYN_DROPPED resync and the panic chord. Pure; it never reads a device itself.

use crate::engine::KeyEvent;
use crate::keys::{Key, KeySet};

/// Records an input key event in `held`; returns false if it changes nothing (a press of a key
/// already down or a release of a key not down), which the daemon then drops.
pub fn apply(held: &mut KeySet, ev: KeyEvent) -> bool {
    held.record(ev.key, ev.value == crate::engine::KeyValue::Down)
}

/// The events that take `tracked` to the kernel's `actual` state after SYN_DROPPED: releases
/// first (so nothing is typed with a stale modifier), then presses. Nothing invented, nothing lost.
pub fn resync(tracked: &KeySet, actual: &KeySet, mut emit: impl FnMut(KeyEvent)) {
    for k in tracked.iter().filter(|&k| !actual.contains(k)) {
        emit(KeyEvent::up(k));
    }
    for k in actual.iter().filter(|&k| !tracked.contains(k)) {
        emit(KeyEvent::down(k));
    }
}

/// The panic escape: backspace, escape and enter physically held together.
pub fn is_panic_chord(held: &KeySet) -> bool {
    [Key::BACKSPACE, Key::ESC, Key::ENTER].iter().all(|&k| held.contains(k))
}

/// What to do with a keyboard that is open but not grabbed yet.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Gate {
    /// A key is down: grabbing now would strand its release; keep watching.
    Wait,
    /// Nothing is down: grab.
    Grab,
}

/// The grab gate, before EVIOCGRAB and again right after it (a key pressed in between makes the
/// daemon ungrab and wait again, so the desktop sees that key's release).
pub fn gate(kernel_state: &KeySet) -> Gate {
    if kernel_state.is_empty() {
        Gate::Grab
    } else {
        Gate::Wait
    }
}

/// Whether an event read right after the grab happened before it (its timestamp is earlier than
/// the time taken just before EVIOCGRAB): other clients saw it, so the engine must not.
pub fn before_grab(event_time: std::time::Duration, grab_started: std::time::Duration) -> bool {
    event_time < grab_started
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::KeyValue;
    use std::time::Duration;

    fn k(code: u16) -> Key {
        Key::new(code).unwrap()
    }

    #[test]
    fn duplicate_presses_and_stray_releases_are_dropped() {
        let mut s = KeySet::default();
        assert!(apply(&mut s, KeyEvent::down(k(30))));
        assert!(!apply(&mut s, KeyEvent::down(k(30))));
        assert!(apply(&mut s, KeyEvent::up(k(30))));
        assert!(!apply(&mut s, KeyEvent::up(k(30))));
        assert!(s.is_empty());
    }

    #[test]
    fn resync_releases_first_then_presses() {
        let tracked = KeySet::from_codes([42, 30]);
        let actual = KeySet::from_codes([42, 48]);
        let mut out = vec![];
        resync(&tracked, &actual, |e| out.push(e));
        assert_eq!(out, vec![KeyEvent::up(k(30)), KeyEvent::down(k(48))]);
    }

    #[test]
    fn resync_of_equal_states_emits_nothing() {
        let s = KeySet::from_codes([29, 56, 0x2ff]);
        let mut n = 0;
        resync(&s, &s, |_| n += 1);
        assert_eq!(n, 0);
    }

    #[test]
    fn resync_then_the_queued_events_are_deduplicated() {
        // After SYN_DROPPED the kernel already shows A down; the queued press of A is then a no-op.
        let mut tracked = KeySet::default();
        let actual = KeySet::from_codes([30]);
        let mut evs = vec![];
        resync(&tracked, &actual, |e| evs.push(e));
        for e in evs {
            apply(&mut tracked, e);
        }
        assert!(!apply(&mut tracked, KeyEvent::new(k(30), KeyValue::Down)));
        assert!(apply(&mut tracked, KeyEvent::up(k(30))));
    }

    #[test]
    fn the_gate_waits_while_any_key_is_down() {
        assert_eq!(gate(&KeySet::default()), Gate::Grab);
        assert_eq!(gate(&KeySet::from_codes([28])), Gate::Wait);
        assert_eq!(gate(&KeySet::from_codes([0x2ff])), Gate::Wait);
    }

    #[test]
    fn events_before_the_grab_are_not_replayed() {
        let t0 = Duration::from_millis(1000);
        assert!(before_grab(Duration::from_millis(999), t0));
        assert!(!before_grab(Duration::from_millis(1000), t0));
    }

    #[test]
    fn the_panic_chord_needs_all_three_keys() {
        let mut s = KeySet::from_codes([14, 1]);
        assert!(!is_panic_chord(&s));
        s.set(Key::ENTER, true);
        assert!(is_panic_chord(&s));
    }
}
