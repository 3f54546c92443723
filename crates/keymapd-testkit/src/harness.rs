//! The invariant checker shared by `tests/props.rs`, `tests/props_regressions.rs`, `tests/hostile.rs` and the fuzz
//! targets: several engines feeding one merger, driven by [`Op`]s, every output stream checked.
//!
//! What it checks, after every step and at the end of a run:
//! - per engine and on the merged output: no press of a key already down, no release of a key
//!   that is not down, no repeat of a key that is not down;
//! - the engine's own view (`output_down`, `is_idle`, `next_deadline`) agrees with its stream, the
//!   merger's `is_down` agrees with the merged stream, and the merged output is exactly the union
//!   of what the live engines hold;
//! - `process` never returns a deadline in the past, and `tick` always moves the deadline forward;
//! - `release_all` (shutdown) and `remove_source` (unplug) leave nothing of theirs down;
//! - at the end, once every physical key is up and every timer has run out, no engine holds a key
//!   (unless a profile has latching actions: toggles, oneshots, ...), and after `release_all`
//!   nothing at all is down.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use keymapd_core::engine::{Engine, KeyEvent, KeyValue, Sink, Time};
use keymapd_core::keymap::{Action, Keymap};
use keymapd_core::keys::{Key, KEY_CNT};
use keymapd_core::merger::{Merger, SourceId};

/// At most this many devices exist at once; an [`Op::Add`] beyond it is ignored.
pub const MAX_DEVICES: usize = 4;
/// A run that needs more timer firings than this within one advance is reported (a timer storm).
const MAX_TICKS_PER_ADVANCE: usize = 1_000_000;

/// One step of a simulated session. Device and profile numbers are taken modulo the number of
/// live devices / available keymaps, so every value is meaningful (fuzzers and shrinkers like that).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// A physical key event on a device.
    Key { dev: u8, key: Key, value: KeyValue },
    /// Let time pass; every engine's timers fire at their exact deadlines, in deadline order.
    Advance { ms: u32 },
    /// The device's engine switches to another keymap (a profile reload).
    Reload { dev: u8, profile: u8 },
    /// Every device switches to the same keymap at once.
    ReloadAll { profile: u8 },
    /// The device is unplugged: its merger source is removed (releasing what it held) and its
    /// engine dropped.
    Remove { dev: u8 },
    /// A new device appears, running `profile`.
    Add { profile: u8 },
    /// One engine releases everything (the daemon's release of one keyboard).
    ReleaseDev { dev: u8 },
    /// Shutdown: every engine releases everything, then the merger releases every source; the
    /// output must then be all up. The simulation carries on (as after a restart).
    Shutdown,
    /// `tick` with nothing due (a spurious timer wakeup).
    SpuriousTick { dev: u8 },
    /// The focused application changes to [`FOCUS_APPS`]`[app % len]`, on every engine (as the
    /// daemon does on a focus report); devices added later start with it.
    Focus { app: u8 },
}

/// The application ids an [`Op::Focus`] chooses from (`None`: no window has the focus).
pub const FOCUS_APPS: [Option<&str>; 4] = [None, Some("kitty"), Some("org.gnome.Terminal"), Some("firefox")];

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::Key { dev, key, value } => write!(f, "dev{dev} {key} {}", value.as_str()),
            Op::Advance { ms } => write!(f, "{ms}ms"),
            Op::Reload { dev, profile } => write!(f, "dev{dev} reload profile{profile}"),
            Op::ReloadAll { profile } => write!(f, "reload all profile{profile}"),
            Op::Remove { dev } => write!(f, "dev{dev} removed"),
            Op::Add { profile } => write!(f, "add device with profile{profile}"),
            Op::ReleaseDev { dev } => write!(f, "dev{dev} release_all"),
            Op::Shutdown => write!(f, "shutdown"),
            Op::SpuriousTick { dev } => write!(f, "dev{dev} spurious tick"),
            Op::Focus { app } => match FOCUS_APPS[*app as usize % FOCUS_APPS.len()] {
                Some(id) => write!(f, "focus {id}"),
                None => write!(f, "focus"),
            },
        }
    }
}

/// The keys a stream has down (a bit set: cheap to compare, so that the fuzzer stays fast).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KeyState([u64; WORDS]);

const WORDS: usize = KEY_CNT.div_ceil(64);

impl KeyState {
    /// Applies one event of a stream; `Err` names the violation.
    pub fn apply(&mut self, ev: KeyEvent) -> Result<(), String> {
        let down = self.is_down(ev.key);
        match ev.value {
            KeyValue::Down if down => Err(format!("press of `{}`, which is already down", ev.key)),
            KeyValue::Up if !down => Err(format!("release of `{}`, which is not down", ev.key)),
            KeyValue::Repeat if !down => Err(format!("repeat of `{}`, which is not down", ev.key)),
            KeyValue::Down | KeyValue::Up => {
                self.set(ev.key, ev.value == KeyValue::Down);
                Ok(())
            }
            KeyValue::Repeat => Ok(()),
        }
    }
    pub fn is_down(&self, key: Key) -> bool {
        self.0[key.index() / 64] & (1 << (key.index() % 64)) != 0
    }
    pub fn set(&mut self, key: Key, down: bool) {
        let (w, b) = (key.index() / 64, 1u64 << (key.index() % 64));
        if down {
            self.0[w] |= b;
        } else {
            self.0[w] &= !b;
        }
    }
    pub fn keys(&self) -> Vec<Key> {
        self.iter().collect()
    }
    /// The keys down, in code order.
    pub fn iter(&self) -> impl Iterator<Item = Key> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &bits)| {
            let mut bits = bits;
            std::iter::from_fn(move || {
                let b = bits.trailing_zeros();
                (bits != 0).then(|| {
                    bits &= bits - 1;
                    w * 64 + b as usize
                })
            })
            .filter_map(|i| Key::new(i as u16))
        })
    }
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }
    fn union_with(&mut self, other: &KeyState) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }
    fn from_keys(keys: impl Iterator<Item = Key>) -> KeyState {
        let mut s = KeyState::default();
        keys.for_each(|k| s.set(k, true));
        s
    }
}

fn names(keys: &[Key]) -> String {
    let v: Vec<&str> = keys.iter().map(|k| k.name()).collect();
    format!("[{}]", v.join(", "))
}

/// Whether an action is known to leave nothing down once its key is up and its timers have run
/// out: everything but oneshots, toggles and swaps (and, to be safe, any action added later).
fn settles(keymap: &Keymap, a: Action, depth: u32) -> bool {
    if depth > 8 {
        return false;
    }
    let nested = |id| settles(keymap, keymap.action(id), depth + 1);
    match a {
        Action::Key { .. }
        | Action::Modifier { .. }
        | Action::Layer(_)
        | Action::LayerM(..)
        | Action::Clear
        | Action::ClearM(_)
        | Action::SetLayout(_)
        | Action::Macro(_)
        | Action::Macro2 { .. }
        | Action::Repeat
        | Action::Command(_)
        | Action::Noop => true,
        Action::Overload { tap, .. } | Action::OverloadT { tap, .. } => nested(tap),
        Action::OverloadI { fast, slow, .. } => nested(fast) && nested(slow),
        Action::Timeout { tap, hold, .. } => nested(tap) && nested(hold),
        _ => false,
    }
}

/// Whether every binding and chord of `keymap` settles (see [`settles`]).
pub fn keymap_settles(keymap: &Keymap) -> bool {
    keymap.layers().iter().all(|l| {
        l.bindings().all(|(_, a)| settles(keymap, a, 0))
            && l.chords().iter().all(|c| settles(keymap, c.action, 0))
    })
}

/// Checked streams and a log of what happened, shared by every sink of one step.
struct Log {
    errors: Vec<String>,
    trace: Option<Vec<String>>,
}

impl Log {
    fn note(&mut self, f: impl FnOnce() -> String) {
        if let Some(t) = &mut self.trace {
            t.push(f());
        }
    }
}

/// The merged output: checked, then logged.
struct MergedSink<'a> {
    state: &'a mut KeyState,
    /// Every key the merged stream has ever pressed.
    seen: &'a mut KeyState,
    log: &'a mut Log,
}

impl Sink for MergedSink<'_> {
    fn key(&mut self, ev: KeyEvent) {
        if let Err(e) = self.state.apply(ev) {
            self.log.errors.push(format!("merged output: {e}"));
        }
        self.seen.set(ev.key, true);
        self.log.note(|| format!("    => {ev}"));
    }
}

/// One engine's output: checked, then handed to the merger as that engine's source.
struct EngineSink<'a> {
    dev: usize,
    state: &'a mut KeyState,
    merger: &'a mut Merger,
    src: SourceId,
    merged: &'a mut KeyState,
    seen: &'a mut KeyState,
    log: &'a mut Log,
}

impl Sink for EngineSink<'_> {
    fn key(&mut self, ev: KeyEvent) {
        if let Err(e) = self.state.apply(ev) {
            self.log.errors.push(format!("engine of dev{}: {e}", self.dev));
        }
        let dev = self.dev;
        self.log.note(|| format!("  dev{dev} -> {ev}"));
        let mut merged = MergedSink { state: self.merged, seen: self.seen, log: self.log };
        self.merger.event(self.src, ev, &mut merged);
    }
}

struct Device {
    engine: Engine,
    src: SourceId,
    /// What the engine's output stream has down.
    out: KeyState,
    /// What is physically down on the device (the last down/up seen per key).
    physical: KeyState,
    deadline: Option<Time>,
}

/// A simulated daemon: devices with engines, one merger, a virtual clock.
pub struct Sim {
    keymaps: Vec<Arc<Keymap>>,
    devices: Vec<Device>,
    merger: Merger,
    merged: KeyState,
    /// Every key the merged stream has ever had down.
    seen: KeyState,
    now: Time,
    log: Log,
    /// Every keymap settles (see [`keymap_settles`]): the end-of-run idle check applies.
    strict_idle: bool,
    steps: usize,
    /// The focused application (an index into [`FOCUS_APPS`]).
    focus: usize,
}

/// A violated invariant, with the steps that led to it.
#[derive(Debug)]
pub struct Violation {
    pub message: String,
    pub trace: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.message)?;
        if !self.trace.is_empty() {
            writeln!(f, "trace (ops, `->` engine output, `=>` merged output):")?;
            let skip = self.trace.len().saturating_sub(400);
            if skip > 0 {
                writeln!(f, "  ... {skip} earlier lines")?;
            }
            for l in &self.trace[skip..] {
                writeln!(f, "{l}")?;
            }
        }
        Ok(())
    }
}

impl Sim {
    /// `devices` devices, device `i` running keymap `i % keymaps.len()`. With `trace`, every op
    /// and output event is logged for the failure message (slower; the fuzzer re-runs with it).
    pub fn new(keymaps: Vec<Arc<Keymap>>, devices: usize, trace: bool) -> Sim {
        assert!(!keymaps.is_empty(), "a simulation needs at least one keymap");
        let strict_idle = keymaps.iter().all(|k| keymap_settles(k));
        let mut sim = Sim {
            keymaps,
            devices: Vec::new(),
            merger: Merger::new(),
            merged: KeyState::default(),
            seen: KeyState::default(),
            now: Duration::ZERO,
            log: Log { errors: Vec::new(), trace: trace.then(Vec::new) },
            strict_idle,
            steps: 0,
            focus: 0,
        };
        for i in 0..devices.min(MAX_DEVICES) {
            sim.add(i);
        }
        sim
    }

    pub fn now(&self) -> Time {
        self.now
    }

    pub fn device_count(&self) -> usize {
        self.devices.len()
    }

    /// The merged output keys currently down.
    pub fn merged_down(&self) -> Vec<Key> {
        self.merged.keys()
    }

    fn add(&mut self, profile: usize) {
        if self.devices.len() >= MAX_DEVICES {
            return;
        }
        let keymap = self.keymaps[profile % self.keymaps.len()].clone();
        let src = self.merger.add_source();
        let mut engine = Engine::new(keymap);
        engine.set_focus(FOCUS_APPS[self.focus]);
        self.devices.push(Device {
            engine,
            src,
            out: KeyState::default(),
            physical: KeyState::default(),
            deadline: None,
        });
    }

    fn fail(&mut self, message: String) -> Violation {
        Violation { message, trace: self.log.trace.take().unwrap_or_default() }
    }

    /// Runs `f` with device `d`'s engine and its checked sink chain.
    fn with_engine<R>(&mut self, d: usize, f: impl FnOnce(&mut Engine, &mut EngineSink) -> R) -> R {
        let dev = &mut self.devices[d];
        let mut sink = EngineSink {
            dev: d,
            state: &mut dev.out,
            merger: &mut self.merger,
            src: dev.src,
            merged: &mut self.merged,
            seen: &mut self.seen,
            log: &mut self.log,
        };
        f(&mut dev.engine, &mut sink)
    }

    /// Feeds one physical event to device `d` at the current time.
    fn key(&mut self, d: usize, ev: KeyEvent) -> Result<(), Violation> {
        match ev.value {
            KeyValue::Down => self.devices[d].physical.set(ev.key, true),
            KeyValue::Up => self.devices[d].physical.set(ev.key, false),
            KeyValue::Repeat => {}
        }
        let now = self.now;
        let deadline = self.with_engine(d, |e, s| e.process(ev, now, s));
        if let Some(t) = deadline.filter(|&t| t < now) {
            return Err(
                self.fail(format!("dev{d}: process({ev}) at {now:?} returned a deadline in the past: {t:?}"))
            );
        }
        self.devices[d].deadline = deadline;
        Ok(())
    }

    /// Fires device `d`'s timer at its deadline `t` (the clock is set to `t`).
    fn fire(&mut self, d: usize, t: Time) -> Result<(), Violation> {
        self.now = t;
        self.log.note(|| format!("  (dev{d} timer at {}ms)", t.as_millis()));
        let next = self.with_engine(d, |e, s| e.tick(t, s));
        if let Some(n) = next.filter(|&n| n <= t) {
            return Err(self.fail(format!("dev{d}: tick at {t:?} made no progress: next deadline {n:?}")));
        }
        self.devices[d].deadline = next;
        Ok(())
    }

    /// Lets `dt` pass, firing every due timer at its exact deadline, earliest first.
    fn advance(&mut self, dt: Duration) -> Result<(), Violation> {
        let target = self.now.saturating_add(dt);
        let mut ticks = 0;
        loop {
            let due = self
                .devices
                .iter()
                .enumerate()
                .filter_map(|(i, d)| d.deadline.filter(|&t| t <= target).map(|t| (t, i)))
                .min();
            let Some((t, d)) = due else { break };
            ticks += 1;
            if ticks > MAX_TICKS_PER_ADVANCE {
                return Err(self.fail(format!(
                    "more than {MAX_TICKS_PER_ADVANCE} timer firings within {dt:?}: a timer storm"
                )));
            }
            self.fire(d, t)?;
            self.check_consistency()?;
        }
        self.now = target;
        Ok(())
    }

    /// Runs every timer out (as if no more input came), within a bounded number of firings.
    fn settle(&mut self) -> Result<(), Violation> {
        for _ in 0..MAX_TICKS_PER_ADVANCE {
            let Some((t, d)) =
                self.devices.iter().enumerate().filter_map(|(i, d)| d.deadline.map(|t| (t, i))).min()
            else {
                return Ok(());
            };
            self.fire(d, t)?;
            self.check_consistency()?;
        }
        Err(self.fail(format!(
            "timers still pending after {MAX_TICKS_PER_ADVANCE} firings with no input: they never settle"
        )))
    }

    fn release_device(&mut self, d: usize) {
        self.with_engine(d, |e, s| e.release_all(s));
        self.devices[d].deadline = self.devices[d].engine.next_deadline();
    }

    fn shutdown(&mut self) -> Result<(), Violation> {
        for d in 0..self.devices.len() {
            self.release_device(d);
        }
        self.merger.release_all(&mut MergedSink {
            state: &mut self.merged,
            seen: &mut self.seen,
            log: &mut self.log,
        });
        self.check_errors()?;
        for d in 0..self.devices.len() {
            let left = self.devices[d].out.keys();
            if !left.is_empty() || !self.devices[d].engine.is_idle() {
                return Err(self.fail(format!(
                    "dev{d}: keys still down after release_all: {}",
                    names(&self.devices[d].engine.output_down().collect::<Vec<_>>())
                )));
            }
        }
        if !self.merged.is_empty() {
            let m = self.merged.keys();
            return Err(self.fail(format!("merged output: keys still down after shutdown: {}", names(&m))));
        }
        Ok(())
    }

    fn check_errors(&mut self) -> Result<(), Violation> {
        if self.log.errors.is_empty() {
            return Ok(());
        }
        let msg = self.log.errors.join("; ");
        self.log.errors.clear();
        Err(self.fail(msg))
    }

    /// The engines, the merger and the checked streams agree.
    fn check_consistency(&mut self) -> Result<(), Violation> {
        self.check_errors()?;
        let mut union = KeyState::default();
        for d in 0..self.devices.len() {
            let dev = &self.devices[d];
            let idle = dev.engine.is_idle();
            if idle != dev.out.is_empty() {
                return Err(
                    self.fail(format!("dev{d}: is_idle() is {idle}, but its output stream disagrees"))
                );
            }
            let engine_view =
                if idle { KeyState::default() } else { KeyState::from_keys(dev.engine.output_down()) };
            if engine_view != dev.out {
                let (e, s) = (names(&engine_view.keys()), names(&dev.out.keys()));
                return Err(
                    self.fail(format!("dev{d}: the engine says {e} are down, its output stream has {s}"))
                );
            }
            if dev.engine.next_deadline() != dev.deadline {
                let (a, b) = (dev.engine.next_deadline(), dev.deadline);
                return Err(
                    self.fail(format!("dev{d}: next_deadline() is {a:?} but process/tick returned {b:?}"))
                );
            }
            union.union_with(&dev.out);
        }
        if self.merged != union {
            let (m, e) = (names(&self.merged.keys()), names(&union.keys()));
            return Err(self.fail(format!("merged output has {m} down, but the engines hold {e}")));
        }
        // The merger's own view, for every key the merged stream has ever pressed.
        if let Some(k) =
            self.seen.keys().into_iter().find(|&k| self.merger.is_down(k) != self.merged.is_down(k))
        {
            return Err(self.fail(format!("merger.is_down({k}) disagrees with the merged output stream")));
        }
        Ok(())
    }

    /// Performs one op and checks every invariant.
    pub fn step(&mut self, op: &Op) -> Result<(), Violation> {
        self.steps += 1;
        let n = self.devices.len();
        let pick = |dev: u8| (n > 0).then(|| dev as usize % n);
        let step = self.steps;
        self.log.note(|| format!("{step:>4}: {op}"));
        match *op {
            Op::Key { dev, key, value } => {
                if let Some(d) = pick(dev) {
                    self.key(d, KeyEvent::new(key, value))?;
                }
            }
            Op::Advance { ms } => self.advance(Duration::from_millis(ms.into()))?,
            Op::Reload { dev, profile } => {
                if let Some(d) = pick(dev) {
                    let km = self.keymaps[profile as usize % self.keymaps.len()].clone();
                    self.with_engine(d, |e, s| e.set_keymap(km, s));
                    self.devices[d].deadline = self.devices[d].engine.next_deadline();
                }
            }
            Op::ReloadAll { profile } => {
                let km = self.keymaps[profile as usize % self.keymaps.len()].clone();
                for d in 0..n {
                    let km = km.clone();
                    self.with_engine(d, |e, s| e.set_keymap(km, s));
                    self.devices[d].deadline = self.devices[d].engine.next_deadline();
                }
            }
            Op::Remove { dev } => {
                if let Some(d) = pick(dev) {
                    let gone = self.devices.remove(d);
                    self.merger.remove_source(
                        gone.src,
                        &mut MergedSink { state: &mut self.merged, seen: &mut self.seen, log: &mut self.log },
                    );
                }
            }
            Op::Add { profile } => self.add(profile as usize),
            Op::ReleaseDev { dev } => {
                if let Some(d) = pick(dev) {
                    self.release_device(d);
                    self.check_errors()?;
                    if !self.devices[d].engine.is_idle() || !self.devices[d].out.is_empty() {
                        return Err(self.fail(format!("dev{d}: keys still down after release_all")));
                    }
                }
            }
            Op::Shutdown => self.shutdown()?,
            Op::Focus { app } => {
                // Emits nothing and keeps every held key's meaning: the next ops check that.
                self.focus = app as usize % FOCUS_APPS.len();
                for d in &mut self.devices {
                    d.engine.set_focus(FOCUS_APPS[self.focus]);
                }
            }
            Op::SpuriousTick { dev } => {
                if let Some(d) = pick(dev) {
                    let now = self.now;
                    // A wakeup with nothing due may fire nothing early; it must still not break a
                    // stream, and the deadline it returns must not be in the past.
                    if self.devices[d].deadline.is_none_or(|t| t > now) {
                        let next = self.with_engine(d, |e, s| e.tick(now, s));
                        if let Some(t) = next.filter(|&t| t < now) {
                            return Err(self.fail(format!(
                                "dev{d}: a spurious tick at {now:?} returned a deadline in the past: {t:?}"
                            )));
                        }
                        self.devices[d].deadline = next;
                    }
                }
            }
        }
        self.check_consistency()
    }

    /// Ends the session: every physically held key is let go, timers run out, then (if every
    /// keymap settles) nothing may be down; finally `release_all` must leave nothing down.
    pub fn finish(&mut self) -> Result<(), Violation> {
        self.log.note(|| "  end: release every physical key, run timers out".to_owned());
        for d in 0..self.devices.len() {
            for key in self.devices[d].physical.keys() {
                self.log.note(|| format!("      dev{d} {key} up"));
                self.key(d, KeyEvent::up(key))?;
                self.check_consistency()?;
            }
        }
        self.settle()?;
        if self.strict_idle {
            for d in 0..self.devices.len() {
                let stuck = self.devices[d].out.keys();
                if !stuck.is_empty() {
                    return Err(self.fail(format!(
                        "dev{d}: stuck keys {} with every physical key up and no timer pending",
                        names(&stuck)
                    )));
                }
            }
        }
        self.log.note(|| "  end: shutdown".to_owned());
        self.shutdown()
    }

    /// The trace so far (empty unless tracing).
    pub fn trace(&self) -> String {
        let mut s = String::new();
        for l in self.log.trace.iter().flatten() {
            let _ = writeln!(s, "{l}");
        }
        s
    }
}

/// Runs `ops` from a fresh simulation and finishes it.
pub fn run(keymaps: &[Arc<Keymap>], devices: usize, ops: &[Op], trace: bool) -> Result<(), Violation> {
    let mut sim = Sim::new(keymaps.to_vec(), devices, trace);
    for op in ops {
        sim.step(op)?;
    }
    sim.finish()
}

/// Runs `ops`, and on a violation runs them again with tracing, returning the traced violation.
pub fn run_traced_on_failure(keymaps: &[Arc<Keymap>], devices: usize, ops: &[Op]) -> Result<(), Violation> {
    match run(keymaps, devices, ops, false) {
        Ok(()) => Ok(()),
        Err(first) => match run(keymaps, devices, ops, true) {
            Err(traced) => Err(traced),
            Ok(()) => Err(Violation {
                message: format!(
                    "{} (a second, traced run of the same ops passed: the core is not deterministic)",
                    first.message
                ),
                trace: Vec::new(),
            }),
        },
    }
}

/// Parses ops in their `Display` form, one per line or separated by `;` (`#` starts a comment):
/// `dev0 a down`, `150ms`, `dev1 reload profile2`, `reload all profile0`, `dev0 removed`,
/// `add device with profile1`, `dev0 release_all`, `shutdown`, `dev0 spurious tick`, `focus kitty`.
pub fn parse_ops(text: &str) -> Result<Vec<Op>, String> {
    let num = |s: &str, prefix: &str| -> Option<u8> { s.strip_prefix(prefix)?.parse().ok() };
    let mut ops = Vec::new();
    for raw in text.lines().flat_map(|l| l.split('#').next().unwrap_or("").split(';')) {
        let words: Vec<&str> = raw.split_whitespace().collect();
        let bad = || format!("cannot read op `{}`", raw.trim());
        let op = match words.as_slice() {
            [] => continue,
            ["shutdown"] => Op::Shutdown,
            ["focus"] => Op::Focus { app: 0 },
            ["focus", id] => {
                Op::Focus { app: FOCUS_APPS.iter().position(|a| *a == Some(*id)).ok_or_else(bad)? as u8 }
            }
            [w] => Op::Advance { ms: w.strip_suffix("ms").and_then(|n| n.parse().ok()).ok_or_else(bad)? },
            ["reload", "all", p] => Op::ReloadAll { profile: num(p, "profile").ok_or_else(bad)? },
            ["add", "device", "with", p] => Op::Add { profile: num(p, "profile").ok_or_else(bad)? },
            [d, rest @ ..] => {
                let dev = num(d, "dev").ok_or_else(bad)?;
                match rest {
                    ["removed"] => Op::Remove { dev },
                    ["release_all"] => Op::ReleaseDev { dev },
                    ["spurious", "tick"] => Op::SpuriousTick { dev },
                    ["reload", p] => Op::Reload { dev, profile: num(p, "profile").ok_or_else(bad)? },
                    [k, v] => {
                        let key = Key::from_name(k).ok_or_else(bad)?;
                        let value = match *v {
                            "down" => KeyValue::Down,
                            "up" => KeyValue::Up,
                            "repeat" => KeyValue::Repeat,
                            _ => return Err(bad()),
                        };
                        Op::Key { dev, key, value }
                    }
                    _ => return Err(bad()),
                }
            }
        };
        ops.push(op);
    }
    Ok(ops)
}

/// Ops in the form [`parse_ops`] reads, `; `-separated.
pub fn format_ops(ops: &[Op]) -> String {
    ops.iter().map(|o| o.to_string()).collect::<Vec<_>>().join("; ")
}
