//! Chords (`"j+k" = "esc"`): keys struck together within `chord_timeout` act as one, after
//! `chord_hold_timeout` if set; anything else replays the keys as themselves.

use super::pending::{Kind, Pending, QEvent, Resolution};
use super::{ms, Engine, Held, LayerId, Sink, Time, MAIN};
use crate::keys::{Key, KEY_CNT};

/// An active chord: how many of its physical keys are still down.
#[derive(Copy, Clone, Debug)]
pub(super) struct ActiveChord {
    remaining: u8,
}

impl ActiveChord {
    pub const EMPTY: ActiveChord = ActiveChord { remaining: 0 };
}

/// A chord decision in progress.
#[derive(Copy, Clone, Debug)]
pub(super) struct ChordWait {
    /// A complete chord is waiting out `chord_hold_timeout`.
    hold: bool,
    /// When the last key of the candidate chord was struck.
    last: Time,
    /// The complete chord matched so far: its index in its layer's chords, and that layer.
    matched: Option<(usize, LayerId)>,
}

impl Engine {
    /// The layers whose chords count: main, the layout, and the active layers in order.
    fn chord_layers(&self) -> impl Iterator<Item = LayerId> + '_ {
        let layout = (self.layout != MAIN).then_some(self.layout);
        std::iter::once(MAIN).chain(layout).chain(self.acts[..self.n_acts].iter().map(|a| a.layer))
    }

    /// Starts a chord decision if `key` is in a chord of an active layer (the caller asks
    /// [`Keymap::in_a_chord`](crate::keymap::Keymap::in_a_chord) first: most keys are in none).
    pub(super) fn begin_chord(&mut self, key: Key, now: Time) -> bool {
        let candidate =
            self.chord_layers().any(|l| self.keymap.layer(l).chords().iter().any(|c| c.contains(key)));
        if !candidate {
            return false;
        }
        let slot = key.index() as super::Slot;
        self.pending = Some(Pending {
            slot,
            key,
            dl: MAIN,
            start: now,
            deadline: now.saturating_add(ms(self.keymap.settings.chord_timeout)),
            seen: 0,
            kind: Kind::Chord(ChordWait { hold: false, last: now, matched: None }),
            lapsed: false,
            replayed_at: None,
        });
        self.held[slot as usize] = Held::Pending;
        true
    }

    /// Matches the pending key plus the presses among the first `n` queued events against the
    /// chords of the active layers: the complete chord (of the most recently activated layer),
    /// and whether some longer chord could still complete.
    fn chord_match(&self, n: usize) -> (Option<(usize, LayerId)>, bool) {
        let Some(p) = self.pending else { return (None, false) };
        let pressed = || {
            std::iter::once(p.key).chain((0..n).map(|i| self.queue.get(i)).filter(|e| e.down).map(|e| e.key))
        };
        let count = pressed().count();
        let (mut full, mut partial) = (None, false);
        for l in self.chord_layers() {
            for (i, c) in self.keymap.layer(l).chords().iter().enumerate() {
                if !pressed().all(|k| c.contains(k)) {
                    continue;
                }
                if count == c.keys().len() {
                    full = Some((i, l));
                } else {
                    partial = true;
                }
            }
        }
        (full, partial)
    }

    fn wait_mut(&mut self) -> Option<&mut ChordWait> {
        match &mut self.pending {
            Some(Pending { kind: Kind::Chord(w), .. }) => Some(w),
            _ => None,
        }
    }

    pub(super) fn chord_on_event(&mut self, idx: usize) -> Option<Resolution> {
        let p = self.pending?;
        let Kind::Chord(w) = p.kind else { return None };
        let e = self.queue.get(idx);
        let s = &self.keymap.settings;
        let (chord_timeout, hold_timeout) = (ms(s.chord_timeout), ms(s.chord_hold_timeout));
        if w.hold {
            // Releasing a key of the complete chord before its hold time gives it up.
            let (ci, l) = w.matched?;
            let member = self.keymap.layer(l).chords()[ci].contains(e.key);
            return (!e.down && member).then_some(Resolution::Abort);
        }
        if !e.down {
            // Any release while the chord could still grow gives it up, even when the keys down
            // so far make a complete chord (`a+b` with `a+b+d`): its keys act on their own (keyd).
            return Some(Resolution::Abort);
        }
        let (full, partial) = self.chord_match(idx + 1);
        let pending = self.pending.as_mut()?;
        let Kind::Chord(w) = &mut pending.kind else { return None };
        w.last = e.time;
        w.matched = full;
        match (full, partial) {
            (None, false) => Some(Resolution::Abort),
            (_, true) => {
                pending.deadline = e.time.saturating_add(chord_timeout);
                None
            }
            (Some(_), false) if hold_timeout > Time::ZERO => {
                w.hold = true;
                pending.deadline = e.time.saturating_add(hold_timeout);
                None
            }
            (Some(_), false) => Some(Resolution::Chord(e.time)),
        }
    }

    pub(super) fn chord_on_timeout(&mut self) -> Option<Resolution> {
        let p = self.pending?;
        let Kind::Chord(w) = p.kind else { return None };
        let s = &self.keymap.settings;
        let (chord_timeout, hold_timeout) = (ms(s.chord_timeout), ms(s.chord_hold_timeout));
        if w.hold {
            return Some(Resolution::Chord(p.deadline));
        }
        if w.matched.is_none() {
            return Some(Resolution::Abort);
        }
        if hold_timeout > chord_timeout {
            let deadline = w.last.saturating_add(hold_timeout);
            if let Some(w) = self.wait_mut() {
                w.hold = true;
            }
            if let Some(p) = self.pending.as_mut() {
                p.deadline = deadline;
            }
            return None;
        }
        Some(Resolution::Chord(p.deadline))
    }

    /// The matched chord acts on a chord slot; its keys' presses leave the queue.
    pub(super) fn take_chord(&mut self, at: Time, out: &mut impl Sink) {
        let Some(p) = self.pending else { return };
        let Kind::Chord(ChordWait { matched: Some((ci, layer)), .. }) = p.kind else {
            return self.abort_chord();
        };
        let Some(i) = self.chords.iter().position(|c| c.remaining == 0) else {
            return self.abort_chord(); // every chord slot is in use: the keys act on their own
        };
        self.pending = None;
        let chord = self.keymap.layer(layer).chords()[ci];
        let n = chord.keys().len();
        self.held[p.slot as usize] = Held::Chorded(i as u8);
        for _ in 1..n {
            if let Some(e) = self.queue.pop_front() {
                self.held[e.key.index()] = Held::Chorded(i as u8);
            }
        }
        self.chords[i].remaining = n as u8;
        self.queue.mark_no_chord();
        let slot = (KEY_CNT + i) as super::Slot;
        self.repeat = None;
        self.press(slot, chord.action, layer, at, out);
        self.last_pressed = Some(slot);
    }

    /// Not a chord: the pending key and everything queued are replayed as plain keys.
    pub(super) fn abort_chord(&mut self) {
        let Some(p) = self.pending.take() else { return };
        self.held[p.slot as usize] = Held::No;
        self.queue.mark_no_chord();
        self.queue.push_front(QEvent { key: p.key, down: true, time: p.start, no_chord: true });
    }

    /// A key of active chord `i` went up; the chord's action is released with its last key.
    pub(super) fn chord_member_up(&mut self, i: u8, now: Time, out: &mut impl Sink) {
        let c = &mut self.chords[i as usize];
        c.remaining = c.remaining.saturating_sub(1);
        if c.remaining == 0 {
            let slot = (KEY_CNT + i as usize) as super::Slot;
            if self.timeout.is_some() {
                self.timeout_sees(slot, false, now, out);
            }
            self.release(slot, now, out);
        }
    }
}
