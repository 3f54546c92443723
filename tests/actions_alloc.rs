//! No heap allocation on the per-event path with every kind of action in play: tap-hold
//! decisions and their queue, chords, oneshots, toggles, swaps, macro playback and repetition.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use keymapd::engine::{Engine, KeyEvent, Sink};
use keymapd::keys::Key;

struct Counting;

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ON.try_with(Cell::get).unwrap_or(false) {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Counts what it is given; allocates nothing.
#[derive(Default)]
struct Tally {
    keys: u64,
    commands: u64,
}

impl Sink for Tally {
    fn key(&mut self, _: KeyEvent) {
        self.keys += 1;
    }
    fn command(&mut self, _: &str) {
        self.commands += 1;
    }
}

const P: &str = r#"
ids = ["*"]
[global]
oneshot_timeout = 300
chord_hold_timeout = 20
macro_timeout = 100
macro_repeat_timeout = 20
macro_sequence_timeout = 500
allow_commands = true
[main]
capslock = "overload(control, esc)"
a = "overloadt(nav, a, 150)"
s = "overloadt2(shift, s, 150)"
d = "lettermod(alt, d, 100, 150)"
g = "timeout(g, 200, layer(meta))"
leftshift = "oneshot(shift)"
tab = "oneshotk(nav, tab)"
f1 = "toggle(nav)"
f2 = "macro(C-a 40ms hi 10ms leftcontrol+x)"
f3 = "clearm(macro(c))"
f4 = "swapm(sym, C-v)"
f5 = "command(true)"
f6 = "repeat()"
"j+k" = "esc"
"j+k+l" = "enter"
[nav]
h = "left"
f4 = "swap(sym)"
["nav+shift"]
h = "home"
[sym]
h = "!"
"#;

const KEYS: [Key; 16] = [
    Key::CAPSLOCK,
    Key::A,
    Key::S,
    Key::D,
    Key::G,
    Key::LEFTSHIFT,
    Key::TAB,
    Key::F1,
    Key::F2,
    Key::F3,
    Key::F4,
    Key::F5,
    Key::F6,
    Key::J,
    Key::K,
    Key::H,
];

#[test]
fn process_and_tick_never_allocate() {
    let p = common::profile(P);
    let mut engine = Engine::new(Arc::clone(&p.keymap));
    // A deterministic pseudo-random stream, built before counting starts.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut stream = Vec::with_capacity(200_000);
    let mut down = [false; KEYS.len()];
    for _ in 0..200_000 {
        let r = next();
        let i = (r % KEYS.len() as u64) as usize;
        let wait = [0, 5, 30, 120, 250][(r >> 8) as usize % 5];
        down[i] = !down[i];
        stream.push((wait, if down[i] { KeyEvent::down(KEYS[i]) } else { KeyEvent::up(KEYS[i]) }));
    }
    let mut out = Tally::default();
    let mut now = Duration::ZERO;
    let mut deadline = None;
    COUNT.with(|c| c.set(0));
    ON.with(|o| o.set(true));
    for &(wait, ev) in &stream {
        let to = now + Duration::from_millis(wait);
        while let Some(t) = deadline.filter(|&t| t <= to) {
            now = t;
            deadline = engine.tick(now, &mut out);
        }
        now = to;
        deadline = engine.process(ev, now, &mut out);
    }
    engine.release_all(&mut out);
    ON.with(|o| o.set(false));
    assert_eq!(COUNT.with(Cell::get), 0, "allocations on the event path");
    assert!(out.keys > 100_000 && out.commands > 0, "the stream exercised the engine: {} keys", out.keys);
    assert!(engine.is_idle());
}
