//! `timeout(tap, ms, hold)` as keyd 2.6 resolves it. It holds nothing back: while it waits, the
//! events after it go their own way, and the first one that decides it makes it act first.
//!
//! * Held: its time running out makes it `hold`; a press of any key, or its own release, makes
//!   it `tap` (held down until the key's release, which then releases it).
//! * Pressed and released in the same millisecond (it was the tap of another action, or typed
//!   that fast): it waits out its time. Then it taps `hold`; the next key event before that
//!   (a press or a release of any key) taps `tap` first.

use super::{Action, Engine, Held, LayerId, Sink, Slot, Time};

/// The one `timeout()` waiting (a newer one replaces it, as in keyd).
#[derive(Copy, Clone, Debug)]
pub(super) struct Wait {
    /// The key's slot (a chord's, for a chord bound to `timeout()`).
    slot: Slot,
    dl: LayerId,
    tap: Action,
    hold: Action,
    start: Time,
    pub deadline: Time,
    /// Released in the millisecond it was pressed: it waits out its time.
    released: bool,
}

/// The same millisecond (keyd counts time in whole milliseconds).
fn same_ms(a: Time, b: Time) -> bool {
    a.as_millis() == b.as_millis()
}

impl Engine {
    pub(super) fn begin_timeout(
        &mut self,
        slot: Slot,
        dl: LayerId,
        now: Time,
        wait: Time,
        tap: Action,
        hold: Action,
    ) {
        let deadline = now.saturating_add(wait);
        self.timeout = Some(Wait { slot, dl, tap, hold, start: now, deadline, released: false });
    }

    /// The key of a waiting `timeout()` went up without deciding it: it was pressed in this
    /// same millisecond, so it waits out its time.
    pub(super) fn timeout_key_up(&mut self, slot: Slot, now: Time) {
        if let Some(w) = self.timeout.as_mut().filter(|w| w.slot == slot && same_ms(w.start, now)) {
            w.released = true;
        }
    }

    /// A key event (of the key or chord in `slot`), before anything else looks at it.
    pub(super) fn timeout_sees(&mut self, slot: Slot, down: bool, now: Time, out: &mut impl Sink) {
        let Some(w) = self.timeout else { return };
        if !down && slot == w.slot && same_ms(w.start, now) {
            return; // its own release in the millisecond of its press: see `timeout_key_up`
        }
        if w.released || down || slot == w.slot {
            self.timeout_decide(w, now >= w.deadline, now, out);
        }
    }

    /// Its time is up.
    pub(super) fn timeout_due(&mut self, now: Time, out: &mut impl Sink) {
        if let Some(w) = self.timeout {
            self.timeout_decide(w, true, now, out);
        }
    }

    fn timeout_decide(&mut self, w: Wait, expired: bool, now: Time, out: &mut impl Sink) {
        self.timeout = None;
        let action = if expired { w.hold } else { w.tap };
        if w.released {
            // Tapped: the action is pressed and released at once.
            let before = self.held[w.slot as usize];
            self.press(w.slot, action, w.dl, now, out);
            self.last_pressed = Some(w.slot);
            self.release(w.slot, now, out);
            self.held[w.slot as usize] = before;
        } else if self.held[w.slot as usize] == Held::Timeout {
            // Still held: the action is held until the key's release.
            self.press(w.slot, action, w.dl, now, out);
            self.last_pressed = Some(w.slot);
        }
    }
}
