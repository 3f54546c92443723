//! Zero heap allocations per event on the hot path: a counting global allocator (this test binary
//! only) watches `Engine::process`/`tick` and the `Merger` over ~100k events of each bench profile,
//! and the engine alone over 200k events of a profile with every kind of action (tap-hold
//! decisions and their queue, chords, oneshots, toggles, swaps, macro playback and repetition).
// Test code: failing loudly is its job (the workspace [lints] deny this elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keymapd_testkit::workload as common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use std::sync::Arc;
use std::time::Duration;

use common::{Driver, Workload};
use keymapd::engine::{Engine, KeyEvent, Sink};
use keymapd::keys::Key;

/// Counts allocations made by the thread that turned counting on; passes everything to `System`.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: the allocator can be called while a thread's locals are being torn down.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCS.try_with(|a| a.set(a.get() + 1));
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> u64 {
    ALLOCS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCS.with(Cell::get)
}

/// Warms a driver up with one replay of the stream, then counts allocations over three more.
fn assert_no_allocations(profile: &str, stream: Workload) {
    let keymap = common::load(profile).unwrap_or_else(|e| panic!("{profile} does not load:\n{e}"));
    let mut driver = Driver::new(keymap);
    driver.replay(&stream);
    let before = driver.emitted;
    let n = allocations(|| {
        for _ in 0..3 {
            driver.replay(&stream);
        }
    });
    let events = 3 * stream.len();
    assert!(driver.emitted > before, "{profile}: the stream produced no output");
    assert_eq!(n, 0, "{profile}: {n} heap allocations over {events} input events");
}

#[test]
fn the_counter_sees_allocations() {
    let n = allocations(|| {
        let v: Vec<u64> = std::hint::black_box(vec![1, 2, 3]);
        drop(v);
    });
    assert_eq!(n, 1);
}

#[test]
fn swap_profile_allocates_nothing_per_event() {
    assert_no_allocations(common::SWAP, common::swap_stream(11, 35_000));
}

#[test]
fn layers_profile_allocates_nothing_per_event() {
    assert_no_allocations(common::LAYERS, common::layers_stream(12, 35_000));
}

#[test]
fn heavy_profile_allocates_nothing_per_event() {
    assert_no_allocations(common::HEAVY, common::heavy_stream(13, 35_000));
}

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
fn every_action_kind_allocates_nothing_per_event() {
    let (p, _) = keymapd::profile::Profile::parse(std::path::Path::new("every-action.toml"), P)
        .unwrap_or_else(|e| panic!("{e:?}"));
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
    let n = allocations(|| {
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
    });
    assert_eq!(n, 0, "allocations on the event path");
    assert!(out.keys > 100_000 && out.commands > 0, "the stream exercised the engine: {} keys", out.keys);
    assert!(engine.is_idle());
}

/// Application layers: lookups in the focused application's layer and in composites with it,
/// with the focus changing between events (after one round, a focus change reuses the engine's
/// buffer, and matching the globs allocates nothing either).
#[test]
fn application_layers_and_focus_changes_allocate_nothing() {
    let text = r#"
ids = ["*"]
[main]
leftcontrol = "leftmeta"
leftmeta = "leftcontrol"
capslock = "overloadt(nav, esc, 150)"
[nav]
h = "left"
["app:*"]
a = "b"
["app:org.gnome.*"]
a = "c"
["control+app:org.gnome.Terminal"]
c = "C-S-c"
["nav+app:kit?y"]
h = "home"
"#;
    let (p, _) = keymapd::profile::Profile::parse(std::path::Path::new("apps.toml"), text)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let apps = [Some("org.gnome.Terminal"), Some("kitty"), None, Some("org.gnome.Nautilus"), Some("firefox")];
    let keys = [Key::LEFTMETA, Key::C, Key::A, Key::CAPSLOCK, Key::H, Key::X];
    let mut stream = Vec::new();
    let mut down = [false; 6];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..100_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let i = (seed % keys.len() as u64) as usize;
        down[i] = !down[i];
        let focus = (seed >> 20) % 16 == 0;
        let app = apps[(seed >> 32) as usize % apps.len()];
        let wait = [0, 5, 30, 200][(seed >> 8) as usize % 4];
        stream.push((
            wait,
            focus.then_some(app),
            if down[i] { KeyEvent::down(keys[i]) } else { KeyEvent::up(keys[i]) },
        ));
    }
    let mut engine = Engine::new(Arc::clone(&p.keymap));
    let mut out = Tally::default();
    let mut now = Duration::ZERO;
    let mut run = |engine: &mut Engine, out: &mut Tally| {
        for &(wait, focus, ev) in &stream {
            now += Duration::from_millis(wait);
            if let Some(app) = focus {
                engine.set_focus(app);
            }
            let mut deadline = engine.process(ev, now, out);
            while let Some(t) = deadline.filter(|&t| t <= now) {
                deadline = engine.tick(t, out);
            }
        }
    };
    run(&mut engine, &mut out); // warm-up: the focus buffer grows to the longest id
    let before = out.keys;
    let n = allocations(|| run(&mut engine, &mut out));
    assert!(out.keys > before, "the stream produced no output");
    assert_eq!(n, 0, "{n} heap allocations over {} events and their focus changes", stream.len());
}
