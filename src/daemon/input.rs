//! The one input pipeline from a keyboard's raw `input_event`s to engine input, shared by the
//! daemon (a grabbed keyboard) and the live `keymapd test`: the read buffer ([`InputQueue`]) and
//! the pure [`Decoder`] (EV_KEY decoding, MSC_SCAN, SYN_DROPPED resync with releases first,
//! held-key state, the panic chord, and the engine's time taken from the kernel's timestamps).
//! The decoder never reads a device or a clock itself: it is unit-tested without devices.

use std::os::fd::RawFd;
use std::time::Duration;

use crate::engine::{KeyEvent, KeyValue, Time};
use crate::keys::{Key, KeySet};

use super::keystate;
use super::sys::{
    self, input_event, EV_ABS, EV_KEY, EV_MSC, EV_REL, EV_SYN, MSC_SCAN, SYN_DROPPED, SYN_REPORT,
};

/// What one raw event means for the engine.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Step {
    /// Nothing to do (another event type, a repeat, a duplicate, a dropped frame, …).
    Nothing,
    /// A key change for the engine at [`Decoder::time`], with the MSC_SCAN of its frame.
    Key(KeyEvent, Option<i32>),
    /// SYN_REPORT: the frame is complete, its output goes out now.
    Report,
    /// The frame after SYN_DROPPED is over: read the kernel's key state (EVIOCGKEY) and pass it
    /// to [`Decoder::resync`].
    Resync,
    /// This key completed the panic chord (backspace+escape+enter); it is not passed on.
    Panic(KeyEvent),
    /// A pointer event of a keyboard that also moves a pointer (relative and absolute axes,
    /// buttons): passed through unchanged, in its frame, as (type, code, value).
    Pointer(u16, u16, i32),
}

/// Decodes one keyboard's raw events into engine input.
#[derive(Debug)]
pub struct Decoder {
    /// Whether the event timestamps are on CLOCK_MONOTONIC (EVIOCSCLOCKID), the clock of the
    /// engine and the timerfd; if not, each event is stamped with the clock when it is decoded.
    kernel_clock: bool,
    /// Events stamped before this time were read by other clients too (see `keystate::before_grab`).
    skip_before: Option<Duration>,
    /// Physical keys down, as told to the engine.
    held: KeySet,
    /// The MSC_SCAN of the key event that comes next in this frame.
    scan: Option<i32>,
    /// Between SYN_DROPPED and the next SYN_REPORT: events are dropped, then state is resynced.
    dropping: bool,
    /// The engine's time of the last event: event timestamps, never going backwards.
    time: Time,
    /// The device also moves a pointer: its axes and buttons pass through ([`Step::Pointer`]).
    pointer: bool,
}

impl Decoder {
    pub fn new(kernel_clock: bool) -> Decoder {
        Decoder {
            kernel_clock,
            skip_before: None,
            held: KeySet::default(),
            scan: None,
            dropping: false,
            time: Duration::ZERO,
            pointer: false,
        }
    }

    /// For a keyboard that also moves a pointer: its relative and absolute axes and its buttons
    /// (every key code that is not a keyboard key) pass through unchanged, never remapped.
    pub fn pass_pointer(&mut self) {
        self.pointer = true;
    }

    fn is_pointer_event(&self, ev: &input_event) -> bool {
        self.pointer
            && (ev.type_ == EV_REL
                || ev.type_ == EV_ABS
                || (ev.type_ == EV_KEY && !Key::new(ev.code).is_some_and(Key::is_keyboard_key)))
    }

    /// Starts over with nothing held, e.g. at a grab taken at `grabbed_at`: events stamped
    /// before it are skipped (other clients saw them).
    pub fn restart(&mut self, grabbed_at: Option<Duration>) {
        self.skip_before = grabbed_at;
        self.held.clear();
        self.scan = None;
        self.dropping = false;
    }

    /// Whether the device's timestamps are on the engine's clock (CLOCK_MONOTONIC).
    pub fn kernel_clock(&self) -> bool {
        self.kernel_clock
    }

    /// The engine's time for the event decoded last (and for the keys of a resync).
    pub fn time(&self) -> Time {
        self.time
    }

    /// Moves the engine's time to `now` for a timer (never backwards); returns it.
    pub fn advance(&mut self, now: Time) -> Time {
        self.time = self.time.max(now);
        self.time
    }

    /// Decodes one raw event. `now` gives the clock's time, asked only if the device's
    /// timestamps are not on the engine's clock.
    pub fn decode(&mut self, ev: &input_event, now: impl FnOnce() -> Time) -> Step {
        // The engine runs on event timestamps (CLOCK_MONOTONIC, like the timerfd), so that a late
        // wakeup or a batch of events read at once does not stretch or shrink a hold.
        let stamp = sys::event_time(ev);
        self.advance(if self.kernel_clock { stamp } else { now() });
        if let Some(t0) = self.skip_before {
            if keystate::before_grab(stamp, t0) {
                return Step::Nothing;
            }
            self.skip_before = None;
        }
        if self.dropping {
            if ev.type_ == EV_SYN && ev.code == SYN_REPORT {
                self.dropping = false;
                return Step::Resync;
            }
            return Step::Nothing;
        }
        if self.is_pointer_event(ev) {
            return Step::Pointer(ev.type_, ev.code, ev.value);
        }
        match (ev.type_, ev.code) {
            (EV_SYN, SYN_REPORT) => {
                // A scan code describes a key of its own frame only (some keyboards send one
                // for a key with no key code).
                self.scan = None;
                Step::Report
            }
            (EV_SYN, SYN_DROPPED) => {
                self.dropping = true;
                self.scan = None;
                Step::Nothing
            }
            (EV_MSC, MSC_SCAN) => {
                self.scan = Some(ev.value);
                Step::Nothing
            }
            (EV_KEY, code) => {
                let scan = self.scan.take();
                let (Some(key), Some(value)) = (Key::new(code), KeyValue::from_raw(ev.value)) else {
                    return Step::Nothing;
                };
                // Physical repeats are dropped: the virtual clone autorepeats by itself.
                if value == KeyValue::Repeat {
                    return Step::Nothing;
                }
                match self.accept(KeyEvent::new(key, value)) {
                    Accept::Pass(ev) => Step::Key(ev, scan),
                    Accept::Drop => Step::Nothing,
                    Accept::Panic(ev) => Step::Panic(ev),
                }
            }
            _ => Step::Nothing,
        }
    }

    /// After [`Step::Resync`]: the key changes that take what the engine was told to the kernel's
    /// `actual` state, releases first (so nothing is typed with a stale modifier). Events queued
    /// after the drop that this already covers are then no-ops. Returns false if a key of it
    /// completed the panic chord (that key is not emitted).
    pub fn resync(&mut self, actual: &KeySet, mut emit: impl FnMut(KeyEvent)) -> bool {
        let tracked = self.held;
        // A pointer keyboard's buttons pass through and are never the engine's.
        let keys;
        let actual = if self.pointer {
            keys = KeySet::from_codes(actual.iter().filter(|k| k.is_keyboard_key()).map(Key::code));
            &keys
        } else {
            actual
        };
        let mut calm = true;
        keystate::resync(&tracked, actual, |ev| match self.accept(ev) {
            Accept::Pass(ev) => emit(ev),
            Accept::Drop => {}
            Accept::Panic(_) => calm = false,
        });
        calm
    }

    fn accept(&mut self, ev: KeyEvent) -> Accept {
        if !keystate::apply(&mut self.held, ev) {
            Accept::Drop
        } else if keystate::is_panic_chord(&self.held) {
            Accept::Panic(ev)
        } else {
            Accept::Pass(ev)
        }
    }
}

enum Accept {
    Pass(KeyEvent),
    Drop,
    Panic(KeyEvent),
}

/// Events read from a device and not yet decoded: one `read` fills it, events are taken one by
/// one (the daemon interleaves keyboards by timestamp between them).
pub struct InputQueue {
    buf: Box<[input_event; 64]>,
    pos: usize,
    len: usize,
    /// Whether a read may return events: set when epoll reports the fd (and at grab), kept
    /// after a read that filled the buffer, cleared by a shorter one. evdev wakes epoll for every
    /// new event, so a short read means drained: reading again would only return EAGAIN.
    ready: bool,
}

impl InputQueue {
    pub fn new() -> InputQueue {
        InputQueue { buf: Box::new([sys::new_event(0, 0, 0); 64]), pos: 0, len: 0, ready: true }
    }

    /// Forgets what was read and not taken.
    pub fn clear(&mut self) {
        self.pos = 0;
        self.len = 0;
    }

    /// Whether read events are waiting to be taken.
    pub fn has_input(&self) -> bool {
        self.pos < self.len
    }

    pub fn is_ready(&self) -> bool {
        self.ready
    }

    /// epoll reported the device (or it was just grabbed): the next read may return events.
    pub fn set_ready(&mut self) {
        self.ready = true;
    }

    /// Reads the next batch from `fd` (call when [`InputQueue::has_input`] is false); `Ok(0)`: none.
    pub fn fill(&mut self, fd: RawFd) -> std::io::Result<usize> {
        let n = sys::read_events(fd, &mut self.buf[..])?;
        self.pos = 0;
        self.len = n;
        self.ready = n == self.buf.len();
        Ok(n)
    }

    /// The timestamp of the next waiting event, for ordering frames across keyboards.
    pub fn next_time(&self) -> Option<Duration> {
        self.has_input().then(|| sys::event_time(&self.buf[self.pos]))
    }

    /// Takes the next waiting event.
    pub fn pop(&mut self) -> Option<input_event> {
        let ev = *self.buf[..self.len].get(self.pos)?;
        self.pos += 1;
        Some(ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use input_sys::event_at;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn k(code: u16) -> Key {
        Key::new(code).unwrap_or_else(|| panic!("no key {code}"))
    }

    fn wall() -> Time {
        ms(999_999)
    }

    #[test]
    fn keys_come_with_their_timestamp_and_their_frame_scan_code() {
        let mut d = Decoder::new(true);
        assert_eq!(d.decode(&event_at(ms(10), EV_MSC, MSC_SCAN, 0x70004), wall), Step::Nothing);
        assert_eq!(
            d.decode(&event_at(ms(10), EV_KEY, 30, 1), wall),
            Step::Key(KeyEvent::down(k(30)), Some(0x70004))
        );
        assert_eq!(d.time(), ms(10));
        assert_eq!(d.decode(&event_at(ms(10), EV_SYN, SYN_REPORT, 0), wall), Step::Report);
        // The scan code belonged to its frame; repeats and duplicates are dropped.
        assert_eq!(d.decode(&event_at(ms(40), EV_KEY, 30, 2), wall), Step::Nothing);
        assert_eq!(d.decode(&event_at(ms(50), EV_KEY, 30, 1), wall), Step::Nothing);
        assert_eq!(d.decode(&event_at(ms(60), EV_KEY, 30, 0), wall), Step::Key(KeyEvent::up(k(30)), None));
        assert_eq!(d.time(), ms(60));
        // Time never goes backwards, and a timer moves it on.
        d.decode(&event_at(ms(55), EV_SYN, SYN_REPORT, 0), wall);
        assert_eq!(d.time(), ms(60));
        assert_eq!(d.advance(ms(70)), ms(70));
    }

    #[test]
    fn a_pointer_keyboards_axes_and_buttons_pass_through_its_keys_are_decoded() {
        let mut d = Decoder::new(true);
        // An ordinary keyboard: a button is a key for the engine, an axis is dropped.
        assert_eq!(d.decode(&event_at(ms(1), EV_REL, 0, 5), wall), Step::Nothing);
        assert_eq!(
            d.decode(&event_at(ms(1), EV_KEY, 0x110, 1), wall),
            Step::Key(KeyEvent::down(k(0x110)), None)
        );
        let mut d = Decoder::new(true);
        d.pass_pointer();
        assert_eq!(d.decode(&event_at(ms(1), EV_REL, 0, 5), wall), Step::Pointer(EV_REL, 0, 5));
        assert_eq!(d.decode(&event_at(ms(1), EV_REL, 1, -3), wall), Step::Pointer(EV_REL, 1, -3));
        assert_eq!(d.decode(&event_at(ms(1), EV_ABS, 0, 700), wall), Step::Pointer(EV_ABS, 0, 700));
        assert_eq!(d.decode(&event_at(ms(1), EV_KEY, 0x110, 1), wall), Step::Pointer(EV_KEY, 0x110, 1));
        assert_eq!(d.decode(&event_at(ms(1), EV_KEY, 30, 1), wall), Step::Key(KeyEvent::down(k(30)), None));
        assert_eq!(d.decode(&event_at(ms(1), EV_SYN, SYN_REPORT, 0), wall), Step::Report);
        // A resync never hands the engine a button the kernel says is down.
        d.decode(&event_at(ms(2), EV_SYN, SYN_DROPPED, 0), wall);
        assert_eq!(d.decode(&event_at(ms(3), EV_SYN, SYN_REPORT, 0), wall), Step::Resync);
        let mut got = Vec::new();
        assert!(d.resync(&KeySet::from_codes([30, 0x110]), |e| got.push(e)));
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn without_kernel_timestamps_the_clock_stamps_each_event() {
        let mut d = Decoder::new(false);
        d.decode(&event_at(ms(10), EV_KEY, 30, 1), || ms(500));
        assert_eq!(d.time(), ms(500));
    }

    #[test]
    fn a_dropped_frame_asks_for_a_resync_that_releases_first() {
        let mut d = Decoder::new(true);
        d.decode(&event_at(ms(1), EV_KEY, 42, 1), wall);
        d.decode(&event_at(ms(1), EV_KEY, 30, 1), wall);
        assert_eq!(d.decode(&event_at(ms(2), EV_SYN, SYN_DROPPED, 0), wall), Step::Nothing);
        assert_eq!(d.decode(&event_at(ms(3), EV_KEY, 48, 1), wall), Step::Nothing);
        assert_eq!(d.decode(&event_at(ms(3), EV_SYN, SYN_REPORT, 0), wall), Step::Resync);
        let mut out = vec![];
        assert!(d.resync(&KeySet::from_codes([42, 48]), |e| out.push(e)));
        assert_eq!(out, vec![KeyEvent::up(k(30)), KeyEvent::down(k(48))]);
        // A queued press the resync already covered is a no-op.
        assert_eq!(d.decode(&event_at(ms(4), EV_KEY, 48, 1), wall), Step::Nothing);
    }

    #[test]
    fn the_key_completing_the_panic_chord_is_not_passed_on() {
        let mut d = Decoder::new(true);
        d.decode(&event_at(ms(1), EV_KEY, Key::BACKSPACE.code(), 1), wall);
        d.decode(&event_at(ms(1), EV_KEY, Key::ESC.code(), 1), wall);
        let enter = event_at(ms(2), EV_KEY, Key::ENTER.code(), 1);
        assert_eq!(d.decode(&enter, wall), Step::Panic(KeyEvent::down(Key::ENTER)));
        // Through a resync as well.
        let mut d = Decoder::new(true);
        d.decode(&event_at(ms(1), EV_SYN, SYN_DROPPED, 0), wall);
        d.decode(&event_at(ms(1), EV_SYN, SYN_REPORT, 0), wall);
        let mut out = vec![];
        assert!(!d.resync(&KeySet::from_codes([14, 1, 28]), |e| out.push(e)));
        assert_eq!(out, vec![KeyEvent::down(Key::ESC), KeyEvent::down(Key::BACKSPACE)]);
    }

    #[test]
    fn events_from_before_the_grab_are_skipped() {
        let mut d = Decoder::new(true);
        d.restart(Some(ms(100)));
        assert_eq!(d.decode(&event_at(ms(99), EV_KEY, 30, 1), wall), Step::Nothing);
        assert_eq!(d.decode(&event_at(ms(100), EV_KEY, 31, 1), wall), Step::Key(KeyEvent::down(k(31)), None));
        // Once one event is past the grab, later ones are never compared again.
        assert_eq!(d.decode(&event_at(ms(50), EV_KEY, 30, 1), wall), Step::Key(KeyEvent::down(k(30)), None));
    }
}
