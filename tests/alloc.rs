//! Zero heap allocations per event on the hot path: a counting global allocator (this test binary
//! only) watches `Engine::process`/`tick` and the `Merger` over ~100k events of each bench profile.

#[path = "../benches/common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::{Driver, Workload};

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
