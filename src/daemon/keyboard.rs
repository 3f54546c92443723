//! One claimed keyboard: its open device, the grab gate, and moving its input frames through its
//! engine and the merger into one output frame. It never remaps by itself and never allocates per event.

use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use evdev::raw_stream::RawDevice;

use crate::engine::{Engine, KeyEvent, KeyValue, Time};
use crate::keymap::Keymap;
use crate::keys::{Key, KeySet};
use crate::merger::{Merger, SourceId, SourceSink};
use crate::profile::DeviceInfo;

use super::devices::{self, Node};
use super::frame::Frame;
use super::keystate::{self, Gate};
use super::sys::{
    self, input_event, EV_KEY, EV_LED, EV_MSC, EV_SYN, KEYBOARD_LEDS, MSC_SCAN, SYN_DROPPED, SYN_REPORT,
};
use super::uinput::VirtualKeyboard;

pub enum GrabState {
    /// Open and watched, not grabbed: waiting until no key is down on it.
    Waiting { logged: bool },
    /// Grabbed; its events go through `engine` into the merger as `src`.
    Grabbed { engine: Box<Engine>, src: SourceId },
}

/// What happened while grabbing.
pub enum GrabResult {
    Grabbed,
    Waiting,
    /// The device went away (ENODEV).
    Gone,
    /// Another program holds a grab on it (EBUSY): try again later.
    Busy,
    /// The device is gone or cannot be grabbed; drop it (the message says why).
    Failed(String),
}

pub struct Keyboard {
    pub node: Node,
    pub label: String,
    pub profile: String,
    pub keymap: Arc<Keymap>,
    pub dev: RawDevice,
    pub state: GrabState,
    /// The clock of the device's event timestamps (set to CLOCK_MONOTONIC when possible).
    clock: libc::clockid_t,
    /// Events stamped before this time were read by other clients too (see `keystate::before_grab`).
    grabbed_at: Option<Duration>,
    /// Physical keys down, as told to the engine.
    held: KeySet,
    /// The MSC_SCAN of the key event that comes next in this frame.
    scan: Option<i32>,
    /// Between SYN_DROPPED and the next SYN_REPORT: events are dropped, then state is resynced.
    dropping: bool,
    pub deadline: Option<Time>,
    /// When to try the grab again after EBUSY, and how many tries were busy.
    pub retry_at: Option<Time>,
    pub busy_tries: u32,
    pub frame: Frame,
    /// Whether a read may return events: set when epoll reports the fd (and at grab), kept
    /// after a read that filled the buffer, cleared by a shorter one. evdev wakes epoll for every
    /// new event, so a short read means drained: reading again would only return EAGAIN.
    pub ready: bool,
    /// Events read and not yet fed, `inbuf[in_pos..in_len]` (see `Daemon::pump`).
    inbuf: Box<[input_event; 64]>,
    in_pos: usize,
    in_len: usize,
    /// The engine's time of the last event fed: event timestamps, never going backwards.
    last_time: Time,
    /// The panic chord is held.
    pub panic: bool,
    leds_warned: bool,
}

impl Keyboard {
    /// Prepares an opened device for the loop (non-blocking, monotonic timestamps); not grabbed yet.
    pub fn new(
        node: Node,
        dev: RawDevice,
        info: DeviceInfo,
        profile: String,
        keymap: Arc<Keymap>,
    ) -> std::io::Result<Keyboard> {
        sys::set_nonblocking(dev.as_raw_fd())?;
        // Timestamps on CLOCK_MONOTONIC, the clock of the engine and the timerfd (EVIOCSCLOCKID
        // takes a pointer to the clock id).
        let mut clock_id: libc::c_int = libc::CLOCK_MONOTONIC;
        // SAFETY: EVIOCSCLOCKID reads one int.
        let clock = match unsafe { sys::ioctl_ptr(dev.as_raw_fd(), sys::EVIOCSCLOCKID, &mut clock_id) } {
            Ok(_) => libc::CLOCK_MONOTONIC,
            Err(e) => {
                log::debug!("EVIOCSCLOCKID: {e}; using CLOCK_REALTIME timestamps");
                libc::CLOCK_REALTIME
            }
        };
        let label = devices::label(&info);
        Ok(Keyboard {
            node,
            label,
            profile,
            keymap,
            dev,
            state: GrabState::Waiting { logged: false },
            clock,
            grabbed_at: None,
            held: KeySet::default(),
            scan: None,
            dropping: false,
            deadline: None,
            retry_at: None,
            busy_tries: 0,
            frame: Frame::new(),
            ready: true,
            inbuf: Box::new([sys::new_event(0, 0, 0); 64]),
            in_pos: 0,
            in_len: 0,
            last_time: Duration::ZERO,
            panic: false,
            leds_warned: false,
        })
    }

    pub fn fd(&self) -> RawFd {
        self.dev.as_raw_fd()
    }

    pub fn is_grabbed(&self) -> bool {
        matches!(self.state, GrabState::Grabbed { .. })
    }

    fn kernel_keys(&self) -> std::io::Result<KeySet> {
        Ok(KeySet::from_codes(self.dev.get_key_state()?.iter().map(|k| k.code())))
    }

    /// The grab gate: drains what is queued (other clients saw it), grabs if no key is down, and
    /// checks again after EVIOCGRAB (a key pressed in between: ungrab and keep waiting).
    pub fn try_grab(&mut self, buf: &mut [input_event], merger: &mut Merger) -> GrabResult {
        if self.is_grabbed() {
            return GrabResult::Grabbed;
        }
        loop {
            match sys::read_events(self.fd(), buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc::ENODEV) => return GrabResult::Gone,
                Err(e) => return GrabResult::Failed(format!("reading {}: {e}", self.node.devnode.display())),
            }
        }
        let keys = match self.kernel_keys() {
            Ok(k) => k,
            Err(e) => {
                return GrabResult::Failed(format!(
                    "reading the key state of {}: {e}",
                    self.node.devnode.display()
                ))
            }
        };
        if keystate::gate(&keys) == Gate::Wait {
            if let GrabState::Waiting { logged } = &mut self.state {
                if !*logged {
                    let names: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
                    log::info!(
                        "waiting for {} to be released before grabbing {}",
                        names.join("+"),
                        self.label
                    );
                    *logged = true;
                }
            }
            return GrabResult::Waiting;
        }
        let t0 = sys::clock_now(self.clock);
        if let Err(e) = self.dev.grab() {
            if e.raw_os_error() == Some(libc::EBUSY) {
                return GrabResult::Busy;
            }
            return GrabResult::Failed(format!(
                "cannot grab {} ({}): {e}; another program (keyd, another keymapd, …) may hold it",
                self.label,
                self.node.devnode.display()
            ));
        }
        match self.kernel_keys() {
            Ok(k) if keystate::gate(&k) == Gate::Grab => {}
            Ok(_) => {
                let _ = self.dev.ungrab();
                return GrabResult::Waiting;
            }
            Err(e) => {
                return GrabResult::Failed(format!(
                    "reading the key state of {}: {e}",
                    self.node.devnode.display()
                ))
            }
        }
        self.grabbed_at = Some(t0);
        self.in_pos = 0;
        self.in_len = 0;
        self.held.clear();
        self.scan = None;
        self.dropping = false;
        self.deadline = None;
        self.state = GrabState::Grabbed {
            engine: Box::new(Engine::new(self.keymap.clone())),
            src: merger.add_source(),
        };
        GrabResult::Grabbed
    }

    /// Releases on the output what this keyboard holds, forgets its source and ungrabs it.
    pub fn release_and_ungrab(&mut self, merger: &mut Merger, out: &VirtualKeyboard) {
        if let GrabState::Grabbed { src, .. } = self.state {
            merger.remove_source(src, &mut self.frame);
            out.write(&mut self.frame);
            let _ = self.dev.ungrab();
        }
        self.state = GrabState::Waiting { logged: false };
        self.deadline = None;
    }

    /// Switches the mapping (the engine releases what the old one held first).
    pub fn set_keymap(&mut self, keymap: Arc<Keymap>, merger: &mut Merger, out: &VirtualKeyboard) {
        if let GrabState::Grabbed { engine, src } = &mut self.state {
            engine.set_keymap(keymap.clone(), &mut SourceSink { merger, src: *src, out: &mut self.frame });
            out.write(&mut self.frame);
            self.deadline = engine.next_deadline();
        }
        self.keymap = keymap;
    }

    /// Whether read events are waiting to be fed.
    pub fn has_input(&self) -> bool {
        self.in_pos < self.in_len
    }

    /// Reads the next batch of events (call when [`Keyboard::has_input`] is false); `Ok(0)`: none.
    pub fn fill(&mut self) -> std::io::Result<usize> {
        let n = sys::read_events(self.fd(), &mut self.inbuf[..])?;
        self.in_pos = 0;
        self.in_len = n;
        self.ready = n == self.inbuf.len();
        Ok(n)
    }

    /// The timestamp of the next waiting event, for ordering frames across keyboards.
    pub fn next_time(&self) -> Option<Duration> {
        self.has_input().then(|| sys::event_time(&self.inbuf[self.in_pos]))
    }

    /// Feeds the next waiting event; returns true if it ended a frame (SYN_REPORT).
    pub fn feed_next(&mut self, merger: &mut Merger, out: &VirtualKeyboard) -> bool {
        if !self.has_input() {
            return true;
        }
        let ev = self.inbuf[self.in_pos];
        self.in_pos += 1;
        // The engine runs on event timestamps (CLOCK_MONOTONIC, like the timerfd), so that a
        // late wakeup does not stretch or shrink a hold; they never go backwards.
        let t = if self.clock == libc::CLOCK_MONOTONIC { sys::event_time(&ev) } else { sys::monotonic_now() };
        self.last_time = self.last_time.max(t);
        self.feed(&ev, self.last_time, merger, out);
        ev.type_ == EV_SYN && ev.code == SYN_REPORT
    }

    /// One input event of a grabbed keyboard. Output goes out at the frame's SYN_REPORT.
    fn feed(&mut self, ev: &input_event, now: Time, merger: &mut Merger, out: &VirtualKeyboard) {
        if let Some(t0) = self.grabbed_at {
            if keystate::before_grab(sys::event_time(ev), t0) {
                return;
            }
            self.grabbed_at = None;
        }
        if self.dropping {
            if ev.type_ == EV_SYN && ev.code == SYN_REPORT {
                self.dropping = false;
                self.resync(now, merger, out);
            }
            return;
        }
        match (ev.type_, ev.code) {
            (EV_SYN, SYN_REPORT) => {
                // A scan code describes a key of its own frame only (some keyboards send one
                // for a key with no key code).
                self.scan = None;
                out.write(&mut self.frame);
            }
            (EV_SYN, SYN_DROPPED) => {
                self.dropping = true;
                self.scan = None;
            }
            (EV_MSC, MSC_SCAN) => self.scan = Some(ev.value),
            (EV_KEY, code) => {
                let scan = self.scan.take();
                let (Some(key), Some(value)) = (Key::new(code), KeyValue::from_raw(ev.value)) else { return };
                // Physical repeats are dropped: the virtual keyboard autorepeats by itself.
                if value != KeyValue::Repeat {
                    self.key(KeyEvent::new(key, value), scan, now, merger);
                }
            }
            _ => {}
        }
    }

    fn key(&mut self, ev: KeyEvent, scan: Option<i32>, now: Time, merger: &mut Merger) {
        if !keystate::apply(&mut self.held, ev) {
            return;
        }
        if keystate::is_panic_chord(&self.held) {
            // The key completing the chord is not passed on (no stray Enter in the focused window).
            self.panic = true;
            return;
        }
        let GrabState::Grabbed { engine, src } = &mut self.state else { return };
        let mark = self.frame.mark();
        self.deadline = engine.process(ev, now, &mut SourceSink { merger, src: *src, out: &mut self.frame });
        self.frame.attach_scan(mark, ev, scan);
    }

    /// After SYN_DROPPED: tell the engine the differences between what it was told and the
    /// kernel's key state (EVIOCGKEY), releases first, and write them as one frame.
    ///
    /// Done here rather than with evdev's `Device::fetch_events`: on a non-blocking fd (which
    /// the loop needs) evdev 0.13 takes its pending resync before `read`, and a `read` that
    /// returns EAGAIN then drops it, losing the synthesized releases. Events queued after the
    /// drop that the resync already covers are then no-ops (`keystate::apply`).
    fn resync(&mut self, now: Time, merger: &mut Merger, out: &VirtualKeyboard) {
        let actual = match self.kernel_keys() {
            Ok(k) => k,
            Err(e) => {
                log::warn!("{}: cannot resync after dropped events: {e}", self.label);
                return;
            }
        };
        let tracked = self.held;
        keystate::resync(&tracked, &actual, |ev| self.key(ev, None, now, merger));
        out.write(&mut self.frame);
        log::warn!("{}: input events were dropped (SYN_DROPPED); key state resynced", self.label);
    }

    /// Lets the engine's timers fire.
    pub fn tick(&mut self, now: Time, merger: &mut Merger, out: &VirtualKeyboard) {
        if let GrabState::Grabbed { engine, src } = &mut self.state {
            self.last_time = self.last_time.max(now);
            self.deadline =
                engine.tick(self.last_time, &mut SourceSink { merger, src: *src, out: &mut self.frame });
            out.write(&mut self.frame);
        }
    }

    /// Sets the keyboard's LEDs to `leds` (indexed by LED code) in one write.
    pub fn set_leds(&mut self, leds: &[bool; 5]) {
        let supported = self.dev.supported_leds();
        let mut evs = [sys::new_event(0, 0, 0); 6];
        let mut n = 0;
        for code in KEYBOARD_LEDS {
            if supported.is_some_and(|s| s.contains(evdev::LedCode(code))) {
                evs[n] = sys::new_event(EV_LED, code, leds[code as usize] as i32);
                n += 1;
            }
        }
        if n == 0 {
            return;
        }
        evs[n] = sys::new_event(EV_SYN, SYN_REPORT, 0);
        log::debug!("{}: LEDs {:?}", self.label, &leds);
        if let Err(e) = sys::write_events(self.fd(), &evs[..=n]) {
            if !self.leds_warned {
                log::warn!("{}: cannot set its LEDs: {e}", self.label);
                self.leds_warned = true;
            }
        }
    }
}
