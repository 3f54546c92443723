//! The remapping state machine of one grabbed keyboard: key events and the time in, key events
//! and the next deadline out. Pure and deterministic: no clock, fd, log or allocation per event.

use std::sync::Arc;
use std::time::Duration;

use crate::keymap::{Action, Keymap, LayerId, Mods, MAIN};
use crate::keys::{Key, KEY_CNT};

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
}

impl Sink for Vec<KeyEvent> {
    fn key(&mut self, event: KeyEvent) {
        self.push(event);
    }
}

/// What a physical key's press did, kept so that its release undoes exactly that.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Held {
    /// Not down (or pressed before the last reset: its release is ignored).
    No,
    /// Pressed an output key (its modifiers were applied around it).
    Key(Key),
    /// Activated a layer; the holder entry with this physical key undoes it.
    Layer,
    /// Did nothing.
    Noop,
}

/// An active layer, held by a physical key, with the modifiers it contributes.
#[derive(Copy, Clone, Debug)]
struct Holder {
    phys: Key,
    layer: LayerId,
    mods: Mods,
}

/// At most this many layer keys can be held at once; more are ignored (no key is stranded).
const MAX_HOLDERS: usize = 32;

/// The remapping state machine for one device.
pub struct Engine {
    keymap: Arc<Keymap>,
    held: Box<[Held; KEY_CNT]>,
    /// Active layers in activation order (most recent last).
    holders: [Holder; MAX_HOLDERS],
    n_holders: usize,
    /// How many reasons each output key has to be down.
    out: Box<[u8; KEY_CNT]>,
    /// The modifiers the engine currently holds on behalf of layers and key sequences.
    mods: Mods,
}

impl Engine {
    pub fn new(keymap: Arc<Keymap>) -> Engine {
        Engine {
            keymap,
            held: Box::new([Held::No; KEY_CNT]),
            holders: [Holder { phys: Key::ESC, layer: MAIN, mods: Mods::NONE }; MAX_HOLDERS],
            n_holders: 0,
            out: Box::new([0; KEY_CNT]),
            mods: Mods::NONE,
        }
    }

    pub fn keymap(&self) -> &Arc<Keymap> {
        &self.keymap
    }

    /// Feeds one input key event at `now`; returns the next deadline at which [`Engine::tick`]
    /// must be called, if any.
    pub fn process(&mut self, ev: KeyEvent, _now: Time, out: &mut impl Sink) -> Option<Time> {
        match ev.value {
            KeyValue::Down => self.press(ev.key, out),
            KeyValue::Up => self.release(ev.key, out),
            KeyValue::Repeat => self.repeat(ev.key, out),
        }
        self.next_deadline()
    }

    /// Lets timers that are due at `now` fire; returns the next deadline.
    pub fn tick(&mut self, _now: Time, _out: &mut impl Sink) -> Option<Time> {
        self.next_deadline()
    }

    /// The time at which the engine next needs [`Engine::tick`], if any.
    pub fn next_deadline(&self) -> Option<Time> {
        None
    }

    /// Whether any output key is down because of this engine.
    pub fn is_idle(&self) -> bool {
        self.out.iter().all(|&c| c == 0)
    }

    /// The output keys this engine holds down, in code order.
    pub fn output_down(&self) -> impl Iterator<Item = Key> + '_ {
        self.out.iter().enumerate().filter(|(_, &c)| c > 0).filter_map(|(i, _)| Key::new(i as u16))
    }

    /// Releases every output key this engine holds (modifiers last) and forgets all state; keys
    /// still physically down are ignored until they are pressed again.
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
        self.n_holders = 0;
        self.mods = Mods::NONE;
    }

    /// Switches to another keymap: everything the old one held is released first.
    pub fn set_keymap(&mut self, keymap: Arc<Keymap>, out: &mut impl Sink) {
        self.release_all(out);
        self.keymap = keymap;
    }

    fn press(&mut self, phys: Key, out: &mut impl Sink) {
        if self.held[phys.index()] != Held::No {
            return; // a second press without a release: keep what the first one did
        }
        let (action, found_in) = self.lookup(phys);
        let held = match action {
            Action::Key { mods, key } => {
                let exclude = if found_in == MAIN { None } else { Some(found_in) };
                let target = mods.union(self.layer_mods(exclude));
                self.set_mods(target, out);
                self.out_press(key, out);
                Held::Key(key)
            }
            Action::Modifier { key, layer } => {
                let mods = Mods::of_key(key).unwrap_or(Mods::NONE);
                self.activate(phys, layer, mods, out)
            }
            Action::Layer(layer) => {
                let mods = self.keymap.layer(layer).mods;
                self.activate(phys, layer, mods, out)
            }
            Action::Noop => Held::Noop,
        };
        self.held[phys.index()] = held;
    }

    fn release(&mut self, phys: Key, out: &mut impl Sink) {
        match std::mem::replace(&mut self.held[phys.index()], Held::No) {
            Held::No | Held::Noop => {}
            Held::Key(key) => {
                self.out_release(key, out);
                self.set_mods(self.layer_mods(None), out);
            }
            Held::Layer => {
                if let Some(i) = self.holders[..self.n_holders].iter().position(|h| h.phys == phys) {
                    self.holders.copy_within(i + 1..self.n_holders, i);
                    self.n_holders -= 1;
                }
                self.set_mods(self.layer_mods(None), out);
            }
        }
    }

    fn repeat(&mut self, phys: Key, out: &mut impl Sink) {
        if let Held::Key(key) = self.held[phys.index()] {
            if self.out[key.index()] > 0 {
                out.key(KeyEvent::new(key, KeyValue::Repeat));
            }
        }
    }

    fn activate(&mut self, phys: Key, layer: LayerId, mods: Mods, out: &mut impl Sink) -> Held {
        if self.n_holders == MAX_HOLDERS {
            return Held::Noop;
        }
        self.holders[self.n_holders] = Holder { phys, layer, mods };
        self.n_holders += 1;
        self.set_mods(self.layer_mods(None), out);
        Held::Layer
    }

    /// The binding of `phys` in the most recently activated layer that has one, else `main`,
    /// else the key itself; with the layer it was found in.
    fn lookup(&self, phys: Key) -> (Action, LayerId) {
        for h in self.holders[..self.n_holders].iter().rev() {
            if let Some(a) = self.keymap.layer(h.layer).get(phys) {
                return (a, h.layer);
            }
        }
        match self.keymap.layer(MAIN).get(phys) {
            Some(a) => (a, MAIN),
            None => (self.keymap.identity(phys), MAIN),
        }
    }

    /// The modifiers of all active layers, leaving out those of `exclude`: a binding found in a
    /// modifier layer replaces that layer's modifiers (keyd: `[control] j = down`).
    fn layer_mods(&self, exclude: Option<LayerId>) -> Mods {
        self.holders[..self.n_holders]
            .iter()
            .filter(|h| Some(h.layer) != exclude)
            .fold(Mods::NONE, |m, h| m.union(h.mods))
    }

    /// Makes the engine's own modifier holds equal `target`: releases first, then presses.
    fn set_mods(&mut self, target: Mods, out: &mut impl Sink) {
        for key in self.mods.minus(target).keys() {
            self.out_release(key, out);
        }
        for key in target.minus(self.mods).keys() {
            self.out_press(key, out);
        }
        self.mods = target;
    }

    fn out_press(&mut self, key: Key, out: &mut impl Sink) {
        let c = &mut self.out[key.index()];
        *c = c.saturating_add(1);
        if *c == 1 {
            out.key(KeyEvent::down(key));
        }
    }

    fn out_release(&mut self, key: Key, out: &mut impl Sink) {
        let c = &mut self.out[key.index()];
        if *c == 0 {
            return;
        }
        *c -= 1;
        if *c == 0 {
            out.key(KeyEvent::up(key));
        }
    }
}
