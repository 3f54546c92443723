//! The remapping state machine of one grabbed keyboard: key events and the time in, key events
//! and the next deadline out. Pure and deterministic: no clock, fd, log or allocation per event.

use std::sync::Arc;
use std::time::Duration;

use crate::keymap::{Action, ActionId, Keymap, LayerId, LayerKind, Mods, MAIN};
use crate::keys::{Key, KEY_CNT};

mod chords;
mod macros;
mod pending;
mod timeout;

/// A point in time, measured from an origin the caller chooses (the daemon: CLOCK_MONOTONIC).
pub type Time = Duration;

/// The value of an EV_KEY event.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Hash)]
pub enum KeyValue {
    Up = 0,
    Down = 1,
    Repeat = 2,
}

impl KeyValue {
    /// From an EV_KEY event's value; anything else is not a key event.
    pub fn from_raw(value: i32) -> Option<KeyValue> {
        match value {
            0 => Some(KeyValue::Up),
            1 => Some(KeyValue::Down),
            2 => Some(KeyValue::Repeat),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            KeyValue::Up => "up",
            KeyValue::Down => "down",
            KeyValue::Repeat => "repeat",
        }
    }
}

#[derive(Copy, Clone, PartialEq, Eq, Debug, Hash)]
pub struct KeyEvent {
    pub key: Key,
    pub value: KeyValue,
}

impl KeyEvent {
    pub const fn new(key: Key, value: KeyValue) -> KeyEvent {
        KeyEvent { key, value }
    }
    pub const fn down(key: Key) -> KeyEvent {
        KeyEvent::new(key, KeyValue::Down)
    }
    pub const fn up(key: Key) -> KeyEvent {
        KeyEvent::new(key, KeyValue::Up)
    }
}

impl std::fmt::Display for KeyEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.key, self.value.as_str())
    }
}

/// Where the engine's output goes. The daemon's sink batches into one uinput write per frame.
pub trait Sink {
    fn key(&mut self, event: KeyEvent);
    /// `command(…)` fired: the daemon runs `cmd` (as its own user). The engine only emits this
    /// for profiles that opted in with `allow_commands`; sinks that do not run commands ignore it.
    fn command(&mut self, _cmd: &str) {}
}

impl Sink for Vec<KeyEvent> {
    fn key(&mut self, event: KeyEvent) {
        self.push(event);
    }
}

/// A press slot: a physical key's code, or `KEY_CNT + i` for the i-th active chord.
type Slot = u16;

/// At most this many chords can be held at once; a chord completed beyond that is not taken
/// (its keys act on their own).
const MAX_CHORDS: usize = 8;
const SLOTS: usize = KEY_CNT + MAX_CHORDS;

/// What a slot's press did, kept so that its release undoes exactly that.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Held {
    /// Not down (or pressed before the last reset: its release is ignored).
    No,
    /// Did nothing to undo (`noop`, `toggle()`, `clear()`, …).
    Noop,
    /// Pressed an output key (its modifiers were applied around it). `simple`: a plain or
    /// shifted key, whose release counts as typing for `overloadi()` as its press did.
    Key { key: Key, simple: bool },
    /// Activated a layer; the activation whose source is this slot undoes it.
    Layer,
    /// `overload()`: a layer now, the tap action on a lone release.
    Overload { tap: ActionId, dl: LayerId, since: Time },
    /// `oneshot()` and friends: the layer stays for the next key if nothing used it meanwhile.
    Oneshot { key: Option<Key> },
    /// Started a macro; the release ends its repetition.
    Macro,
    /// A tap-hold or chord decision is pending on this key; its release waits in the queue.
    Pending,
    /// A `timeout()` waits on this key (`timeout.rs`); its events are not held back.
    Timeout,
    /// Consumed by the active chord with this index.
    Chorded(u8),
}

/// Why a layer is active.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Source {
    /// Held by a press slot.
    Slot(Slot),
    /// `toggle()`.
    Toggle,
    /// A tapped `oneshot()`, waiting for the next key.
    Oneshot,
}

#[derive(Copy, Clone, Debug)]
struct Activation {
    layer: LayerId,
    mods: Mods,
    source: Source,
}

/// At most this many layer activations at once (held, toggled, oneshot); more are ignored (the
/// key then does nothing, so nothing is stranded).
const MAX_ACTIVATIONS: usize = 32;

/// [`Mods::KEYD_ORDER`] with each key's bit, computed once by the compiler.
const KEYD_ORDER_MODS: [(Key, Mods); 8] = {
    let mut pairs = [(Key::ESC, Mods::NONE); 8];
    let mut i = 0;
    while i < pairs.len() {
        let key = Mods::KEYD_ORDER[i];
        pairs[i] = (
            key,
            match Mods::of_key(key) {
                Some(m) => m,
                None => Mods::NONE,
            },
        );
        i += 1;
    }
    pairs
};

/// A profile's milliseconds as engine time.
fn ms(n: impl Into<u64>) -> Time {
    Time::from_millis(n.into())
}

/// The engine's timers, in the order they fire when due at the same time.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Timer {
    Pending,
    Timeout,
    Oneshot,
    Repeat,
    Playback,
}

/// The remapping state machine for one device.
pub struct Engine {
    keymap: Arc<Keymap>,
    held: Box<[Held]>,
    /// Active layers in activation order (most recent last).
    acts: [Activation; MAX_ACTIVATIONS],
    n_acts: usize,
    /// How many reasons each output key has to be down.
    out: Box<[u8; KEY_CNT]>,
    /// The modifiers the engine currently holds on behalf of layers and key sequences.
    mods: Mods,
    /// The current layout layer ([`MAIN`]: none).
    layout: LayerId,
    /// The active application layer ([`MAIN`]: none), resolved from `focus` on focus changes.
    app: LayerId,
    /// The focused application's id (valid if `focused`; `false`: no window has the focus),
    /// kept so that a new keymap can resolve its own application layer. Its buffer is reused:
    /// a focus change allocates only for an id longer than any before.
    focus: String,
    focused: bool,
    /// A oneshot key is down and nothing has used it yet.
    latch: bool,
    oneshot_deadline: Option<Time>,
    /// The slot pressed last (a lone tap of an `overload()` key taps).
    last_pressed: Option<Slot>,
    /// The output key pressed last (the modifier guard).
    last_output: Option<Key>,
    /// When a plain (or shifted) key was last pressed or released (`overloadi()`).
    last_simple: Option<Time>,
    /// What `repeat()` does.
    last_repeatable: Option<Action>,
    pending: Option<pending::Pending>,
    queue: pending::Queue,
    /// A `timeout()` waiting for its time or the next key (keyd 2.6: apart from the queue).
    timeout: Option<timeout::Wait>,
    chords: [chords::ActiveChord; MAX_CHORDS],
    repeat: Option<macros::Repeat>,
    playbacks: macros::Playbacks,
}

impl Engine {
    pub fn new(keymap: Arc<Keymap>) -> Engine {
        let layout = keymap.settings.default_layout;
        Engine {
            keymap,
            held: vec![Held::No; SLOTS].into_boxed_slice(),
            acts: [Activation { layer: MAIN, mods: Mods::NONE, source: Source::Toggle }; MAX_ACTIVATIONS],
            n_acts: 0,
            out: Box::new([0; KEY_CNT]),
            mods: Mods::NONE,
            layout,
            app: MAIN,
            focus: String::new(),
            focused: false,
            latch: false,
            oneshot_deadline: None,
            last_pressed: None,
            last_output: None,
            last_simple: None,
            last_repeatable: None,
            pending: None,
            queue: pending::Queue::new(),
            timeout: None,
            chords: [chords::ActiveChord::EMPTY; MAX_CHORDS],
            repeat: None,
            playbacks: macros::Playbacks::new(),
        }
    }

    pub fn keymap(&self) -> &Arc<Keymap> {
        &self.keymap
    }

    /// The focused application changed (`None`: no window has the focus). Its application layer
    /// (see [`Keymap::app_layer_for`]) is active from the next key press on; keys already down
    /// keep what their press did, and their releases undo exactly that. Emits nothing: an
    /// application layer holds no modifiers. Call it on each focus report, outside the key path
    /// (it matches the id against the keymap's patterns, and keeps a copy of it).
    pub fn set_focus(&mut self, app_id: Option<&str>) {
        self.focus.clear();
        self.focus.push_str(app_id.unwrap_or(""));
        self.focused = app_id.is_some();
        self.app = self.resolve_app();
    }

    /// The focused application's id, as last given to [`Engine::set_focus`].
    pub fn focus(&self) -> Option<&str> {
        self.focused.then_some(self.focus.as_str())
    }

    /// The application layer active now, if any.
    pub fn app_layer(&self) -> Option<LayerId> {
        (self.app != MAIN).then_some(self.app)
    }

    fn resolve_app(&self) -> LayerId {
        self.focus().and_then(|id| self.keymap.app_layer_for(id)).unwrap_or(MAIN)
    }

    /// Feeds one input key event at `now`; returns the next deadline at which [`Engine::tick`]
    /// must be called, if any.
    pub fn process(&mut self, ev: KeyEvent, now: Time, out: &mut impl Sink) -> Option<Time> {
        self.advance(now, out);
        self.input(ev, now, out);
        // The common case (no timer armed, most events) asks once, not twice more.
        if !self.has_timers() {
            return None;
        }
        self.advance(now, out);
        self.next_deadline()
    }

    /// Lets timers that are due at `now` fire; returns the next deadline (always after `now`).
    pub fn tick(&mut self, now: Time, out: &mut impl Sink) -> Option<Time> {
        self.advance(now, out);
        self.next_deadline()
    }

    /// The time at which the engine next needs [`Engine::tick`], if any.
    pub fn next_deadline(&self) -> Option<Time> {
        if !self.has_timers() {
            return None; // the common case, kept cheap (and inlined): it is asked after every event
        }
        self.next_timer().map(|(t, _)| t)
    }

    /// The timer due first, and when; of timers due together, the first in [`Timer`] order.
    fn next_timer(&self) -> Option<(Time, Timer)> {
        let p = self.pending.as_ref().and_then(|p| p.timer());
        let w = self.timeout.as_ref().map(|t| t.deadline);
        let o = self.oneshot_deadline;
        let r = self.repeat.as_ref().and_then(|r| r.deadline);
        let m = self.playbacks.next_due();
        // Strictly earlier replaces: of timers due together, the first in `Timer` order wins.
        let mut first: Option<(Time, Timer)> = None;
        for (t, timer) in [
            (p, Timer::Pending),
            (w, Timer::Timeout),
            (o, Timer::Oneshot),
            (r, Timer::Repeat),
            (m, Timer::Playback),
        ] {
            if let Some(t) = t {
                if first.is_none_or(|(f, _)| t < f) {
                    first = Some((t, timer));
                }
            }
        }
        first
    }

    /// The active layers, most recently activated first (a layer held twice appears twice), then
    /// the layout if one other than `main` is set. Read-only, for the control socket's status.
    pub fn active_layers(&self) -> impl Iterator<Item = LayerId> + '_ {
        let layout = (self.layout != MAIN).then_some(self.layout);
        self.acts[..self.n_acts].iter().rev().map(|a| a.layer).chain(layout)
    }

    /// Whether any output key is down because of this engine.
    pub fn is_idle(&self) -> bool {
        self.out.iter().all(|&c| c == 0)
    }

    /// The output keys this engine holds down, in code order.
    pub fn output_down(&self) -> impl Iterator<Item = Key> + '_ {
        self.out.iter().enumerate().filter(|(_, &c)| c > 0).filter_map(|(i, _)| Key::new(i as u16))
    }

    /// Releases every output key this engine holds (modifiers last) and forgets all state —
    /// held, toggled and oneshot layers, pending decisions, macros — except the current layout;
    /// keys still physically down are ignored until they are pressed again.
    pub fn release_all(&mut self, out: &mut impl Sink) {
        for pass_modifiers in [false, true] {
            for i in 0..KEY_CNT {
                if self.out[i] == 0 {
                    continue;
                }
                let Some(key) = Key::new(i as u16) else { continue };
                if Mods::of_key(key).is_some() == pass_modifiers {
                    self.out[i] = 0;
                    out.key(KeyEvent::up(key));
                }
            }
        }
        self.held.fill(Held::No);
        self.n_acts = 0;
        self.mods = Mods::NONE;
        self.latch = false;
        self.oneshot_deadline = None;
        self.last_pressed = None;
        self.last_output = None;
        self.last_repeatable = None;
        self.pending = None;
        self.queue.clear();
        self.timeout = None;
        self.chords = [chords::ActiveChord::EMPTY; MAX_CHORDS];
        self.repeat = None;
        self.playbacks.clear();
    }

    /// Switches to another keymap: everything the old one held is released first, and the new
    /// keymap's default layout becomes current.
    pub fn set_keymap(&mut self, keymap: Arc<Keymap>, out: &mut impl Sink) {
        self.release_all(out);
        self.layout = keymap.settings.default_layout;
        self.keymap = keymap;
        self.app = self.resolve_app();
    }

    /// Whether any timer is armed (a pending decision, a oneshot, a macro repeat or playback).
    #[inline]
    fn has_timers(&self) -> bool {
        self.pending.is_some()
            || self.timeout.is_some()
            || self.oneshot_deadline.is_some()
            || self.repeat.as_ref().is_some_and(|r| r.deadline.is_some())
            || self.playbacks.next_due().is_some()
    }

    /// Fires every timer due at or before `now`, earliest first. The check for no timer at all
    /// (most events) is inlined into the caller; the timers' loop is not.
    #[inline]
    fn advance(&mut self, now: Time, out: &mut impl Sink) {
        if self.has_timers() {
            self.fire_due(now, out);
        }
    }

    #[inline(never)]
    fn fire_due(&mut self, now: Time, out: &mut impl Sink) {
        while let Some((t, timer)) = self.next_timer().filter(|&(t, _)| t <= now) {
            match timer {
                Timer::Pending => self.drain(now, out),
                Timer::Timeout => self.timeout_due(t, out),
                Timer::Oneshot => {
                    self.clear_oneshot();
                    self.update_mods(MAIN, false, out);
                }
                Timer::Repeat => self.fire_repeat(t, out),
                Timer::Playback => self.run_playback(t, out),
            }
        }
    }

    /// One input event: straight to [`Engine::handle`], or into the queue while a decision is
    /// pending.
    fn input(&mut self, ev: KeyEvent, now: Time, out: &mut impl Sink) {
        if ev.value == KeyValue::Repeat {
            // Autorepeat while a decision is pending is dropped: the key's meaning is not known.
            if self.pending.is_none() {
                self.repeat_key(ev.key, out);
            }
            return;
        }
        let down = ev.value == KeyValue::Down;
        if self.pending.is_none() {
            self.handle(ev.key, down, now, false, out);
            return;
        }
        // Is the key down as far as the engine will know once the queue is replayed?
        let is_down = self.queue.last_of(ev.key).unwrap_or(self.held[ev.key.index()] != Held::No);
        if down && is_down {
            return; // a second press without a release: ignored, as below
        }
        if !down && self.bypasses_queue(ev.key) {
            self.handle(ev.key, false, now, false, out);
            return;
        }
        if self.queue.len() >= pending::QUEUE_CAP - 1 {
            // The bound: the pending key resolves now as if its time were up.
            self.force_resolve(now, out);
            self.drain(now, out);
            if self.pending.is_none() {
                self.handle(ev.key, down, now, false, out);
                return;
            }
        }
        self.queue.push_back(pending::QEvent { key: ev.key, down, time: now, no_chord: false });
        self.drain(now, out);
    }

    /// A key event that no pending decision holds back.
    fn handle(&mut self, key: Key, down: bool, now: Time, no_chord: bool, out: &mut impl Sink) {
        let slot = key.index() as Slot;
        // Any key event ends a held macro's repetition (keyd).
        self.repeat = None;
        if down {
            let again = self.held[slot as usize] != Held::No;
            if !again
                && !no_chord
                && self.keymap.has_chords()
                && self.keymap.in_a_chord(key)
                && self.begin_chord(key, now)
            {
                return;
            }
            // A waiting `timeout()` sees every key event a chord does not take, first (keyd 2.6).
            if self.timeout.is_some() {
                self.timeout_sees(slot, true, now, out);
            }
            if again || self.held[slot as usize] != Held::No {
                return; // a second press without a release: keep what the first one did
            }
            let (action, dl) = self.lookup(key);
            self.press(slot, action, dl, now, out);
            self.last_pressed = Some(slot);
        } else if let Held::Chorded(i) = self.held[slot as usize] {
            self.held[slot as usize] = Held::No;
            self.chord_member_up(i, now, out);
        } else {
            if self.timeout.is_some() {
                self.timeout_sees(slot, false, now, out);
            }
            self.release(slot, now, out);
        }
    }

    /// Does what `action` (found in layer `dl`) does on press, and records it for the release.
    fn press(&mut self, slot: Slot, action: Action, dl: LayerId, now: Time, out: &mut impl Sink) {
        let held = match action {
            Action::Key { mods, key } => {
                let active = self.press_key(mods, key, dl, out);
                self.clear_oneshot();
                self.last_repeatable = Some(Action::Key { mods: active, key });
                let simple = mods.minus(Mods::SHIFT).is_empty();
                if simple {
                    self.last_simple = Some(now);
                }
                Held::Key { key, simple }
            }
            Action::Modifier { key, layer } => {
                self.hold_layer(slot, layer, Mods::of_key(key).unwrap_or(Mods::NONE), out)
            }
            Action::Layer(layer) => self.hold_layer(slot, layer, self.keymap.layer(layer).mods, out),
            Action::LayerM(layer, m) => {
                self.start_macro(m, dl, now, None, out);
                self.hold_layer(slot, layer, self.keymap.layer(layer).mods, out)
            }
            Action::Oneshot(layer) => self.oneshot(slot, layer, dl, None, out),
            Action::OneshotM(layer, m) => {
                self.start_macro(m, dl, now, None, out);
                self.oneshot(slot, layer, dl, None, out)
            }
            Action::OneshotK(layer, mods, key) => self.oneshot(slot, layer, dl, Some((mods, key)), out),
            Action::Toggle(layer) => {
                self.toggle(layer, out);
                Held::Noop
            }
            Action::ToggleM(layer, m) => {
                self.start_macro(m, dl, now, None, out);
                self.toggle(layer, out);
                Held::Noop
            }
            Action::Swap(layer) => {
                self.swap(dl, layer, out);
                Held::Noop
            }
            Action::SwapM(layer, m) => {
                self.swap(dl, layer, out);
                self.start_macro(m, dl, now, None, out);
                Held::Noop
            }
            Action::Clear => {
                self.clear(out);
                Held::Noop
            }
            Action::ClearM(m) => {
                self.clear(out);
                self.start_macro(m, dl, now, None, out);
                Held::Noop
            }
            Action::SetLayout(layer) => {
                self.clear(out);
                self.layout = layer;
                Held::Noop
            }
            Action::Overload { layer, tap } => {
                match self.hold_layer(slot, layer, self.keymap.layer(layer).mods, out) {
                    Held::Layer => Held::Overload { tap, dl, since: now },
                    other => other,
                }
            }
            Action::OverloadT { layer, tap, ms: t, interrupt } => {
                let tap = self.keymap.action(tap);
                self.begin_taphold(slot, dl, now, ms(t), tap, Action::Layer(layer), interrupt);
                Held::Pending
            }
            Action::Timeout { tap, ms: t, hold } => {
                let (tap, hold) = (self.keymap.action(tap), self.keymap.action(hold));
                self.begin_timeout(slot, dl, now, ms(t), tap, hold);
                Held::Timeout
            }
            Action::OverloadI { fast, slow, ms: t } => {
                let chosen = self.overloadi(fast, slow, t, now);
                return self.press(slot, chosen, dl, now, out);
            }
            Action::Macro(id) => {
                let s = &self.keymap.settings;
                let timing = macros::Timing { timeout: s.macro_timeout, repeat: s.macro_repeat_timeout };
                self.clear_oneshot();
                self.start_macro(id, dl, now, Some((slot, timing)), out);
                self.last_repeatable = Some(action);
                Held::Macro
            }
            Action::Macro2 { id, timeout, repeat } => {
                let timing = macros::Timing { timeout: timeout.into(), repeat: repeat.into() };
                self.clear_oneshot();
                self.start_macro(id, dl, now, Some((slot, timing)), out);
                self.last_repeatable = Some(action);
                Held::Macro
            }
            Action::Repeat => match self.last_repeatable {
                Some(again) => return self.press(slot, again, dl, now, out),
                None => Held::Noop,
            },
            Action::Command(id) => {
                out.command(self.keymap.command(id));
                self.clear_oneshot();
                self.update_mods(MAIN, false, out);
                Held::Noop
            }
            Action::Noop => Held::Noop,
        };
        self.held[slot as usize] = held;
    }

    /// `overloadi(fast, slow, ms)`: `fast` if a plain key was typed less than `ms` ago. Not
    /// inlined: inlined, the compiler computed this time difference ahead of every press.
    #[inline(never)]
    fn overloadi(&self, fast: ActionId, slow: ActionId, t: u16, now: Time) -> Action {
        let idle = self.last_simple.is_none_or(|s| now.saturating_sub(s) >= ms(t));
        self.keymap.action(if idle { slow } else { fast })
    }

    /// Undoes what the slot's press did.
    fn release(&mut self, slot: Slot, now: Time, out: &mut impl Sink) {
        match std::mem::replace(&mut self.held[slot as usize], Held::No) {
            Held::No | Held::Noop | Held::Pending | Held::Chorded(_) => {}
            Held::Timeout => self.timeout_key_up(slot, now),
            Held::Key { key, simple } => {
                // keyd counts the release of a plain key as typing too: a key held a while
                // and let go just before an `overloadi()` key is still typing.
                if simple {
                    self.last_simple = Some(now);
                }
                self.out_release(key, out);
                self.update_mods(MAIN, false, out);
            }
            Held::Layer => {
                self.deactivate(slot);
                // A lone tap of a modifier key is what the user typed: no guard.
                let inhibit = self.last_pressed == Some(slot);
                self.update_mods(MAIN, inhibit, out);
            }
            Held::Overload { tap, dl, since } => {
                self.deactivate(slot);
                self.update_mods(MAIN, false, out);
                let limit = self.keymap.settings.overload_tap_timeout;
                if self.last_pressed == Some(slot) && (limit == 0 || now.saturating_sub(since) < ms(limit)) {
                    let tap = self.keymap.action(tap);
                    self.press(slot, tap, dl, now, out);
                    self.release(slot, now, out);
                }
            }
            Held::Oneshot { key } => {
                if let Some(key) = key {
                    self.out_release(key, out);
                }
                if self.latch {
                    if let Some(a) =
                        self.acts[..self.n_acts].iter_mut().find(|a| a.source == Source::Slot(slot))
                    {
                        a.source = Source::Oneshot;
                    }
                    let t = self.keymap.settings.oneshot_timeout;
                    if t > 0 {
                        self.oneshot_deadline = Some(now.saturating_add(ms(t)));
                    }
                    self.update_mods(MAIN, false, out);
                } else {
                    self.deactivate(slot);
                    self.update_mods(MAIN, false, out);
                }
            }
            Held::Macro => {
                if self.repeat.as_ref().is_some_and(|r| r.slot == slot) {
                    self.repeat = None;
                }
            }
        }
    }

    fn repeat_key(&mut self, phys: Key, out: &mut impl Sink) {
        if let Held::Key { key, .. } = self.held[phys.index()] {
            if self.out[key.index()] > 0 {
                out.key(KeyEvent::new(key, KeyValue::Repeat));
            }
        }
    }

    /// Presses `key` with `mods` and the modifiers of the active layers other than `dl`;
    /// returns the modifiers it was pressed with.
    fn press_key(&mut self, mods: Mods, key: Key, dl: LayerId, out: &mut impl Sink) -> Mods {
        let target = mods.union(self.layer_mods(dl));
        // The key is already down (`[` then `{`, both on `[`): keyd releases it first, so that
        // the new press is seen as one; its earlier holders no longer hold it.
        if self.out[key.index()] > 0 && !self.keymap.settings.hold_shared_keys {
            self.out[key.index()] = 0;
            if let Some(m) = Mods::of_key(key) {
                self.mods = self.mods.minus(m);
            }
            out.key(KeyEvent::up(key));
        }
        // With `hold_shared_keys` the count keeps them (a modifier key: as it is).
        let again = self.out[key.index()] > 0 && Mods::of_key(key).is_none();
        if again {
            out.key(KeyEvent::up(key));
        }
        self.set_mods(target, false, out);
        if again {
            let c = &mut self.out[key.index()];
            *c = c.saturating_add(1);
            out.key(KeyEvent::down(key));
            self.last_output = Some(key);
        } else {
            self.out_press(key, out);
        }
        target
    }

    /// Activates `layer` for as long as `slot` is held.
    fn hold_layer(&mut self, slot: Slot, layer: LayerId, mods: Mods, out: &mut impl Sink) -> Held {
        if !self.activate(layer, mods, Source::Slot(slot)) {
            return Held::Noop;
        }
        self.update_mods(MAIN, false, out);
        Held::Layer
    }

    fn oneshot(
        &mut self,
        slot: Slot,
        layer: LayerId,
        dl: LayerId,
        key: Option<(Mods, Key)>,
        out: &mut impl Sink,
    ) -> Held {
        if self.n_acts == MAX_ACTIVATIONS {
            return Held::Noop;
        }
        // `oneshotk()`: its key first, as a key of its own (it uses up pending oneshots), then
        // the layer (keyd).
        if let Some((mods, key)) = key {
            let active = self.press_key(mods, key, dl, out);
            self.clear_oneshot();
            self.last_repeatable = Some(Action::Key { mods: active, key });
        }
        self.activate(layer, self.keymap.layer(layer).mods, Source::Slot(slot));
        self.latch = true;
        self.update_mods(dl, false, out);
        Held::Oneshot { key: key.map(|(_, k)| k) }
    }

    fn toggle(&mut self, layer: LayerId, out: &mut impl Sink) {
        match self.find_act(|a| a.layer == layer && a.source == Source::Toggle) {
            Some(i) => self.remove_act(i),
            None => {
                self.activate(layer, self.keymap.layer(layer).mods, Source::Toggle);
            }
        }
        self.clear_oneshot();
        self.update_mods(MAIN, false, out);
    }

    /// `swap()`: the layer `dl` (where the binding was found) is replaced by `layer`, keeping how
    /// `dl` was active — toggled, oneshot, or held by a key (that key's release then ends `layer`).
    fn swap(&mut self, dl: LayerId, layer: LayerId, out: &mut impl Sink) {
        if dl == MAIN || self.keymap.layer(dl).kind != LayerKind::Normal {
            return;
        }
        let mods = self.keymap.layer(layer).mods;
        let found = self
            .find_act(|a| a.layer == dl && a.source == Source::Toggle)
            .or_else(|| self.find_act(|a| a.layer == dl && a.source == Source::Oneshot))
            .or_else(|| self.find_act(|a| a.layer == dl));
        let Some(i) = found else { return };
        let source = self.acts[i].source;
        self.remove_act(i);
        self.activate(layer, mods, source);
        if let Source::Slot(s) = source {
            // Whatever that key was (an overload, a oneshot), it is now a plain layer key.
            if let Held::Oneshot { key: Some(k) } = self.held[s as usize] {
                self.out_release(k, out);
            }
            if self.held[s as usize] != Held::No {
                self.held[s as usize] = Held::Layer;
            }
        }
        self.update_mods(MAIN, false, out);
    }

    /// `clear()`: toggled and oneshot layers off, a macro's repetition stopped. Keys physically
    /// held keep what they do (their releases undo it).
    fn clear(&mut self, out: &mut impl Sink) {
        self.clear_oneshot();
        while let Some(i) = self.find_act(|a| a.source == Source::Toggle) {
            self.remove_act(i);
        }
        self.repeat = None;
        self.update_mods(MAIN, false, out);
    }

    fn clear_oneshot(&mut self) {
        while let Some(i) = self.find_act(|a| a.source == Source::Oneshot) {
            self.remove_act(i);
        }
        self.latch = false;
        self.oneshot_deadline = None;
    }

    fn activate(&mut self, layer: LayerId, mods: Mods, source: Source) -> bool {
        if self.n_acts == MAX_ACTIVATIONS {
            return false;
        }
        self.acts[self.n_acts] = Activation { layer, mods, source };
        self.n_acts += 1;
        true
    }

    fn deactivate(&mut self, slot: Slot) {
        if let Some(i) = self.find_act(|a| a.source == Source::Slot(slot)) {
            self.remove_act(i);
        }
    }

    fn find_act(&self, f: impl Fn(&Activation) -> bool) -> Option<usize> {
        self.acts[..self.n_acts].iter().position(f)
    }

    fn remove_act(&mut self, i: usize) {
        self.acts.copy_within(i + 1..self.n_acts, i);
        self.n_acts -= 1;
    }

    fn is_active(&self, layer: LayerId) -> bool {
        layer == MAIN
            || layer == self.layout
            || layer == self.app
            || self.acts[..self.n_acts].iter().any(|a| a.layer == layer)
    }

    /// The binding of `key`: a composite layer whose constituents are all active (the one with
    /// most constituents), else the most recently activated layer that binds it, else the
    /// application layer, else the layout, else `main`, else the key itself; with the layer it
    /// was found in.
    #[inline]
    fn lookup(&self, key: Key) -> (Action, LayerId) {
        if !self.keymap.composites().is_empty() {
            if let Some(found) = self.lookup_composite(key) {
                return found;
            }
        }
        for act in self.acts[..self.n_acts].iter().rev() {
            if let Some(a) = self.keymap.layer(act.layer).get(key) {
                return (a, act.layer);
            }
        }
        if self.app != MAIN {
            if let Some(a) = self.keymap.layer(self.app).get(key) {
                return (a, self.app);
            }
        }
        if self.layout != MAIN {
            if let Some(a) = self.keymap.layer(self.layout).get(key) {
                return (a, self.layout);
            }
        }
        match self.keymap.layer(MAIN).get(key) {
            Some(a) => (a, MAIN),
            None => (self.keymap.default_action(key), MAIN),
        }
    }

    /// The binding of `key` in a composite layer whose constituents are all active (the one with
    /// most constituents), if any. Out of line: most keymaps have no composite layer.
    #[inline(never)]
    fn lookup_composite(&self, key: Key) -> Option<(Action, LayerId)> {
        let mut best: Option<(Action, LayerId, usize)> = None;
        for &c in self.keymap.composites() {
            let layer = self.keymap.layer(c);
            let Some(a) = layer.get(key) else { continue };
            let parts = layer.constituents();
            if parts.iter().all(|&l| self.is_active(l)) && best.is_none_or(|(_, _, n)| parts.len() > n) {
                best = Some((a, c, parts.len()));
            }
        }
        best.map(|(a, l, _)| (a, l))
    }

    /// The modifiers of all active layers, leaving out those of `dl` (and of its constituents
    /// if it is composite): a binding found in a modifier layer replaces that layer's modifiers
    /// (keyd: `[control] j = down`).
    #[inline]
    fn layer_mods(&self, dl: LayerId) -> Mods {
        if self.n_acts == 0 {
            return Mods::NONE; // no layer is active: the common case, kept cheap
        }
        self.active_layer_mods(dl)
    }

    #[inline(never)]
    fn active_layer_mods(&self, dl: LayerId) -> Mods {
        let parts = self.keymap.layer(dl).constituents();
        self.acts[..self.n_acts]
            .iter()
            .filter(|a| dl == MAIN || (a.layer != dl && !parts.contains(&a.layer)))
            .fold(Mods::NONE, |m, a| m.union(a.mods))
    }

    #[inline]
    fn update_mods(&mut self, dl: LayerId, inhibit_guard: bool, out: &mut impl Sink) {
        self.set_mods(self.layer_mods(dl), inhibit_guard, out);
    }

    /// Makes the engine's own modifier holds equal `target`, as keyd does: one walk over the
    /// modifiers in keyd's order (alt, altgr, shift, meta, control, then the right-hand keys
    /// only keymapd holds), pressing each that is wanted and releasing each that is not.
    ///
    /// The modifier guard: releasing a meta or alt that was the last key pressed would look like
    /// a lone tap to the desktop (menus open); unless that tap is what the user typed
    /// (`inhibit_guard`), control is tapped around the release.
    #[inline]
    fn set_mods(&mut self, target: Mods, inhibit_guard: bool, out: &mut impl Sink) {
        // The common case, inlined: most events change no modifier.
        if target != self.mods {
            self.change_mods(target, inhibit_guard, out);
        }
    }

    #[inline(never)]
    fn change_mods(&mut self, target: Mods, inhibit_guard: bool, out: &mut impl Sink) {
        let guard = !inhibit_guard && !self.keymap.settings.disable_modifier_guard;
        // Only the modifiers that differ are visited. A press or release below changes at most
        // its own key's bit of `self.mods`, so the difference taken once holds for the walk.
        let changed = target.minus(self.mods).union(self.mods.minus(target));
        for (key, m) in KEYD_ORDER_MODS {
            if !changed.contains(m) {
                continue;
            }
            match target.contains(m) {
                true => self.out_press(key, out),
                false => {
                    let guarded =
                        matches!(key, Key::LEFTMETA | Key::RIGHTMETA | Key::LEFTALT | Key::RIGHTALT);
                    if guard
                        && guarded
                        && self.last_output == Some(key)
                        && self.out[key.index()] == 1
                        && self.out[Key::LEFTCTRL.index()] == 0
                    {
                        self.out_press(Key::LEFTCTRL, out);
                        self.out_release(key, out);
                        self.out_release(Key::LEFTCTRL, out);
                    } else {
                        self.out_release(key, out);
                    }
                }
            }
        }
        self.mods = target;
    }

    fn out_press(&mut self, key: Key, out: &mut impl Sink) {
        let c = &mut self.out[key.index()];
        *c = c.saturating_add(1);
        if *c == 1 {
            out.key(KeyEvent::down(key));
        }
        self.last_output = Some(key);
    }

    /// Lets go of one reason for `key` to be down. As keyd: the key goes up with the first
    /// release, whatever else held it (a modifier the engine held for a layer is then no
    /// longer held, so the next change of modifiers presses it again); with `hold_shared_keys`,
    /// keymapd's own: with the last.
    fn out_release(&mut self, key: Key, out: &mut impl Sink) {
        let c = &mut self.out[key.index()];
        if *c == 0 {
            return;
        }
        if *c > 1 && !self.keymap.settings.hold_shared_keys {
            *c = 1;
            if let Some(m) = Mods::of_key(key) {
                self.mods = self.mods.minus(m);
            }
        }
        *c -= 1;
        if *c == 0 {
            out.key(KeyEvent::up(key));
        }
    }
}
