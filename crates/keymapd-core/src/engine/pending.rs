//! Decisions that wait: `overloadt()`, `overloadt2()`, `timeout()` and chords hold later key
//! events in a bounded queue until the pending key's meaning is known, then replay them.

use super::{Action, Engine, Held, LayerId, Sink, Slot, Time};
use crate::keys::{Key, KEY_CNT};

/// Events held back while a decision is pending. When the queue is nearly full, the pending
/// key resolves at once as if its time were up (a hold; a chord is taken or given up), and the
/// queue is replayed: no event is dropped and no key is stranded.
pub(super) const QUEUE_CAP: usize = 32;

/// A key event held back, with its time.
#[derive(Copy, Clone, Debug)]
pub(super) struct QEvent {
    pub key: Key,
    pub down: bool,
    pub time: Time,
    /// Replayed after a chord decision: not a chord candidate again (keyd).
    pub no_chord: bool,
}

/// A fixed-capacity ring buffer of [`QEvent`]s.
pub(super) struct Queue {
    buf: [QEvent; QUEUE_CAP],
    head: usize,
    len: usize,
}

impl Queue {
    pub fn new() -> Queue {
        let e = QEvent { key: Key::ESC, down: false, time: Time::ZERO, no_chord: false };
        Queue { buf: [e; QUEUE_CAP], head: 0, len: 0 }
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn clear(&mut self) {
        self.len = 0;
    }
    pub fn get(&self, i: usize) -> QEvent {
        self.buf[(self.head + i) % QUEUE_CAP]
    }
    pub fn push_back(&mut self, e: QEvent) {
        if self.len < QUEUE_CAP {
            self.buf[(self.head + self.len) % QUEUE_CAP] = e;
            self.len += 1;
        }
    }
    pub fn push_front(&mut self, e: QEvent) {
        if self.len < QUEUE_CAP {
            self.head = (self.head + QUEUE_CAP - 1) % QUEUE_CAP;
            self.buf[self.head] = e;
            self.len += 1;
        }
    }
    pub fn pop_front(&mut self) -> Option<QEvent> {
        if self.len == 0 {
            return None;
        }
        let e = self.buf[self.head];
        self.head = (self.head + 1) % QUEUE_CAP;
        self.len -= 1;
        Some(e)
    }
    /// Whether a press of `key` is among the first `n` entries.
    pub fn has_down(&self, key: Key, n: usize) -> bool {
        (0..n.min(self.len)).any(|i| {
            let e = self.get(i);
            e.down && e.key == key
        })
    }
    /// Whether the last queued event of `key` is a press; `None` if none is queued.
    pub fn last_of(&self, key: Key) -> Option<bool> {
        (0..self.len).rev().map(|i| self.get(i)).find(|e| e.key == key).map(|e| e.down)
    }
    pub fn mark_no_chord(&mut self) {
        for i in 0..self.len {
            self.buf[(self.head + i) % QUEUE_CAP].no_chord = true;
        }
    }
}

#[derive(Copy, Clone, Debug)]
pub(super) enum Kind {
    /// `overloadt(layer, tap, ms)` (hold = `layer(layer)`), `overloadt2` (`interrupt`: another
    /// key's full tap inside means hold). (`timeout()` does not queue: see `timeout.rs`.)
    TapHold {
        tap: Action,
        hold: Action,
        interrupt: bool,
    },
    Chord(super::chords::ChordWait),
}

/// The one decision pending, on the key in `slot`.
#[derive(Copy, Clone, Debug)]
pub(super) struct Pending {
    pub slot: Slot,
    pub key: Key,
    pub dl: LayerId,
    pub start: Time,
    pub deadline: Time,
    /// How many queue entries the decision has looked at.
    pub seen: usize,
    pub kind: Kind,
    /// Begun by a held-back event, replayed when its time was already up: keyd arms no timer
    /// for a time already past, so the next event decides it (as timed out), not the clock.
    pub lapsed: bool,
    /// When the held-back event that began it was replayed, if one did.
    pub replayed_at: Option<Time>,
}

impl Pending {
    /// When the clock decides it, if it does.
    pub fn timer(&self) -> Option<Time> {
        (!self.lapsed).then_some(self.deadline)
    }
}

pub(super) enum Resolution {
    /// Press this action on the pending slot at this time.
    Apply(Action, Time),
    /// The matched chord acts.
    Chord(Time),
    /// Not a chord: replay the keys as themselves.
    Abort,
}

impl Engine {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn begin_taphold(
        &mut self,
        slot: Slot,
        dl: LayerId,
        now: Time,
        wait: Time,
        tap: Action,
        hold: Action,
        interrupt: bool,
    ) {
        self.pending = Some(Pending {
            slot,
            key: Key::new(slot).unwrap_or(Key::ESC),
            dl,
            start: now,
            deadline: now.saturating_add(wait),
            seen: 0,
            kind: Kind::TapHold { tap, hold, interrupt },
            lapsed: false,
            replayed_at: None,
        });
    }

    /// A release of a key pressed before the pending one goes through at once (keyd).
    pub(super) fn bypasses_queue(&self, key: Key) -> bool {
        match &self.pending {
            Some(p) if matches!(p.kind, Kind::TapHold { .. }) => {
                !self.releases_pending(p, key) && !self.queue.has_down(key, self.queue.len())
            }
            _ => false,
        }
    }

    /// Whether releasing `key` releases the pending slot: its own key, or for a chord's slot,
    /// any of the chord's keys (the chord ends when its keys start going up).
    fn releases_pending(&self, p: &Pending, key: Key) -> bool {
        match (p.slot as usize).checked_sub(KEY_CNT) {
            None => key.index() == p.slot as usize,
            Some(i) => self.held[key.index()] == Held::Chorded(i as u8),
        }
    }

    /// Decides what can be decided at `now` and replays the queue, until a decision waits.
    pub(super) fn drain(&mut self, now: Time, out: &mut impl Sink) {
        loop {
            if self.pending.is_some() {
                match self.decide(now) {
                    Some(r) => self.resolve(r, out),
                    None => return,
                }
                continue;
            }
            let Some(e) = self.queue.pop_front() else { return };
            self.handle(e.key, e.down, e.time, e.no_chord, out);
            // A tap-hold decision begun by a replayed event, its time already up now: keyd
            // arms no timer for it (see `Pending::lapsed`).
            if let Some(p) = self.pending.as_mut() {
                if matches!(p.kind, Kind::TapHold { .. }) {
                    p.replayed_at = Some(now);
                }
            }
        }
    }

    /// Resolves the pending decision (and any that replaying starts) as if time were up.
    pub(super) fn force_resolve(&mut self, now: Time, out: &mut impl Sink) {
        while let Some(p) = self.pending.as_mut() {
            p.deadline = p.deadline.min(now);
            p.lapsed = false;
            p.replayed_at = None; // the clock decides it now, whatever the replay said
            if let Some(r) = self.decide(now) {
                self.resolve(r, out);
            }
        }
    }

    /// Walks the queued events (and the clock) past the pending decision until it is made.
    fn decide(&mut self, now: Time) -> Option<Resolution> {
        loop {
            let p = self.pending.as_ref()?;
            let (seen, deadline) = (p.seen, p.deadline);
            if seen < self.queue.len() {
                if self.queue.get(seen).time >= deadline {
                    if let Some(r) = self.on_timeout() {
                        return Some(r);
                    }
                    continue;
                }
                if let Some(p) = self.pending.as_mut() {
                    p.seen += 1;
                }
                if let Some(r) = self.on_event(seen) {
                    return Some(r);
                }
            } else if now >= deadline && !p.lapsed {
                if p.replayed_at.is_some_and(|r| deadline <= r) {
                    // The queue is replayed and its time was up before: no timer (keyd).
                    if let Some(p) = self.pending.as_mut() {
                        p.lapsed = true;
                    }
                    return None;
                }
                if let Some(r) = self.on_timeout() {
                    return Some(r);
                }
            } else {
                return None;
            }
        }
    }

    fn on_event(&mut self, idx: usize) -> Option<Resolution> {
        let p = self.pending?;
        let e = self.queue.get(idx);
        match p.kind {
            Kind::TapHold { tap, hold, interrupt } => {
                if !e.down && self.releases_pending(&p, e.key) {
                    // Released before its time.
                    Some(Resolution::Apply(tap, e.time))
                } else if interrupt && !e.down && self.queue.has_down(e.key, idx) {
                    Some(Resolution::Apply(hold, e.time))
                } else {
                    None
                }
            }
            Kind::Chord(_) => self.chord_on_event(idx),
        }
    }

    fn on_timeout(&mut self) -> Option<Resolution> {
        let p = self.pending?;
        match p.kind {
            Kind::TapHold { hold, .. } => Some(Resolution::Apply(hold, p.deadline)),
            Kind::Chord(_) => self.chord_on_timeout(),
        }
    }

    fn resolve(&mut self, r: Resolution, out: &mut impl Sink) {
        match r {
            Resolution::Apply(action, at) => {
                let Some(p) = self.pending.take() else { return };
                self.held[p.slot as usize] = Held::No;
                self.press(p.slot, action, p.dl, at, out);
                self.last_pressed = Some(p.slot);
            }
            Resolution::Chord(at) => self.take_chord(at, out),
            Resolution::Abort => self.abort_chord(),
        }
    }
}
