//! Shared by the engine benches (`benches/engine.rs`) and the allocation test (`tests/alloc.rs`):
//! bench profiles, deterministic input streams, and a driver that feeds them like the daemon does.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use keymapd_core::engine::{Engine, KeyEvent, KeyValue, Time};
use keymapd_core::keymap::Keymap;
use keymapd_core::keys::Key;
use keymapd_core::merger::{Merger, SourceId, SourceSink};
use keymapd_core::profile::Profile;

/// A profile file of the repository, by its path relative to the repository's root.
pub fn profile_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

/// Loads a profile's keymap, or the rendered diagnostics if it does not parse (yet).
pub fn load(rel: &str) -> Result<Arc<Keymap>, String> {
    let path = profile_path(rel);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    match Profile::parse(&path, &text) {
        Ok((p, _warnings)) => Ok(p.keymap),
        Err(diags) => Err(diags.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")),
    }
}

/// The example swap profile.
pub const SWAP: &str = "profiles/usb-keyboard.toml";
/// Layers, modifier layers and key sequences: what the engine supports today.
pub const LAYERS: &str = "benches/profiles/layers.toml";
/// Layers, overloads, one-shots and chords: keyd's full action set.
pub const HEAVY: &str = "benches/profiles/heavy.toml";

/// A small deterministic PRNG (xorshift64*), so that every run feeds the same stream.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// An input stream: events with their time from the start of the stream. Every key pressed is
/// released again, so the stream can be replayed any number of times from an idle engine.
pub struct Workload {
    pub events: Vec<(KeyEvent, Time)>,
    /// The stream's length in time, plus a pause after it that lets every timer expire.
    pub span: Time,
}

impl Workload {
    pub fn len(&self) -> usize {
        self.events.len()
    }
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

fn key(name: &str) -> Key {
    Key::from_name(name).unwrap_or_else(|| panic!("bench stream uses unknown key `{name}`"))
}

/// Builds a stream step by step, with the clock advancing between events.
struct Builder {
    rng: Rng,
    now: Time,
    events: Vec<(KeyEvent, Time)>,
}

impl Builder {
    fn new(seed: u64) -> Builder {
        Builder { rng: Rng::new(seed), now: Duration::ZERO, events: Vec::new() }
    }
    fn wait_ms(&mut self, lo: u64, hi: u64) {
        self.now += Duration::from_millis(lo + self.rng.below(hi - lo + 1));
    }
    fn ev(&mut self, name: &str, value: KeyValue) {
        self.events.push((KeyEvent::new(key(name), value), self.now));
    }
    /// A press and release, `hold` ms apart.
    fn tap(&mut self, name: &str, hold: (u64, u64)) {
        self.ev(name, KeyValue::Down);
        self.wait_ms(hold.0, hold.1);
        self.ev(name, KeyValue::Up);
    }
    /// Types a few letters, sometimes rolling over (the next down before the last up).
    fn word(&mut self, letters: &[&str]) {
        let n = 2 + self.rng.below(6);
        let mut prev: Option<&str> = None;
        for _ in 0..n {
            let l = *self.rng.pick(letters);
            if prev == Some(l) {
                continue;
            }
            self.ev(l, KeyValue::Down);
            self.wait_ms(20, 60);
            if let Some(p) = prev.take() {
                self.ev(p, KeyValue::Up);
                self.wait_ms(5, 30);
            }
            if self.rng.below(3) == 0 {
                prev = Some(l); // roll over into the next letter
            } else {
                self.ev(l, KeyValue::Up);
                self.wait_ms(30, 90);
            }
        }
        if let Some(p) = prev {
            self.ev(p, KeyValue::Up);
        }
        self.wait_ms(40, 120);
    }
    /// `hold` down, a few taps of `keys`, `hold` up.
    fn with_held(&mut self, hold: &str, keys: &[&str]) {
        self.ev(hold, KeyValue::Down);
        self.wait_ms(30, 80);
        for _ in 0..1 + self.rng.below(3) {
            let k = *self.rng.pick(keys);
            self.tap(k, (20, 70));
            self.wait_ms(20, 60);
        }
        self.ev(hold, KeyValue::Up);
        self.wait_ms(40, 120);
    }
    /// A held key that autorepeats a few times.
    fn repeat(&mut self, name: &str) {
        self.ev(name, KeyValue::Down);
        self.wait_ms(250, 250);
        for _ in 0..2 + self.rng.below(5) {
            self.ev(name, KeyValue::Repeat);
            self.wait_ms(33, 33);
        }
        self.ev(name, KeyValue::Up);
        self.wait_ms(40, 120);
    }
    fn finish(self) -> Workload {
        // One idle second at the end: every timer (tap timeouts, chord windows) has expired.
        let span = self.now + Duration::from_secs(1);
        Workload { events: self.events, span }
    }
}

const LETTERS: &[&str] =
    &["a", "s", "d", "f", "g", "h", "j", "k", "l", "e", "r", "t", "i", "o", "n", "u", "c", "m", "p", "w"];

/// Typing through the swap profile: words, shifted letters, the swapped modifiers used as
/// shortcuts (`leftcontrol`+c, `leftmeta`+tab, `rightalt`+x), and autorepeat.
pub fn swap_stream(seed: u64, n: usize) -> Workload {
    let mut b = Builder::new(seed);
    while b.events.len() < n {
        match b.rng.below(10) {
            0 => b.with_held("leftshift", &["a", "t", "i"]),
            1 => b.with_held("leftcontrol", &["c", "v", "z"]),
            2 => b.with_held("leftmeta", &["tab"]),
            3 => b.with_held("rightalt", &["x", "e"]),
            4 => b.repeat("backspace"),
            _ => b.word(LETTERS),
        }
    }
    b.finish()
}

/// Typing through `benches/profiles/layers.toml`: words, the nav layer (tab held), capslock as
/// control with its `[control]` bindings, the swapped modifiers, and the symbol layer.
pub fn layers_stream(seed: u64, n: usize) -> Workload {
    let mut b = Builder::new(seed);
    while b.events.len() < n {
        match b.rng.below(12) {
            0 | 1 => b.with_held("tab", &["h", "j", "k", "l", "u", "i"]),
            2 => b.with_held("capslock", &["c", "j", "k", "w"]),
            3 => b.with_held("leftcontrol", &["c", "v"]),
            4 => b.with_held("rightalt", &["a", "s", "d", "f"]),
            5 => b.repeat("backspace"),
            _ => b.word(LETTERS),
        }
    }
    b.finish()
}

/// Typing through `benches/profiles/heavy.toml`: everything of [`layers_stream`], plus
/// overload keys tapped and held, a one-shot shift, and chords pressed within their window.
pub fn heavy_stream(seed: u64, n: usize) -> Workload {
    let mut b = Builder::new(seed);
    while b.events.len() < n {
        match b.rng.below(16) {
            0 | 1 => b.with_held("tab", &["h", "j", "k", "l", "u", "i"]),
            2 => b.with_held("capslock", &["c", "j", "k", "w"]), // overload(control, esc): held
            3 => b.tap("capslock", (30, 90)),                    // … tapped
            4 => b.with_held("space", &["h", "j", "k", "l"]),    // overload(nav, space): held
            5 => b.tap("space", (30, 90)),                       // … tapped
            6 => {
                // one-shot shift, then a letter
                b.tap("leftshift", (30, 70));
                b.wait_ms(30, 90);
                b.tap("t", (30, 70));
                b.wait_ms(30, 90);
            }
            7 | 8 => {
                // a chord: both keys down within a few ms, released together
                let (x, y) = *b.rng.pick(&[("j", "k"), ("d", "f"), ("s", "d")]);
                b.ev(x, KeyValue::Down);
                b.wait_ms(2, 15);
                b.ev(y, KeyValue::Down);
                b.wait_ms(40, 90);
                b.ev(x, KeyValue::Up);
                b.wait_ms(0, 10);
                b.ev(y, KeyValue::Up);
                b.wait_ms(40, 120);
            }
            9 => b.with_held("leftcontrol", &["c", "v"]),
            10 => b.repeat("backspace"),
            _ => b.word(LETTERS),
        }
    }
    b.finish()
}

/// One grabbed keyboard as the daemon runs it: its engine, the merger, the timer, and a frame
/// buffer allocated once (the daemon's one `write` per input frame), drained after every event.
pub struct Driver {
    pub engine: Engine,
    pub merger: Merger,
    pub src: SourceId,
    /// The engine's next deadline, as the daemon's timerfd would hold it.
    pub deadline: Option<Time>,
    /// Where the replayed stream starts; advances by the stream's span on every replay.
    pub base: Time,
    pub frame: Vec<KeyEvent>,
    /// Output events seen, and a checksum of them (so that nothing is optimised away).
    pub emitted: u64,
    pub checksum: u64,
}

impl Driver {
    pub fn new(keymap: Arc<Keymap>) -> Driver {
        let mut merger = Merger::new();
        let src = merger.add_source();
        Driver {
            engine: Engine::new(keymap),
            merger,
            src,
            deadline: None,
            base: Duration::ZERO,
            frame: Vec::with_capacity(256),
            emitted: 0,
            checksum: 0,
        }
    }

    #[inline]
    fn flush(&mut self) {
        for ev in &self.frame {
            self.checksum = self.checksum.rotate_left(5) ^ (ev.key.code() as u64) << 2 ^ ev.value as u64;
        }
        self.emitted += self.frame.len() as u64;
        self.frame.clear();
    }

    /// Fires the timer if it is due at `now`, as the daemon does when its timerfd expires.
    #[inline]
    fn fire_timers(&mut self, now: Time) {
        while let Some(t) = self.deadline.filter(|&t| t <= now) {
            let mut sink = SourceSink { merger: &mut self.merger, src: self.src, out: &mut self.frame };
            let next = self.engine.tick(t, &mut sink);
            self.flush();
            if next.is_some_and(|n| n <= t) {
                self.deadline = None; // a timer that does not advance: the engine's bug, not ours
                break;
            }
            self.deadline = next;
        }
    }

    /// One input event at `now`: due timers first, then the event, then the frame goes out.
    #[inline]
    pub fn event(&mut self, ev: KeyEvent, now: Time) {
        self.fire_timers(now);
        let mut sink = SourceSink { merger: &mut self.merger, src: self.src, out: &mut self.frame };
        self.deadline = self.engine.process(ev, now, &mut sink);
        self.flush();
    }

    /// Replays the whole stream once (time continues from the previous replay). Never inlined,
    /// so that callgrind can count it (`--toggle-collect='*Driver*replay*'`).
    #[inline(never)]
    pub fn replay(&mut self, w: &Workload) {
        let base = self.base;
        for &(ev, t) in &w.events {
            self.event(ev, base + t);
        }
        self.base = base + w.span;
        self.fire_timers(self.base);
    }
}
