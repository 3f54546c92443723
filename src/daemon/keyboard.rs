//! One claimed keyboard, in parts with one job each: its open device and the grab gate
//! ([`Keyboard`], [`GrabGate`]), the events read from it ([`InputQueue`]), moving them through
//! its engine and the merger into one output frame ([`Remap`]), its virtual clone (created at
//! the grab, written one frame at a time) and its LEDs (desktop → clone → keyboard). It never remaps by
//! itself and never allocates per event.

use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use evdev::raw_stream::RawDevice;

use crate::engine::{Engine, KeyEvent, Time};
use crate::keymap::Keymap;
use crate::keys::KeySet;
use crate::merger::{Merger, SourceId, SourceSink};
use crate::profile::DeviceInfo;

use super::devices::{self, Node};
use super::frame::Frame;
use super::input::{Decoder, InputQueue, Step};
use super::keystate::{self, Gate};
use super::sys::{self, input_event, EV_LED, EV_SYN, KEYBOARD_LEDS, SYN_REPORT};
use super::uinput::{self, CloneSpec, Output, PointerCaps, VirtualClone};

/// Grab retries while another program holds a keyboard: 0.1 s, doubling, this many times.
const BUSY_BACKOFF: Duration = Duration::from_millis(100);
const BUSY_TRIES: u32 = 7;

/// What happened while grabbing.
pub enum GrabResult {
    Grabbed,
    Waiting,
    /// The device went away (ENODEV).
    Gone,
    /// Another program holds a grab on it (EBUSY): tried again at [`Keyboard::retry_at`].
    Busy,
    /// The device is gone or cannot be grabbed; drop it (the message says why).
    Failed(String),
}

/// The grab gate's memory while a keyboard is not grabbed: whether the wait was logged, and
/// the retries while another program holds it.
#[derive(Default)]
struct GrabGate {
    logged: bool,
    retry_at: Option<Time>,
    busy_tries: u32,
}

impl GrabGate {
    /// One more EBUSY at `now`: when to try again, or `None` to give up.
    fn busy(&mut self, now: Time) -> Option<Time> {
        self.busy_tries += 1;
        if self.busy_tries > BUSY_TRIES {
            self.retry_at = None;
        } else {
            self.retry_at = Some(now + BUSY_BACKOFF * (1 << (self.busy_tries - 1)));
        }
        self.retry_at
    }
}

/// What the caller does after [`Remap::feed`].
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Fed {
    Nothing,
    /// The frame is complete: write [`Remap::frame`] out.
    Report,
    /// After SYN_DROPPED: read the kernel's key state and call [`Remap::resync`].
    Resync,
}

/// The remapping half of a claimed keyboard, device-free: its profile and keymap, the decoder,
/// its engine and merger source once grabbed, and the frame its output collects in.
pub struct Remap {
    profile: String,
    keymap: Arc<Keymap>,
    decoder: Decoder,
    engine: Option<(Box<Engine>, SourceId)>,
    frame: Frame,
    deadline: Option<Time>,
    /// The panic chord is held.
    panic: bool,
}

impl Remap {
    /// `kernel_clock`: the device's timestamps are on CLOCK_MONOTONIC (see [`Decoder`]).
    pub fn new(profile: String, keymap: Arc<Keymap>, kernel_clock: bool) -> Remap {
        Remap {
            profile,
            keymap,
            decoder: Decoder::new(kernel_clock),
            engine: None,
            frame: Frame::new(),
            deadline: None,
            panic: false,
        }
    }

    pub fn is_running(&self) -> bool {
        self.engine.is_some()
    }

    /// Starts a fresh engine and merger source, at a grab taken at `grabbed_at`.
    pub fn start(&mut self, grabbed_at: Option<Duration>, merger: &mut Merger) {
        self.decoder.restart(grabbed_at);
        self.deadline = None;
        self.engine = Some((Box::new(Engine::new(self.keymap.clone())), merger.add_source()));
    }

    /// Releases (into the frame) what the engine holds and forgets it; false if none ran.
    pub fn stop(&mut self, merger: &mut Merger) -> bool {
        self.deadline = None;
        let Some((_, src)) = self.engine.take() else { return false };
        merger.remove_source(src, &mut self.frame);
        true
    }

    /// Switches the mapping (the engine releases what the old one held first, into the frame).
    pub fn set_keymap(&mut self, keymap: Arc<Keymap>, merger: &mut Merger) {
        if let Some((engine, src)) = &mut self.engine {
            engine.set_keymap(keymap.clone(), &mut SourceSink { merger, src: *src, out: &mut self.frame });
            self.deadline = engine.next_deadline();
        }
        self.keymap = keymap;
    }

    /// One raw input event; `now` is asked only for devices without kernel timestamps.
    pub fn feed(&mut self, ev: &input_event, now: impl FnOnce() -> Time, merger: &mut Merger) -> Fed {
        match self.decoder.decode(ev, now) {
            Step::Key(key, scan) => self.key(key, scan, merger),
            Step::Report => return Fed::Report,
            Step::Resync => return Fed::Resync,
            Step::Panic(_) => self.panic = true,
            Step::Pointer(type_, code, value) => {
                self.frame.push_pointer_event(sys::new_event(type_, code, value))
            }
            Step::Nothing => {}
        }
        Fed::Nothing
    }

    /// After [`Fed::Resync`]: tells the engine how the kernel's key state `actual` differs from
    /// what it was told, releases first, into the frame.
    pub fn resync(&mut self, actual: &KeySet, merger: &mut Merger) {
        let Remap { decoder, engine, frame, deadline, .. } = self;
        let now = decoder.time();
        if !decoder.resync(actual, |ev| process(engine, frame, deadline, ev, None, now, merger)) {
            self.panic = true;
        }
    }

    fn key(&mut self, ev: KeyEvent, scan: Option<i32>, merger: &mut Merger) {
        let now = self.decoder.time();
        process(&mut self.engine, &mut self.frame, &mut self.deadline, ev, scan, now, merger);
    }

    /// Lets the engine's timers fire at `now`.
    pub fn tick(&mut self, now: Time, merger: &mut Merger) {
        if let Some((engine, src)) = &mut self.engine {
            let now = self.decoder.advance(now);
            self.deadline = engine.tick(now, &mut SourceSink { merger, src: *src, out: &mut self.frame });
        }
    }

    pub fn deadline(&self) -> Option<Time> {
        self.deadline
    }

    pub fn panicked(&self) -> bool {
        self.panic
    }

    pub fn frame(&mut self) -> &mut Frame {
        &mut self.frame
    }
}

/// One key change through the engine (if running) and the merger into the frame.
fn process(
    engine: &mut Option<(Box<Engine>, SourceId)>,
    frame: &mut Frame,
    deadline: &mut Option<Time>,
    ev: KeyEvent,
    scan: Option<i32>,
    now: Time,
    merger: &mut Merger,
) {
    let Some((engine, src)) = engine else { return };
    let mark = frame.mark();
    *deadline = engine.process(ev, now, &mut SourceSink { merger, src: *src, out: frame });
    frame.attach_scan(mark, ev, scan);
}

pub struct Keyboard {
    node: Node,
    label: String,
    dev: RawDevice,
    /// The original's identity, for its clone.
    info: DeviceInfo,
    /// Its virtual clone, from the grab on (see [`Keyboard::try_grab`]).
    clone: Option<VirtualClone>,
    /// LED state the desktop last wrote to the clone, by LED code.
    leds: [bool; 5],
    gate: GrabGate,
    input: InputQueue,
    remap: Remap,
    leds_warned: bool,
}

impl Keyboard {
    /// Prepares an opened device for the loop (non-blocking, monotonic timestamps); not grabbed yet.
    pub fn new(
        node: Node,
        dev: RawDevice,
        info: &DeviceInfo,
        profile: String,
        keymap: Arc<Keymap>,
    ) -> std::io::Result<Keyboard> {
        sys::set_nonblocking(dev.as_raw_fd())?;
        let kernel_clock = sys::use_monotonic_timestamps(dev.as_raw_fd());
        let mut remap = Remap::new(profile, keymap, kernel_clock);
        if info.is_pointer {
            // Claimed by its vendor:product or name: its pointer events go through unchanged.
            remap.decoder.pass_pointer();
        }
        Ok(Keyboard {
            node,
            label: devices::label(info),
            dev,
            info: info.clone(),
            clone: None,
            leds: [false; 5],
            gate: GrabGate::default(),
            input: InputQueue::new(),
            remap,
            leds_warned: false,
        })
    }

    pub fn fd(&self) -> RawFd {
        self.dev.as_raw_fd()
    }

    pub fn node(&self) -> &Node {
        &self.node
    }

    /// `vvvv:pppp name`, as log lines name it.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn keymap(&self) -> &Arc<Keymap> {
        &self.remap.keymap
    }

    /// The claiming profile's name.
    pub fn profile(&self) -> &str {
        &self.remap.profile
    }

    /// Tells the engine which application has the focus (its application layers).
    pub fn set_focus(&mut self, app_id: Option<&str>) {
        if let Some((e, _)) = self.remap.engine.as_mut() {
            e.set_focus(app_id);
        }
    }

    /// The engine's active layers, most recently activated first (none until grabbed).
    pub fn active_layers(&self) -> impl Iterator<Item = crate::keymap::LayerId> + '_ {
        self.remap.engine.iter().flat_map(|(e, _)| e.active_layers())
    }

    pub fn set_profile(&mut self, name: &str) {
        if self.remap.profile != name {
            self.remap.profile = name.to_owned();
        }
    }

    pub fn is_grabbed(&self) -> bool {
        self.remap.is_running()
    }

    /// The engine's next deadline.
    pub fn deadline(&self) -> Option<Time> {
        self.remap.deadline()
    }

    /// When to try the grab again after EBUSY.
    pub fn retry_at(&self) -> Option<Time> {
        self.gate.retry_at
    }

    /// Takes the retry time if it is due at `now`.
    pub fn retry_due(&mut self, now: Time) -> bool {
        let due = self.gate.retry_at.is_some_and(|t| t <= now);
        if due {
            self.gate.retry_at = None;
        }
        due
    }

    /// The panic chord is held.
    pub fn panicked(&self) -> bool {
        self.remap.panicked()
    }

    /// Whether its engine fired a `command(…)` not taken yet.
    pub fn has_commands(&self) -> bool {
        self.remap.frame.has_commands()
    }

    pub fn take_commands(&mut self) -> Option<Vec<String>> {
        self.remap.frame().take_commands()
    }

    /// Writes the frame to the clone (which exists whenever the engine runs).
    fn write(&mut self, out: &Output) {
        match &self.clone {
            Some(c) => c.write(self.remap.frame(), out),
            None => self.remap.frame().clear(),
        }
    }

    /// The clone, if the keyboard was grabbed.
    pub fn clone_dev(&self) -> Option<&VirtualClone> {
        self.clone.as_ref()
    }

    /// Takes the clone away (when the keyboard goes: the registry lets it linger a moment so
    /// that clients read the releases written to it).
    pub fn take_clone(&mut self) -> Option<VirtualClone> {
        self.clone.take()
    }

    /// What a clone of this keyboard running `keymap` is: the original's identity, its keys and
    /// LEDs and what the keymap emits.
    fn clone_spec(&self, keymap: &Keymap) -> CloneSpec {
        let original = KeySet::from_codes(self.dev.supported_keys().into_iter().flatten().map(|k| k.code()));
        let leds = self.dev.supported_leds();
        CloneSpec {
            name: self.info.name.clone(),
            bustype: self.info.bustype,
            vendor: self.info.vendor,
            product: self.info.product,
            version: self.dev.input_id().version(),
            phys: uinput::clone_phys(&self.info.phys, &self.node.devnode),
            keys: CloneSpec::keys_for(&original, keymap),
            leds: KEYBOARD_LEDS.filter(|&c| leds.is_some_and(|s| s.contains(evdev::LedCode(c)))).collect(),
            pointer: self.info.is_pointer.then(|| self.pointer_caps(&original, keymap)),
        }
    }

    /// A pointer keyboard's pointer capabilities, for its clone: its buttons and those `keymap`
    /// emits, relative and absolute axes (with their ranges) and input properties.
    fn pointer_caps(&self, original: &KeySet, keymap: &Keymap) -> PointerCaps {
        let rel = self.dev.supported_relative_axes().into_iter().flatten().map(|a| a.0).collect();
        let abs = match self.dev.get_absinfo() {
            Ok(axes) => axes
                .map(|(a, i)| {
                    (a.0, [i.value(), i.minimum(), i.maximum(), i.fuzz(), i.flat(), i.resolution()])
                })
                .collect(),
            Err(e) => {
                log::warn!("{}: cannot read its absolute axes: {e}", self.label);
                Vec::new()
            }
        };
        PointerCaps {
            buttons: CloneSpec::buttons_for(original, keymap),
            rel,
            abs,
            props: self.dev.properties().iter().map(|p| p.0).collect(),
        }
    }

    /// Creates the clone if there is none (at the grab; kept while the keyboard is claimed).
    fn ensure_clone(&mut self) -> Result<(), String> {
        if self.clone.is_none() {
            let spec = self.clone_spec(&self.remap.keymap.clone());
            let clone = VirtualClone::create(&spec)
                .map_err(|e| format!("cannot create the virtual clone of {}: {e}", self.label))?;
            self.clone = Some(clone);
        }
        Ok(())
    }

    /// Whether the clone declares every key `keymap` can emit (a reload to a keymap that emits
    /// more needs a new clone, see [`Keyboard::renew_clone`]).
    pub fn clone_fits(&self, keymap: &Keymap) -> bool {
        self.clone.as_ref().is_none_or(|c| c.fits(&self.clone_spec(keymap)))
    }

    /// A new clone for the current keymap; the old one is handed back (its keys already released).
    pub fn renew_clone(&mut self) -> Result<Option<VirtualClone>, String> {
        let old = self.clone.take();
        if let Err(e) = self.ensure_clone() {
            self.clone = old;
            return Err(e);
        }
        Ok(old)
    }

    /// At shutdown: releases on its clone what the keyboard holds, and ungrabs it (the clone
    /// stays until the daemon exits).
    pub fn release_for_exit(&mut self, merger: &mut Merger, out: &Output) {
        self.write(out);
        if self.remap.stop(merger) {
            self.write(out);
        }
        let _ = self.dev.ungrab();
    }

    /// The desktop wrote to the clone: returns true if its LEDs changed (then
    /// [`Keyboard::sync_leds`] forwards them to the keyboard).
    pub fn read_clone_leds(&mut self) -> bool {
        let Some(clone) = self.clone.as_mut() else { return false };
        let mut changed = false;
        let leds = &mut self.leds;
        if let Err(e) = clone.read_leds(|code, on| {
            if let Some(l) = leds.get_mut(code as usize) {
                changed |= *l != on;
                *l = on;
            }
        }) {
            log::warn!("{}: reading LED state from its virtual clone: {e}", self.label);
        }
        changed
    }

    /// Sets the keyboard's LEDs to what the desktop set on its clone.
    pub fn sync_leds(&mut self) {
        let leds = self.leds;
        self.set_leds(&leds);
    }

    fn kernel_keys(&self) -> std::io::Result<KeySet> {
        Ok(KeySet::from_codes(self.dev.get_key_state()?.iter().map(|k| k.code())))
    }

    /// The grab gate: drains what is queued (other clients saw it), grabs if no key is down, and
    /// checks again after EVIOCGRAB (a key pressed in between: ungrab and keep waiting).
    pub fn try_grab(&mut self, merger: &mut Merger) -> GrabResult {
        if self.is_grabbed() {
            return GrabResult::Grabbed;
        }
        loop {
            match self.input.fill(self.dev.as_raw_fd()) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc::ENODEV) => return GrabResult::Gone,
                Err(e) => return GrabResult::Failed(format!("reading {}: {e}", self.node.devnode.display())),
            }
        }
        self.input.clear();
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
            if !self.gate.logged {
                let names: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
                log::info!("waiting for {} to be released before grabbing {}", names.join("+"), self.label);
                self.gate.logged = true;
            }
            return GrabResult::Waiting;
        }
        let t0 = sys::clock_now(if self.remap.decoder.kernel_clock() {
            libc::CLOCK_MONOTONIC
        } else {
            libc::CLOCK_REALTIME
        });
        if let Err(e) = self.dev.grab() {
            if e.raw_os_error() == Some(libc::EBUSY) {
                return match self.gate.busy(sys::monotonic_now()) {
                    Some(_) => GrabResult::Busy,
                    None => GrabResult::Failed(format!(
                        "cannot grab {} ({}): another program (keyd, another keymapd, …) holds it; giving up",
                        self.label,
                        self.node.devnode.display()
                    )),
                };
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
        // The clone is made once the grab holds (so a keyboard another program holds never gets
        // one), before any input is read: it is there before the first key goes out.
        if let Err(e) = self.ensure_clone() {
            let _ = self.dev.ungrab();
            return GrabResult::Failed(e);
        }
        self.gate = GrabGate::default();
        self.input.clear();
        self.input.set_ready();
        self.remap.start(Some(t0), merger);
        GrabResult::Grabbed
    }

    /// Releases on the output what this keyboard holds, forgets its source and ungrabs it.
    pub fn release_and_ungrab(&mut self, merger: &mut Merger, out: &Output) {
        if self.remap.stop(merger) {
            self.write(out);
            let _ = self.dev.ungrab();
        }
        self.gate.logged = false;
    }

    /// Switches the mapping (the engine releases what the old one held first).
    pub fn set_keymap(&mut self, keymap: Arc<Keymap>, merger: &mut Merger, out: &Output) {
        self.remap.set_keymap(keymap, merger);
        self.write(out);
    }

    /// epoll reported the device: the next read may return events.
    pub fn set_ready(&mut self) {
        self.input.set_ready();
    }

    /// Whether it is worth reading now: grabbed, reported or not drained, nothing left unfed.
    pub fn wants_read(&self) -> bool {
        self.is_grabbed() && self.input.is_ready() && !self.input.has_input()
    }

    /// Whether read events are waiting to be fed.
    pub fn has_input(&self) -> bool {
        self.input.has_input()
    }

    /// Reads the next batch of events (call when [`Keyboard::has_input`] is false); `Ok(0)`: none.
    pub fn fill(&mut self) -> std::io::Result<usize> {
        self.input.fill(self.dev.as_raw_fd())
    }

    /// The timestamp of the next waiting event, for ordering frames across keyboards.
    pub fn next_time(&self) -> Option<Duration> {
        self.input.next_time()
    }

    /// Feeds the next waiting event; returns true if it ended a frame (SYN_REPORT).
    pub fn feed_next(&mut self, merger: &mut Merger, out: &Output) -> bool {
        let Some(ev) = self.input.pop() else { return true };
        match self.remap.feed(&ev, sys::monotonic_now, merger) {
            Fed::Report => self.write(out),
            Fed::Resync => self.resync(merger, out),
            Fed::Nothing => {}
        }
        ev.type_ == EV_SYN && ev.code == SYN_REPORT
    }

    /// After SYN_DROPPED: tell the engine the differences between what it was told and the
    /// kernel's key state (EVIOCGKEY), releases first, and write them as one frame.
    ///
    /// Done here rather than with evdev's `Device::fetch_events`: on a non-blocking fd (which
    /// the loop needs) evdev 0.13 takes its pending resync before `read`, and a `read` that
    /// returns EAGAIN then drops it, losing the synthesized releases.
    fn resync(&mut self, merger: &mut Merger, out: &Output) {
        let actual = match self.kernel_keys() {
            Ok(k) => k,
            Err(e) => {
                log::warn!("{}: cannot resync after dropped events: {e}", self.label);
                return;
            }
        };
        self.remap.resync(&actual, merger);
        self.write(out);
        log::warn!("{}: input events were dropped (SYN_DROPPED); key state resynced", self.label);
    }

    /// Lets the engine's timers fire.
    pub fn tick(&mut self, now: Time, merger: &mut Merger, out: &Output) {
        if self.is_grabbed() {
            self.remap.tick(now, merger);
            self.write(out);
        }
    }

    /// Sets the keyboard's LEDs to `leds` (indexed by LED code) in one write.
    fn set_leds(&mut self, leds: &[bool; 5]) {
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
