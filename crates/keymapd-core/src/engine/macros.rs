//! Macro playback: a macro is a list of steps in the keymap, replayed with a cursor; a delay is
//! a deadline that [`Engine::tick`] meets, so other keys are never frozen while a macro waits.

use super::{ms, Engine, LayerId, Sink, Slot, Time, MAIN};
use crate::keymap::{MacroId, MacroOp};

/// At most this many macros wait to play (one plays at a time, in order); a macro started
/// beyond that is dropped (it has not pressed anything, so nothing is stranded).
const MAX_PLAYBACKS: usize = 8;

/// How a held macro key repeats: first after `timeout` ms (0: never), then every `repeat` ms.
#[derive(Copy, Clone, Debug)]
pub(super) struct Timing {
    pub timeout: u32,
    pub repeat: u32,
}

/// The repetition of the macro whose key is held.
#[derive(Copy, Clone, Debug)]
pub(super) struct Repeat {
    pub slot: Slot,
    id: MacroId,
    dl: LayerId,
    timeout: u32,
    interval: u32,
    first: bool,
    /// Armed when the last playback of the macro ends.
    pub deadline: Option<Time>,
}

#[derive(Copy, Clone, Debug)]
struct Playback {
    id: MacroId,
    /// The layer the binding was found in: its modifiers are left out while it plays.
    dl: LayerId,
    pos: usize,
    /// When the next step is due.
    next: Time,
    repeating: bool,
}

/// The macros playing or waiting to, in a fixed ring.
pub(super) struct Playbacks {
    ring: [Playback; MAX_PLAYBACKS],
    head: usize,
    len: usize,
}

impl Playbacks {
    pub fn new() -> Playbacks {
        let p = Playback { id: 0, dl: MAIN, pos: 0, next: Time::ZERO, repeating: false };
        Playbacks { ring: [p; MAX_PLAYBACKS], head: 0, len: 0 }
    }
    pub fn clear(&mut self) {
        self.len = 0;
    }
    pub fn next_due(&self) -> Option<Time> {
        (self.len > 0).then(|| self.ring[self.head].next)
    }
    fn push(&mut self, p: Playback) -> bool {
        if self.len == MAX_PLAYBACKS {
            return false;
        }
        self.ring[(self.head + self.len) % MAX_PLAYBACKS] = p;
        self.len += 1;
        true
    }
    fn head(&mut self) -> Option<&mut Playback> {
        (self.len > 0).then(|| &mut self.ring[self.head])
    }
    fn pop(&mut self) -> Option<Playback> {
        if self.len == 0 {
            return None;
        }
        let p = self.ring[self.head];
        self.head = (self.head + 1) % MAX_PLAYBACKS;
        self.len -= 1;
        Some(p)
    }
}

impl Engine {
    /// Queues macro `id` (found in layer `dl`) to play from `now`; with `repeat`, the key in
    /// that slot repeats it while held.
    pub(super) fn start_macro(
        &mut self,
        id: MacroId,
        dl: LayerId,
        now: Time,
        repeat: Option<(Slot, Timing)>,
        out: &mut impl Sink,
    ) {
        let p = Playback { id, dl, pos: 0, next: now, repeating: repeat.is_some() };
        if !self.playbacks.push(p) {
            return;
        }
        if let Some((slot, t)) = repeat.filter(|(_, t)| t.timeout > 0) {
            self.repeat = Some(Repeat {
                slot,
                id,
                dl,
                timeout: t.timeout,
                interval: t.repeat.max(1),
                first: true,
                deadline: None,
            });
        }
        self.run_playback(now, out);
    }

    /// The held macro key's next repetition is due.
    pub(super) fn fire_repeat(&mut self, t: Time, out: &mut impl Sink) {
        let Some(r) = self.repeat.as_mut() else { return };
        r.deadline = None;
        let p = Playback { id: r.id, dl: r.dl, pos: 0, next: t, repeating: true };
        if self.playbacks.push(p) {
            self.run_playback(t, out);
        } else {
            self.repeat = None;
        }
    }

    /// Plays every macro step due at or before `now`.
    pub(super) fn run_playback(&mut self, now: Time, out: &mut impl Sink) {
        let seq = Time::from_micros(self.keymap.settings.macro_sequence_timeout_us.into());
        while let Some(&mut pb) = self.playbacks.head() {
            if pb.next > now {
                return;
            }
            let at = pb.next;
            let len = self.keymap.macro_ops(pb.id).len();
            let mut pos = pb.pos;
            let mut wait = None;
            while pos < len {
                let op = self.keymap.macro_ops(pb.id)[pos];
                pos += 1;
                match op {
                    MacroOp::Mods(m) => {
                        let target = m.union(self.layer_mods(pb.dl));
                        self.set_mods(target, false, out);
                    }
                    MacroOp::ModsDown(m) => self.set_mods(self.mods.union(m), true, out),
                    MacroOp::ModsUp(m) => self.set_mods(self.mods.minus(m), true, out),
                    MacroOp::Down(k) | MacroOp::Up(k) => {
                        if matches!(op, MacroOp::Down(_)) {
                            self.out_press(k, out);
                        } else {
                            self.out_release(k, out);
                        }
                        if seq > Time::ZERO && pos < len {
                            wait = Some(seq);
                            break;
                        }
                    }
                    MacroOp::Delay(d) => {
                        wait = Some(ms(d));
                        break;
                    }
                }
            }
            if let Some(w) = wait {
                if let Some(head) = self.playbacks.head() {
                    head.pos = pos;
                    head.next = at.saturating_add(w);
                }
                continue;
            }
            // Finished: the layers' modifiers come back, the next macro may start.
            self.update_mods(MAIN, false, out);
            self.playbacks.pop();
            if pb.repeating {
                if let Some(r) = self.repeat.as_mut().filter(|r| r.id == pb.id && r.deadline.is_none()) {
                    r.deadline = Some(at.saturating_add(ms(if r.first { r.timeout } else { r.interval })));
                    r.first = false;
                }
            }
            if let Some(next) = self.playbacks.head() {
                next.next = next.next.max(at);
            }
        }
    }
}
