//! Many sources (grabbed keyboards), one output: a key stays down while any source holds it.
//! With [`Merger::with_shared`], only the keys that go to a device all sources share (the daemon's
//! mouse buttons, on its one virtual pointer) are merged; every other key belongs to its source
//! alone (each keyboard has its own virtual clone) and passes whenever its source's state changes.
//! Pure bookkeeping; it never touches the system and never allocates per event.

use crate::engine::{KeyEvent, KeyValue, Sink};
use crate::keymap::Mods;
use crate::keys::{Key, KeySet, KEY_CNT};

/// Identifies one source (one grabbed device's engine) in a [`Merger`].
#[derive(Copy, Clone, PartialEq, Eq, Debug, Hash, PartialOrd, Ord)]
pub struct SourceId(usize);

/// Combines the output of several engines into one key stream.
pub struct Merger {
    /// Keys each source holds; `None` for a freed slot.
    sources: Vec<Option<KeySet>>,
    /// How many sources hold each key (only the shared keys are counted).
    count: Vec<u16>,
    /// The keys that go to one output all sources share (the predicate given to
    /// [`Merger::with_shared`], evaluated once for every key: a bit test per event, not a call).
    shared: KeySet,
}

impl Default for Merger {
    fn default() -> Self {
        Merger::new()
    }
}

impl Merger {
    /// Every key merged into one output.
    pub fn new() -> Merger {
        Merger::with_shared(|_| true)
    }

    /// Only the keys for which `shared` holds are merged across sources; any other key passes
    /// whenever its own source presses or releases it (each source has an output of its own).
    pub fn with_shared(shared: fn(Key) -> bool) -> Merger {
        let shared = KeySet::from_codes((0..KEY_CNT as u16).filter(|&c| Key::new(c).is_some_and(shared)));
        Merger { sources: Vec::new(), count: vec![0; KEY_CNT], shared }
    }

    /// Registers a new source (reusing a freed slot if there is one).
    pub fn add_source(&mut self) -> SourceId {
        if let Some(i) = self.sources.iter().position(Option::is_none) {
            self.sources[i] = Some(KeySet::default());
            return SourceId(i);
        }
        self.sources.push(Some(KeySet::default()));
        SourceId(self.sources.len() - 1)
    }

    /// Releases everything `src` holds and forgets it.
    pub fn remove_source(&mut self, src: SourceId, out: &mut impl Sink) {
        self.release_source(src, out);
        if let Some(slot) = self.sources.get_mut(src.0) {
            *slot = None;
        }
    }

    /// Passes `ev` from `src` to `out` if it changes the merged state (a repeat passes while the
    /// key is down). A release for a key `src` does not hold is dropped.
    pub fn event(&mut self, src: SourceId, ev: KeyEvent, out: &mut impl Sink) {
        let Some(Some(held)) = self.sources.get_mut(src.0) else { return };
        let i = ev.key.index();
        let shared = self.shared.contains(ev.key);
        match ev.value {
            KeyValue::Down => {
                if held.contains(ev.key) {
                    return;
                }
                held.set(ev.key, true);
                if !shared {
                    return out.key(ev);
                }
                self.count[i] += 1;
                if self.count[i] == 1 {
                    out.key(ev);
                }
            }
            KeyValue::Up => {
                if !held.contains(ev.key) {
                    return;
                }
                held.set(ev.key, false);
                if !shared {
                    return out.key(ev);
                }
                self.count[i] -= 1;
                if self.count[i] == 0 {
                    out.key(ev);
                }
            }
            KeyValue::Repeat => {
                if held.contains(ev.key) {
                    out.key(ev);
                }
            }
        }
    }

    /// Releases every key `src` holds (the others' keys stay down).
    pub fn release_source(&mut self, src: SourceId, out: &mut impl Sink) {
        let Some(Some(held)) = self.sources.get(src.0) else { return };
        let keys: KeySet = *held;
        // Modifiers last, so that nothing is typed with a modifier that was already let go of.
        for modifiers in [false, true] {
            for key in keys.iter().filter(|&k| Mods::of_key(k).is_some() == modifiers) {
                self.event(src, KeyEvent::up(key), out);
            }
        }
    }

    /// Releases every key of every source.
    pub fn release_all(&mut self, out: &mut impl Sink) {
        for i in 0..self.sources.len() {
            self.release_source(SourceId(i), out);
        }
    }

    /// Whether the merged output has `key` down (a key that is not shared: whether any source
    /// holds it).
    pub fn is_down(&self, key: Key) -> bool {
        if self.shared.contains(key) {
            self.count[key.index()] > 0
        } else {
            self.sources.iter().flatten().any(|h| h.contains(key))
        }
    }
}

/// A sink that feeds a [`Merger`] from one source: `engine → SourceSink → merger → out`.
pub struct SourceSink<'a, S: Sink> {
    pub merger: &'a mut Merger,
    pub src: SourceId,
    pub out: &'a mut S,
}

impl<S: Sink> Sink for SourceSink<'_, S> {
    fn key(&mut self, ev: KeyEvent) {
        self.merger.event(self.src, ev, self.out);
    }
    fn command(&mut self, cmd: &str) {
        self.out.command(cmd);
    }
}
